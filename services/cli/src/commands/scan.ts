import { ScanRepository } from '../../../core/src/graph/scan-repository.js';
import { alertNotifier } from '../../../discovery/src/workers/index.js';
import { startScanWorker } from '../../../discovery/src/workers/scan-worker.js';
import { effectiveScope, enqueueScanRun } from '../../../discovery/src/scan/scan-service.js';
import type { CliCommand } from './types.js';

export const scanCommands: CliCommand[] = [
  {
    group: 'scan',
    name: 'list',
    summary: 'list scan definitions and the authorised scope',
    usage: 'scan list',
    async run(ctx) {
      const repo = new ScanRepository(ctx.graph);
      const scope = await effectiveScope(repo, ctx.config);
      process.stdout.write(`scope (${scope.source}): ${scope.scope.map((s) => s.cidr).join(', ')}\n`);
      for (const d of await repo.list()) {
        process.stdout.write(`${d.id}  ${d.name}  ${d.profile}  ${d.schedule ?? '-'}  ${d.enabled ? 'enabled' : 'disabled'}  ${d.targets.join(' ')}\n`);
      }
      return 0;
    },
  },
  {
    group: 'scan',
    name: 'run',
    summary: 'run a scan definition now (by id or name) and wait for its chunks',
    usage: 'scan run <id|name>',
    async run(ctx, _o, args) {
      const key = args[0];
      if (!key) throw new Error('scan run needs a definition id or name');
      const repo = new ScanRepository(ctx.graph);
      const def = (await repo.list(10_000)).find((d) => d.id === key || d.name === key);
      if (!def) throw new Error(`no scan definition ${key}`);
      // A local worker makes the command complete whether or not `npm start` is running.
      const worker = startScanWorker(ctx.queues, ctx.graph, ctx.config, alertNotifier(ctx.graph, ctx.queues, ctx.config));
      try {
        const ids = await enqueueScanRun(ctx.queues, ctx.graph, repo, ctx.config, def, `cli${Date.now().toString(36)}`);
        process.stderr.write(`queued ${ids.join(', ')}\n`);
        let failed = 0;
        for (const id of ids) {
          for (;;) {
            const job = await ctx.queues.getJob(id);
            if (job.state === 'completed') {
              process.stdout.write(`${JSON.stringify(job.result)}\n`);
              break;
            }
            if (job.state === 'failed' || job.state === 'cancelled') {
              process.stderr.write(`${id} ${job.state}: ${job.error?.code}: ${job.error?.message}\n`);
              failed++;
              break;
            }
            await new Promise((r) => setTimeout(r, 500));
          }
        }
        return failed ? 1 : 0;
      } finally {
        await worker.close();
      }
    },
  },
];
