import { spawn } from 'node:child_process';
import { createReadStream } from 'node:fs';
import { once } from 'node:events';
import { fileURLToPath } from 'node:url';
import type { AtlasConfig } from '../services/core/src/config.js';
import { wipeInventory } from '../services/core/src/graph/maintenance-repository.js';
import type { GraphClient } from '../services/core/src/graph/neo4j-client.js';
import type { QueueHub } from '../services/core/src/queue/queues.js';
import { acceptNmapUpload } from '../services/discovery/src/imports/nmap-import.js';
import { log, procRss, round, type Measure } from './lib.js';

const child = fileURLToPath(new URL('./worker-child.ts', import.meta.url));

export interface WorkerEnv {
  neo4jUri: string;
  neo4jUser: string;
  neo4jPassword: string;
  redisUrl: string;
}

/**
 * Measure 7: the import worker, in its own process, ingests the whole synthetic scan from an
 * upload exactly as POST /imports/nmap queues it; its RSS is sampled every 250 ms. Baselines:
 * the same worker idle, and the peak RSS node-nmap needs just to parse the same file (from
 * measure 1), i.e. the floor for a worker built on it. Leaves the graph loaded by the worker.
 */
export async function measureWorker(config: AtlasConfig, env: WorkerEnv, graph: GraphClient, queues: QueueHub, file: string, label: string, nodeNmapPeakMiB: number | null): Promise<Measure> {
  await wipeInventory(graph);
  // A run killed mid-import leaves its job in this Redis; the worker below would take it up too.
  await queues.queue('import').obliterate({ force: true });
  const proc = spawn(process.execPath, ['--import', 'tsx', child], {
    stdio: ['ignore', 'pipe', 'inherit'],
    env: {
      ...process.env,
      NEO4J_URI: env.neo4jUri,
      NEO4J_USER: env.neo4jUser,
      NEO4J_PASSWORD: env.neo4jPassword,
      REDIS_URL: env.redisUrl,
      ATLAS_QUEUE_PREFIX: config.ATLAS_QUEUE_PREFIX,
      ATLAS_DATA_DIR: config.ATLAS_DATA_DIR,
      ATLAS_WORKER_CONCURRENCY: '1',
      ATLAS_LOG_LEVEL: 'warn',
    },
  });
  try {
    let out = '';
    proc.stdout.on('data', (d) => (out += d));
    const deadline = Date.now() + 120_000;
    while (!out.includes('ready')) {
      if (Date.now() > deadline || proc.exitCode !== null) throw new Error(`worker process did not start (exit ${proc.exitCode})`);
      await new Promise((r) => setTimeout(r, 100));
    }
    const idle = procRss(proc.pid!);
    const t0 = performance.now();
    const jobId = await acceptNmapUpload(queues, config.ATLAS_DATA_DIR, createReadStream(file), { filename: `bench-${label}.xml`, requestedBy: 'bench' });
    const samples: number[] = [];
    let state = 'waiting';
    let result: unknown;
    let error: unknown;
    while (state === 'waiting' || state === 'active') {
      await new Promise((r) => setTimeout(r, 250));
      const rss = procRss(proc.pid!);
      if (rss) samples.push(rss.rssMiB);
      const job = await queues.getJob(jobId);
      state = job.state;
      result = job.result;
      error = job.error;
      if (performance.now() - t0 > 25 * 60_000) throw new Error('import job did not finish in 25 minutes');
    }
    const ms = round(performance.now() - t0);
    const peak = procRss(proc.pid!);
    log(`worker import ${label}: ${state} in ${ms} ms, RSS peak ${peak?.hwmMiB} MiB`);
    const hostsIngested = Number((result as { hosts?: number } | undefined)?.hosts ?? 0);
    const ratio = nodeNmapPeakMiB && peak?.hwmMiB ? round(nodeNmapPeakMiB / peak.hwmMiB) : null;
    return {
      id: 'worker',
      title: 'Import worker RSS while ingesting a whole nmap file (upload → queue → parse → graph)',
      size: `${label} hosts`,
      product: {
        state,
        hosts: hostsIngested,
        ms,
        hostsPerSec: Math.round(hostsIngested / (ms / 1000)),
        idleRssMiB: idle?.rssMiB ?? null,
        peakRssMiB: peak?.hwmMiB ?? null,
        meanRssMiB: samples.length ? round(samples.reduce((a, b) => a + b, 0) / samples.length, 1) : null,
        error: error ? JSON.stringify(error).slice(0, 200) : null,
      },
      baseline: { name: 'node-nmap parse-only peak RSS of the same file (measure 1)', peakRssMiB: nodeNmapPeakMiB },
      ratio,
      target: 'bounded: peak RSS independent of file size, far below a whole-document parse',
      met: state === 'completed' && hostsIngested > 0 && (peak?.hwmMiB ?? Infinity) < 600,
      notes: [`peak RSS ${peak?.hwmMiB ?? '?'} MiB vs idle ${idle?.rssMiB ?? '?'} MiB while ingesting ${hostsIngested} hosts in ${round(ms / 60_000, 1)} min`],
    };
  } finally {
    proc.kill('SIGTERM');
    await Promise.race([once(proc, 'exit'), new Promise((r) => setTimeout(r, 30_000))]);
  }
}
