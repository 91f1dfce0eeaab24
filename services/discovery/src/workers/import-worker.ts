import { createReadStream } from 'node:fs';
import { UnrecoverableError, type Job } from 'bullmq';
import { AtlasError } from '../../../core/src/errors.js';
import type { GraphClient } from '../../../core/src/graph/neo4j-client.js';
import { finishRun, ingestHosts, startRun, type IngestCounts } from '../../../core/src/graph/asset-ingest-repository.js';
import type { QueueHub } from '../../../core/src/queue/queues.js';
import type { NmapHost } from '../nmap/nmap-types.js';
import { parseNmapXml } from '../nmap/nmap-xml-parser.js';
import { removeUpload } from '../imports/upload-store.js';
import type { NmapImportJobData } from '../imports/nmap-import.js';

/** Hosts per UNWIND batch; see BENCHMARKS.md for how the size was chosen. */
export const INGEST_BATCH = 500;

export interface ImportResult extends IngestCounts {
  runId: string;
  complete: boolean;
  exit?: string;
  errorMessage?: string;
}

export function startImportWorker(queues: QueueHub, graph: GraphClient, concurrency = 1) {
  return queues.startWorker<NmapImportJobData, ImportResult>(
    'import',
    async (job) => {
      try {
        return await processNmapImport(job, graph);
      } catch (err) {
        // Bad input never gets better on retry: fail the job for good with its stable code.
        if (err instanceof AtlasError && err.status < 500) throw new UnrecoverableError(`${err.code}: ${err.message}`);
        throw err;
      }
    },
    { concurrency },
  ).on('completed', (job) => void removeUpload(job.data.path))
    .on('failed', (job) => {
      if (job && (job.attemptsMade >= (job.opts.attempts ?? 1) || job.failedReason?.includes('UNRECOVERABLE') || /^[A-Z_]+: /.test(job.failedReason ?? ''))) {
        void removeUpload(job.data.path);
      }
    });
}

export async function processNmapImport(job: Job<NmapImportJobData>, graph: GraphClient): Promise<ImportResult> {
  const runId = `run-${job.id}`;
  const counts: IngestCounts = { hosts: 0, assetsCreated: 0, assetsUpdated: 0, services: 0 };
  let batch: NmapHost[] = [];
  let started = false;
  let at = new Date().toISOString();
  const flush = async () => {
    if (batch.length === 0) return;
    const c = await ingestHosts(graph, { runId, sourceId: job.data.sourceId, at }, batch);
    counts.hosts += c.hosts;
    counts.assetsCreated += c.assetsCreated;
    counts.assetsUpdated += c.assetsUpdated;
    counts.services += c.services;
    batch = [];
    await job.updateProgress({ hosts: counts.hosts });
  };
  let summary: { complete: boolean; exit?: string; errorMessage?: string } = { complete: false };
  for await (const ev of parseNmapXml(createReadStream(job.data.path))) {
    if (ev.type === 'run') {
      at = ev.run.startedAt ?? at;
      await startRun(graph, { id: runId, sourceId: job.data.sourceId, kind: 'nmap-import', args: ev.run.args, scanner: ev.run.scanner, scannerVersion: ev.run.version, filename: job.data.filename });
      started = true;
    } else if (ev.type === 'host') {
      batch.push(ev.host);
      if (batch.length >= INGEST_BATCH) await flush();
    } else if (ev.type === 'end') {
      summary = ev.summary;
    }
  }
  if (!started) await startRun(graph, { id: runId, sourceId: job.data.sourceId, kind: 'nmap-import', filename: job.data.filename });
  await flush();
  await finishRun(graph, runId, { status: summary.complete ? 'completed' : 'incomplete', counts, error: summary.errorMessage });
  return { runId, ...counts, complete: summary.complete, exit: summary.exit, errorMessage: summary.errorMessage };
}
