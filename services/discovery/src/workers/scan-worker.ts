import { UnrecoverableError, type Job } from 'bullmq';
import type { AtlasConfig } from '../../../core/src/config.js';
import { AtlasError, NotFoundError } from '../../../core/src/errors.js';
import { finishRun, ingestHosts, markMissed, startRun, type IngestContext, type IngestCounts } from '../../../core/src/graph/asset-ingest-repository.js';
import { scannedPortsOf } from '../../../core/src/domain/observation.js';
import type { GraphClient } from '../../../core/src/graph/neo4j-client.js';
import { AuditRepository } from '../../../core/src/graph/audit-repository.js';
import { ScanRepository, findNewAssets, findNewEphiPorts } from '../../../core/src/graph/scan-repository.js';
import type { QueueHub } from '../../../core/src/queue/queues.js';
import type { AlertNotifier } from '../alerts/alert-notifier.js';
import type { NmapHost } from '../nmap/nmap-types.js';
import { NmapError, killAllNmap, runNmap } from '../scan/nmap-runner.js';
import { enqueueScanRun, type ScanChunkJobData } from '../scan/scan-service.js';
import type { ScheduledScanData } from '../scan/scan-scheduler.js';

/** Hosts per ingest batch during a scan: small, so the map fills in while nmap runs. */
const SCAN_INGEST_BATCH = 50;

export interface ScanChunkResult extends IngestCounts {
  runId: string;
  definitionId: string;
  chunk: number;
  chunks: number;
  complete: boolean;
  hostsUp: number;
  newAssets: number;
  newEphiPorts: number;
  missed: number;
  warnings?: string;
}

export interface ScanWorkerOptions {
  concurrency?: number;
  nmapPath?: string;
  lockDuration?: number;
}


export function startScanWorker(queues: QueueHub, graph: GraphClient, config: AtlasConfig, notifier: AlertNotifier, opts: ScanWorkerOptions = {}) {
  const controllers = new Map<string, AbortController>();
  let shuttingDown = false;
  const unsubscribe = queues.onCancel((id) => controllers.get(id)?.abort());
  const repo = new ScanRepository(graph);

  const worker = queues.startWorker<ScanChunkJobData | ScheduledScanData, unknown>(
    'scan',
    async (job) => {
      if (job.name === 'scheduled-scan') return expandScheduled(job as Job<ScheduledScanData>);
      const ac = new AbortController();
      controllers.set(job.id!, ac);
      try {
        if (await queues.isCancelled(job.id!)) throw new NmapError('JOB_CANCELLED', 'the scan was cancelled before it started');
        return await processChunk(job as Job<ScanChunkJobData>, graph, notifier, ac.signal, opts.nmapPath ?? config.ATLAS_NMAP_PATH, config.ATLAS_IDENTITY_IP_WINDOW_HOURS);
      } catch (err) {
        if (shuttingDown) throw new Error('WORKER_SHUTDOWN: the worker stopped; the chunk will run again');
        if (err instanceof AtlasError && (err.code === 'JOB_CANCELLED' || err.code === 'NMAP_NOT_FOUND' || err.status < 500)) {
          await scanFailedAlert(notifier, job as Job<ScanChunkJobData>, err, err.code !== 'JOB_CANCELLED');
          throw new UnrecoverableError(`${err.code}: ${err.message}`);
        }
        if (job.attemptsMade + 1 >= (job.opts.attempts ?? 1)) await scanFailedAlert(notifier, job as Job<ScanChunkJobData>, err as Error, true);
        if (err instanceof AtlasError) throw new Error(`${err.code}: ${err.message}`);
        throw err;
      } finally {
        controllers.delete(job.id!);
      }
    },
    { concurrency: opts.concurrency ?? 1, lockDuration: opts.lockDuration ?? 30_000, stalledInterval: Math.min(opts.lockDuration ?? 30_000, 30_000) },
  );

  async function expandScheduled(job: Job<ScheduledScanData>) {
    let def;
    try {
      def = await repo.get(job.data.definitionId);
    } catch (err) {
      if (err instanceof NotFoundError) return { skipped: 'definition deleted' };
      throw err;
    }
    // A scheduler's job id is `repeat:<schedulerId>:<millis>`: the millis name the run.
    const stamp = `s${(job.id ?? '').split(':').pop() || Date.now()}`;
    try {
      const jobIds = await enqueueScanRun(queues, graph, repo, config, def, stamp);
      // A scan nobody clicked still sends probes: the audit log says when and at what.
      await new AuditRepository(graph).append({
        actorKind: 'system',
        actorName: 'scheduler',
        action: 'scan.run.scheduled',
        target: def.id,
        detail: { name: def.name, targets: def.targets, profile: def.profile, jobIds },
      });
      return { jobIds };
    } catch (err) {
      if (err instanceof AtlasError && err.status < 500) {
        await notifier.open({ type: 'scan-failed', dedupeKey: `scan-failed:${def.id}`, severity: 'medium', message: `scheduled scan "${def.name}" refused: ${err.message}`, evidence: { definitionId: def.id, code: err.code } });
        throw new UnrecoverableError(`${err.code}: ${err.message}`);
      }
      throw err;
    }
  }

  return {
    worker,
    async close() {
      shuttingDown = true;
      for (const ac of controllers.values()) ac.abort();
      await killAllNmap();
      await worker.close();
      await unsubscribe();
    },
  };
}

async function scanFailedAlert(notifier: AlertNotifier, job: Job<ScanChunkJobData>, err: Error & { code?: string }, failed: boolean) {
  if (!failed || !job.data.definitionId) return;
  await notifier
    .open({
      type: 'scan-failed',
      dedupeKey: `scan-failed:${job.data.definitionId}`,
      severity: 'medium',
      message: `scan "${job.data.definitionName}" failed: ${err.message}`,
      evidence: { jobId: job.id, code: err.code ?? 'ERROR', chunk: job.data.chunk },
    })
    .catch(() => {});
}

export async function processChunk(
  job: Job<ScanChunkJobData>,
  graph: GraphClient,
  notifier: AlertNotifier,
  signal: AbortSignal,
  nmapPath: string,
  ipWindowHours?: number,
): Promise<ScanChunkResult> {
  const d = job.data;
  const runId = `run-${job.id}`;
  const at = new Date().toISOString();
  const counts: IngestCounts = { hosts: 0, assetsCreated: 0, assetsUpdated: 0, services: 0 };
  const ctx: IngestContext = { runId, sourceId: 'nmap', at, ipWindowHours };
  const ips: string[] = [];
  let batch: NmapHost[] = [];
  let hostsFound = 0;
  let lastPercent = 0;
  await startRun(graph, { id: runId, sourceId: 'nmap', kind: 'scan', args: `profile=${d.profile} chunk=${d.chunk + 1}/${d.chunks}`, scanner: 'nmap' });
  await job.updateProgress({ percent: 0, hostsFound: 0, chunk: d.chunk, chunks: d.chunks });
  const flush = async () => {
    if (batch.length === 0) return;
    // lastSeen is when the batch was read from nmap, not when the chunk started: a long scan must
    // not make the hosts it found look older than they are.
    const c = await ingestHosts(graph, { ...ctx, at: new Date().toISOString() }, batch);
    counts.hosts += c.hosts;
    counts.assetsCreated += c.assetsCreated;
    counts.assetsUpdated += c.assetsUpdated;
    counts.services += c.services;
    batch = [];
  };
  let result;
  try {
    result = await runNmap({
      profile: d.profile,
      family: d.family,
      specs: d.specs,
      nmapPath,
      signal,
      onRun: (run) => {
        ctx.scanned = scannedPortsOf(run); // ports probed: one a host no longer reports is closed
      },
      onHost: async (h) => {
        if (h.status !== 'up') return;
        hostsFound++;
        for (const a of h.addresses) if (a.addrtype !== 'mac') ips.push(a.addr);
        batch.push(h);
        if (batch.length >= SCAN_INGEST_BATCH) {
          await flush();
          await job.updateProgress({ percent: lastPercent, hostsFound, chunk: d.chunk, chunks: d.chunks });
        }
      },
      onProgress: async (p) => {
        lastPercent = Math.max(lastPercent, Math.min(99, Math.round(p.percent)));
        await job.updateProgress({ percent: lastPercent, task: p.task, remainingSeconds: p.remainingSeconds, hostsFound, chunk: d.chunk, chunks: d.chunks });
      },
    });
    await flush();
  } catch (err) {
    await flush().catch(() => {});
    await finishRun(graph, runId, { status: 'failed', counts, error: (err as Error).message }).catch(() => {});
    throw err;
  }
  // Only a complete run proves absence: hosts of the chunk's ranges that it did not see are missed.
  const missed = result.summary.complete ? await markMissed(graph, { runId, sourceId: 'nmap', at }, { ips: result.reported, ranges: d.specs }) : 0;
  await finishRun(graph, runId, { status: result.summary.complete ? 'completed' : 'incomplete', counts, observedAt: at, missed });

  const newAssets = await findNewAssets(graph, ips, at);
  for (const a of newAssets) {
    await notifier.open({ type: 'new-asset', dedupeKey: `new-asset:${a.assetId}`, severity: 'low', message: `new asset ${a.name ?? a.ip} (${a.ip}) found by scan "${d.definitionName}"`, assetId: a.assetId, evidence: { ip: a.ip, runId } });
  }
  const newPorts = await findNewEphiPorts(graph, ips, at);
  for (const p of newPorts) {
    await notifier.open({
      type: 'new-port',
      dedupeKey: `new-port:${p.assetId}:${p.protocol}/${p.port}`,
      severity: 'high',
      message: `new open port ${p.protocol}/${p.port}${p.product ? ` (${p.product})` : ''} on ePHI-bearing asset ${p.name ?? p.ip}`,
      assetId: p.assetId,
      evidence: { ip: p.ip, port: p.port, protocol: p.protocol, product: p.product, runId },
    });
  }
  if (!result.summary.complete) {
    await notifier.open({ type: 'scan-partial', dedupeKey: `scan-partial:${d.definitionId}`, severity: 'medium', message: `scan "${d.definitionName}" covered less than planned (nmap output incomplete)`, evidence: { jobId: job.id, runId } });
  } else {
    await notifier.resolve({ dedupeKeys: [`scan-failed:${d.definitionId}`, `scan-partial:${d.definitionId}`] }, `scan ${job.id} completed`);
  }
  await job.updateProgress({ percent: 100, hostsFound, chunk: d.chunk, chunks: d.chunks });
  return {
    runId,
    definitionId: d.definitionId,
    chunk: d.chunk,
    chunks: d.chunks,
    ...counts,
    complete: result.summary.complete,
    hostsUp: result.hostsUp,
    newAssets: newAssets.length,
    newEphiPorts: newPorts.length,
    missed,
    warnings: result.warnings || undefined,
  };
}
