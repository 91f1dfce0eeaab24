import { createReadStream } from 'node:fs';
import { UnrecoverableError, type Job } from 'bullmq';
import { AtlasError } from '../../../core/src/errors.js';
import type { GraphClient } from '../../../core/src/graph/neo4j-client.js';
import { finishRun, ingestHosts, markMissed, startRun, type IngestCounts } from '../../../core/src/graph/asset-ingest-repository.js';
import { targetsFromArgs } from '../../../core/src/domain/coverage.js';
import { scannedPortsOf, type ScannedPorts } from '../../../core/src/domain/observation.js';
import type { QueueHub } from '../../../core/src/queue/queues.js';
import type { NmapHost } from '../nmap/nmap-types.js';
import { parseNmapXml } from '../nmap/nmap-xml-parser.js';
import { removeUpload } from '../imports/upload-store.js';
import type { NmapImportJobData } from '../imports/nmap-import.js';
import { processFlowImport, type FlowImportJobData } from '../imports/flow-import.js';
import { processCsvImport, type CsvImportJobData } from '../imports/csv-inventory.js';

/** Hosts per UNWIND batch; see BENCHMARKS.md for how the size was chosen. */
export const INGEST_BATCH = 500;

export interface ImportResult extends IngestCounts {
  runId: string;
  missed?: number;
  complete: boolean;
  exit?: string;
  errorMessage?: string;
}

export function startImportWorker(queues: QueueHub, graph: GraphClient, concurrency = 1, ipWindowHours?: number) {
  return queues.startWorker<NmapImportJobData | FlowImportJobData | CsvImportJobData, unknown>(
    'import',
    async (job) => {
      try {
        if (job.name === 'zeek') return await processFlowImport(job as Job<FlowImportJobData>, graph);
        if (job.name === 'csv') return await processCsvImport(job as Job<CsvImportJobData>, graph);
        return await processNmapImport(job as Job<NmapImportJobData>, graph, ipWindowHours);
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

export async function processNmapImport(job: Job<NmapImportJobData>, graph: GraphClient, ipWindowHours?: number): Promise<ImportResult> {
  const runId = `run-${job.id}`;
  const counts: IngestCounts = { hosts: 0, assetsCreated: 0, assetsUpdated: 0, services: 0 };
  let batch: NmapHost[] = [];
  let started = false;
  let at = new Date().toISOString();
  let scanned: ScannedPorts = {};
  let targets: string[] = [];
  const coveredIps = new Set<string>();
  const flush = async () => {
    if (batch.length === 0) return;
    const c = await ingestHosts(graph, { runId, sourceId: job.data.sourceId, at, scanned, ipWindowHours }, batch);
    counts.hosts += c.hosts;
    counts.assetsCreated += c.assetsCreated;
    counts.assetsUpdated += c.assetsUpdated;
    counts.services += c.services;
    counts.changes = (counts.changes ?? 0) + (c.changes ?? 0);
    counts.conflicts = (counts.conflicts ?? 0) + (c.conflicts ?? 0);
    batch = [];
    await job.updateProgress({ hosts: counts.hosts });
  };
  let summary: { complete: boolean; exit?: string; errorMessage?: string } = { complete: false };
  for await (const ev of parseNmapXml(createReadStream(job.data.path))) {
    if (ev.type === 'run') {
      at = ev.run.startedAt ?? at;
      scanned = scannedPortsOf(ev.run);
      targets = targetsFromArgs(ev.run.args);
      await startRun(graph, { id: runId, sourceId: job.data.sourceId, kind: 'nmap-import', args: ev.run.args, scanner: ev.run.scanner, scannerVersion: ev.run.version, filename: job.data.filename });
      started = true;
    } else if (ev.type === 'host') {
      for (const a of ev.host.addresses) if (a.addrtype !== 'mac') coveredIps.add(a.addr);
      batch.push(ev.host);
      if (batch.length >= INGEST_BATCH) await flush();
    } else if (ev.type === 'end') {
      summary = ev.summary;
    }
  }
  if (!started) await startRun(graph, { id: runId, sourceId: job.data.sourceId, kind: 'nmap-import', filename: job.data.filename });
  await flush();
  // Absent hosts count as missed only when the run is complete and did not fail.
  const missed = summary.complete && summary.exit !== 'error' ? await markMissed(graph, { runId, sourceId: job.data.sourceId, at }, { ips: [...coveredIps], ranges: targets }) : 0;
  await finishRun(graph, runId, { status: summary.complete ? 'completed' : 'incomplete', counts, error: summary.errorMessage, observedAt: at, missed });
  return { runId, ...counts, missed, complete: summary.complete, exit: summary.exit, errorMessage: summary.errorMessage };
}
