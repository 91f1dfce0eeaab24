import type { AtlasConfig } from '../../../core/src/config.js';
import { evaluateAsset, excerpt, matchAiDomain, probesFor, type HttpFact, type SuggestionDraft } from '../../../core/src/classification/engine.js';
import { loadRules, type LoadedRules } from '../../../core/src/classification/rules.js';
import { inScope } from '../../../core/src/classification/scope.js';
import type { GraphClient } from '../../../core/src/graph/neo4j-client.js';
import { ReviewRepository } from '../../../core/src/graph/review-repository.js';
import { SnapshotRepository } from '../../../core/src/graph/snapshot-repository.js';
import { SuggestionRepository, type ClassificationAlert } from '../../../core/src/graph/suggestion-repository.js';
import type { QueueHub } from '../../../core/src/queue/queues.js';

/**
 * Classification: re-evaluates suggestions after every finished import (and on a schedule),
 * raises shadow-AI and AI-without-BAA alerts, sweeps overdue reviews and takes scheduled
 * evidence snapshots. Every job is idempotent: suggestion and alert ids derive from their
 * evidence, so a retried or repeated job changes nothing. See services/core/src/classification/DESIGN.md.
 */
export type ClassificationJob = { kind: 'evaluate'; assetIds?: string[]; trigger?: string } | { kind: 'review-sweep'; intervalDays?: number } | { kind: 'snapshot' };

export interface ProbeOptions {
  /** Authorised scope (CIDRs, comma-separated); probes go only to addresses inside it. */
  scope: string;
  enabled: boolean;
  timeoutMs?: number;
  maxProbes?: number;
  maxBytes?: number;
}

export interface EvaluationResult {
  assets: number;
  suggestions: { created: number; updated: number; removed: number; total: number };
  probes: number;
  alerts: { shadowAi: number; ephiToAi: number; opened: number };
}

const PAGE = 500;

/** One bounded HTTP GET: short timeout, capped body, no redirects. */
export async function probeHttp(ip: string, port: number, path: string, timeoutMs: number, maxBytes: number): Promise<HttpFact | null> {
  const host = ip.includes(':') ? `[${ip}]` : ip;
  const url = `http://${host}:${port}${path}`;
  try {
    const res = await fetch(url, { signal: AbortSignal.timeout(timeoutMs), redirect: 'manual', headers: { accept: 'application/json, */*' } });
    const reader = res.body?.getReader();
    let body = '';
    let size = 0;
    if (reader) {
      const dec = new TextDecoder();
      for (;;) {
        const { done, value } = await reader.read();
        if (done) break;
        size += value.length;
        body += dec.decode(value, { stream: true });
        if (size >= maxBytes) {
          await reader.cancel().catch(() => {});
          break;
        }
      }
    }
    return { port, path, url, status: res.status, body: body.slice(0, maxBytes) };
  } catch {
    return null;
  }
}

export async function evaluateClassification(graph: GraphClient, probe: ProbeOptions, opts: { assetIds?: string[]; rules?: LoadedRules } = {}): Promise<EvaluationResult> {
  const rules = opts.rules ?? loadRules();
  const repo = new SuggestionRepository(graph);
  const result: EvaluationResult = { assets: 0, suggestions: { created: 0, updated: 0, removed: 0, total: 0 }, probes: 0, alerts: { shadowAi: 0, ephiToAi: 0, opened: 0 } };
  const timeoutMs = probe.timeoutMs ?? 1_500;
  const maxProbes = probe.maxProbes ?? 200;
  const maxBytes = probe.maxBytes ?? 65_536;
  let after = '';
  for (;;) {
    const page = await repo.assetFacts({ afterId: after, limit: PAGE, assetIds: opts.assetIds });
    if (page.length === 0) break;
    after = page[page.length - 1]!.assetId;
    const drafts: SuggestionDraft[] = [];
    for (const facts of page) {
      const http: HttpFact[] = [];
      if (probe.enabled && result.probes < maxProbes) {
        const ip = facts.ips.find((x) => inScope(x, probe.scope));
        if (ip) {
          for (const p of probesFor(facts, rules)) {
            if (result.probes >= maxProbes) break;
            result.probes++;
            const r = await probeHttp(ip, p.port, p.path, timeoutMs, maxBytes);
            if (r) http.push(r);
          }
        }
      }
      drafts.push(...evaluateAsset({ ...facts, http }, rules));
    }
    const up = await repo.upsert(
      page.map((f) => f.assetId),
      drafts,
    );
    result.assets += page.length;
    result.suggestions.created += up.created;
    result.suggestions.updated += up.updated;
    result.suggestions.removed += up.removed;
    result.suggestions.total += drafts.length;
    if (page.length < PAGE) break;
  }

  const alerts: ClassificationAlert[] = [];
  for (const c of await repo.connectionsWithNames()) {
    const hit = c.names.map((n) => ({ n, d: matchAiDomain(n, rules.aiDomains) })).find((x) => x.d);
    if (!hit && !(c.toType === 'vendor' && c.toIsAiService)) continue;
    const provider = hit?.d?.provider ?? c.toName;
    const target = hit?.n ?? c.toName;
    const ephi = ['stores', 'processes', 'transmits'].includes(c.fromEphi ?? '');
    result.alerts.shadowAi++;
    alerts.push({
      type: 'shadow-ai',
      dedupeKey: `shadow-ai:${c.fromId}:${provider.toLowerCase()}`,
      severity: ephi ? 'high' : 'medium',
      message: `${c.fromName} connects to ${target} (${provider}), an AI service; confirm whether ePHI is sent and whether a BAA covers it`,
      assetId: c.fromId,
      evidence: { provider, endpoint: target, via: c.toName, port: c.port, protocol: c.protocol, fromEphiRole: c.fromEphi },
    });
  }
  for (const f of await repo.ephiFlowsToAi()) {
    const aiByDomain = f.toDomains.some((d) => matchAiDomain(d, rules.aiDomains));
    if (!(f.toIsAi || aiByDomain) || f.baaCurrent) continue;
    result.alerts.ephiToAi++;
    alerts.push({
      type: 'ephi-ai-no-baa',
      dedupeKey: `ephi-ai-no-baa:${f.flowId}`,
      severity: 'high',
      message: `ePHI flows from ${f.fromName} to the AI service ${f.toName} without a current BAA`,
      assetId: f.fromId,
      evidence: { flowId: f.flowId, to: { type: f.toType, id: f.toId, name: f.toName } },
    });
  }
  result.alerts.opened = await repo.openAlerts(alerts);
  return result;
}

export interface ClassificationWorkerOptions {
  probe?: Partial<ProbeOptions>;
  /** Re-evaluate when an import or scan job completes (default true). */
  afterImports?: boolean;
}

export function startClassificationWorker(queues: QueueHub, graph: GraphClient, config: AtlasConfig, opts: ClassificationWorkerOptions = {}) {
  const probe: ProbeOptions = { scope: config.ATLAS_SCAN_SCOPE, enabled: true, ...opts.probe };
  const worker = queues.startWorker<ClassificationJob, unknown>('classification', async (job) => {
    const d = job.data;
    if (d.kind === 'evaluate') return evaluateClassification(graph, probe, { assetIds: d.assetIds });
    if (d.kind === 'review-sweep') return new ReviewRepository(graph).sweepOverdue(d.intervalDays);
    if (d.kind === 'snapshot') return new SnapshotRepository(graph, config.ATLAS_DATA_DIR).take({ trigger: 'scheduled', takenBy: 'scheduler' });
    throw new Error(`unknown classification job ${(d as { kind: string }).kind}`);
  });
  if (opts.afterImports ?? true) {
    // One evaluation per finished import; the job id makes a repeated event a no-op. The
    // QueueEvents connection is closed with the QueueHub.
    queues.queueEvents('import').on('completed', ({ jobId }) => {
      void queues
        .add('classification', 'evaluate', { kind: 'evaluate', trigger: jobId } satisfies ClassificationJob, { jobId: queues.newJobId('classification', `after-${jobId}`) })
        .catch(() => {});
    });
    // Scans finish in chunks: one evaluation per minute of finished chunks, a little after the
    // last one, is enough (see evaluateAfterScan).
    queues.queueEvents('scan').on('completed', ({ jobId }) => {
      void evaluateAfterScan(queues, jobId).catch(() => {});
    });
  }
  return worker;
}

const PENDING = new Set(['delayed', 'waiting', 'prioritized', 'waiting-children']);

/**
 * Queues the evaluation after a finished scan chunk. Chunks finishing in the same minute share one
 * delayed job. If that minute's job has already started (or finished), it may have read the graph
 * before this chunk's results, and adding the same id again would be a silent no-op; the chunk
 * then gets an evaluation of its own.
 */
export async function evaluateAfterScan(queues: QueueHub, scanJobId: string, now = new Date()): Promise<string> {
  const minute = now.toISOString().slice(0, 16).replace(/[-:]/g, '');
  const minuteId = queues.newJobId('classification', `after-scan-${minute}`);
  const state = await queues.queue('classification').getJobState(minuteId);
  const pending = state === 'unknown' || PENDING.has(state);
  const data: ClassificationJob = { kind: 'evaluate', trigger: pending ? `scan-${minute}` : scanJobId };
  return queues.add('classification', 'evaluate', data, { jobId: pending ? minuteId : queues.newJobId('classification', `after-${scanJobId}`), delay: 10_000 });
}

/**
 * Deterministic scheduler ids and cron patterns (UTC), so calling this from several processes or
 * on every start leaves one scheduler each and never fires a job at start-up.
 */
export const CLASSIFICATION_SCHEDULES = {
  'classification-evaluate': { pattern: '17 * * * *', name: 'evaluate', data: { kind: 'evaluate', trigger: 'schedule' } },
  'review-sweep': { pattern: '0 3 * * *', name: 'review-sweep', data: { kind: 'review-sweep' } },
  'evidence-snapshot': { pattern: '0 2 * * *', name: 'snapshot', data: { kind: 'snapshot' } },
} as const satisfies Record<string, { pattern: string; name: string; data: ClassificationJob }>;

export async function upsertClassificationSchedules(queues: QueueHub): Promise<void> {
  const q = queues.queue('classification');
  for (const [id, s] of Object.entries(CLASSIFICATION_SCHEDULES)) {
    await q.upsertJobScheduler(id, { pattern: s.pattern, tz: 'UTC' }, { name: s.name, data: s.data });
  }
}

export { excerpt };
