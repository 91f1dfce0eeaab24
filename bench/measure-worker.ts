import { spawn } from 'node:child_process';
import { createReadStream } from 'node:fs';
import { once } from 'node:events';
import { fileURLToPath } from 'node:url';
import type { Driver } from 'neo4j-driver';
import type { AtlasConfig } from '../services/core/src/config.js';
import { wipeInventory } from '../services/core/src/graph/maintenance-repository.js';
import type { GraphClient } from '../services/core/src/graph/neo4j-client.js';
import type { QueueHub } from '../services/core/src/queue/queues.js';
import type { NmapHost } from '../services/discovery/src/nmap/nmap-types.js';
import { acceptNmapUpload } from '../services/discovery/src/imports/nmap-import.js';
import { log, procRss, round, timed, type Measure } from './lib.js';
import { ingestBatch } from './measure-ingest.js';
import { rawIngest, rawRows } from './raw-driver.js';

const child = fileURLToPath(new URL('./worker-child.ts', import.meta.url));

export interface WorkerEnv {
  neo4jUri: string;
  neo4jUser: string;
  neo4jPassword: string;
  redisUrl: string;
}

/**
 * Measures 7 (and 2 at full size): the import worker, in its own process, ingests the whole
 * synthetic scan from an upload exactly as POST /imports/nmap queues it; its RSS is sampled
 * every 250 ms. Baseline: the raw-driver UNWIND … MERGE of the same hosts from memory (no
 * parsing), run first on an empty graph. Leaves the graph loaded by the worker.
 */
export async function measureWorker(config: AtlasConfig, env: WorkerEnv, graph: GraphClient, queues: QueueHub, driver: Driver, file: string, hosts: () => NmapHost[], label: string): Promise<Measure> {
  await wipeInventory(graph);
  const hostList = hosts();
  const rows = rawRows(hostList);
  const raw = await timed(() => rawIngest(driver, rows, ingestBatch(), '2026-01-01T00:00:00.000Z'));
  log(`raw ingest ${label}: ${raw.ms} ms`);
  const rawCount = rows.length;
  hostList.length = 0;
  rows.length = 0;
  await wipeInventory(graph);

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
    const ratio = round(raw.ms / ms);
    return {
      id: 'worker',
      title: 'Import worker: 100k-host nmap file, upload to graph, worker RSS',
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
      baseline: { name: 'raw neo4j-driver UNWIND … MERGE from memory (no parse, no queue)', ms: raw.ms, hostsPerSec: Math.round(rawCount / (raw.ms / 1000)) },
      ratio,
      target: 'bounded worker RSS (independent of file size); ingest ≥0.8× raw',
      met: state === 'completed' && (peak?.hwmMiB ?? Infinity) < 600 && ratio >= 0.8,
      notes: [`end-to-end (parse + ingest + provenance) ${ratio}× the raw-driver load of the same hosts`],
    };
  } finally {
    proc.kill('SIGTERM');
    await Promise.race([once(proc, 'exit'), new Promise((r) => setTimeout(r, 30_000))]);
  }
}
