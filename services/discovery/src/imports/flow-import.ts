import { randomUUID } from 'node:crypto';
import { createReadStream } from 'node:fs';
import type { Job } from 'bullmq';
import { ingestHosts } from '../../../core/src/graph/asset-ingest-repository.js';
import { upsertConnections } from '../../../core/src/graph/connection-ingest-repository.js';
import type { GraphClient } from '../../../core/src/graph/neo4j-client.js';
import type { QueueHub } from '../../../core/src/queue/queues.js';
import type { NmapHost } from '../nmap/nmap-types.js';
import { aggregateFlows, parseFlowLog, type FlowFormat, type FlowRecord } from './flow-log-parser.js';
import { removeUpload, saveUpload, uploadPath } from './upload-store.js';

export interface FlowImportJobData {
  kind: 'zeek';
  path: string;
  sourceId: string;
  filename?: string;
  requestedBy?: string;
}

export interface FlowImportResult {
  format: FlowFormat;
  flows: number;
  connections: number;
  endpoints: number;
  assetsCreated: number;
  skipped: number;
}

/** Saves a flow log, validates every line (a bad line is a 400 naming it), and queues the import. */
export async function acceptFlowUpload(queues: QueueHub, dataDir: string, body: NodeJS.ReadableStream, meta: { filename?: string; requestedBy?: string } = {}): Promise<string> {
  await queues.assertAvailable();
  const jobId = queues.newJobId('import', randomUUID());
  const path = uploadPath(dataDir, jobId, 'log');
  await saveUpload(body, path);
  try {
    for await (const _ of parseFlowLog(createReadStream(path))) void _;
  } catch (err) {
    await removeUpload(path);
    throw err;
  }
  const data: FlowImportJobData = { kind: 'zeek', path, sourceId: 'flow-import', filename: meta.filename, requestedBy: meta.requestedBy };
  try {
    return await queues.add('import', 'zeek', data, { jobId });
  } catch (err) {
    await removeUpload(path);
    throw err;
  }
}

function bareHost(ip: string): NmapHost {
  return { status: 'up', addresses: [{ addr: ip, addrtype: ip.includes(':') ? 'ipv6' : 'ipv4' }], hostnames: [], ports: [], extraPorts: [], os: { matches: [], portsUsed: [] }, hostScripts: [] } as unknown as NmapHost;
}

/**
 * get → transform → load: aggregates flows per (src, dst, protocol, port); every endpoint goes
 * through the asset ingestion as a bare address (unknown ones become candidate assets, known ones
 * get per-source provenance), then the edges are merged. Safe to run twice (see the repository).
 */
export async function processFlowImport(job: Job<FlowImportJobData>, graph: GraphClient): Promise<FlowImportResult> {
  const records: FlowRecord[] = [];
  let format: FlowFormat = 'zeek-tsv';
  for await (const r of parseFlowLog(createReadStream(job.data.path))) {
    format = r.format;
    records.push(r);
  }
  const edges = aggregateFlows(records);
  const last = new Map<string, number>();
  for (const r of records) for (const ip of [r.src, r.dst]) last.set(ip, Math.max(last.get(ip) ?? 0, r.lastSeen));
  let assetsCreated = 0;
  const ips = [...last.keys()];
  for (let i = 0; i < ips.length; i += 500) {
    const slice = ips.slice(i, i + 500);
    const at = new Date(Math.max(...slice.map((ip) => last.get(ip)!))).toISOString();
    const c = await ingestHosts(graph, { runId: `run-${job.id}`, sourceId: job.data.sourceId, at }, slice.map(bareHost));
    assetsCreated += c.assetsCreated;
    await job.updateProgress({ percent: Math.round(((i + slice.length) / ips.length) * 50), endpoints: i + slice.length });
  }
  let written = 0;
  let skipped = 0;
  for (let i = 0; i < edges.length; i += 1_000) {
    const r = await upsertConnections(graph, String(job.id), job.data.sourceId, edges.slice(i, i + 1_000));
    written += r.edges;
    skipped += r.skipped;
    await job.updateProgress({ percent: 50 + Math.round(((i + 1_000) / edges.length) * 50), connections: written });
  }
  return { format, flows: records.length, connections: written, endpoints: ips.length, assetsCreated, skipped };
}
