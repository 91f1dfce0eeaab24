import { createReadStream, existsSync } from 'node:fs';
import { basename } from 'node:path';
import { acceptNmapUpload } from '../../../discovery/src/imports/nmap-import.js';
import { startImportWorker } from '../../../discovery/src/workers/import-worker.js';
import type { CliCommand } from './types.js';

export const importCommands: CliCommand[] = [
  {
    group: 'import',
    name: 'nmap',
    summary: 'import an nmap XML file and wait for the result',
    usage: 'import nmap <file.xml>',
    async run(ctx, _o, args) {
      const file = args[0];
      if (!file || !existsSync(file)) throw new Error(`no such file: ${file ?? '(none given)'}`);
      // A local worker makes the command complete whether or not `npm start` is running.
      const worker = startImportWorker(ctx.queues, ctx.graph, 1, ctx.config.ATLAS_IDENTITY_IP_WINDOW_HOURS);
      try {
        const jobId = await acceptNmapUpload(ctx.queues, ctx.config.ATLAS_DATA_DIR, createReadStream(file), { filename: basename(file), requestedBy: 'cli' });
        process.stderr.write(`queued ${jobId}\n`);
        for (;;) {
          const job = await ctx.queues.getJob(jobId);
          if (job.state === 'completed') {
            process.stdout.write(`${JSON.stringify(job.result)}\n`);
            return 0;
          }
          if (job.state === 'failed' || job.state === 'cancelled') {
            process.stderr.write(`import ${job.state}: ${job.error?.code}: ${job.error?.message}\n`);
            return 1;
          }
          await new Promise((r) => setTimeout(r, 250));
        }
      } finally {
        await worker.close();
      }
    },
  },
];
