import { UnrecoverableError } from 'bullmq';
import type { AtlasConfig } from '../../../core/src/config.js';
import type { GraphClient } from '../../../core/src/graph/neo4j-client.js';
import { findStaleAssets, markAssetsStale, parsePolicies, recoveredStaleKeys, type StalenessPolicy } from '../../../core/src/graph/staleness-repository.js';
import type { QueueHub } from '../../../core/src/queue/queues.js';
import { sendWebhook, type AlertNotifier, type WebhookJobData } from '../alerts/alert-notifier.js';

export interface SweepResult {
  policies: number;
  staleAssets: number;
  markedStale: number;
  opened: number;
  recurred: number;
  resolved: number;
}

/** One pass of every staleness policy: open/bump alerts for stale assets, resolve recovered ones. */
export async function runStalenessSweep(graph: GraphClient, notifier: AlertNotifier, policies: StalenessPolicy[], now = new Date()): Promise<SweepResult> {
  const out: SweepResult = { policies: policies.length, staleAssets: 0, markedStale: 0, opened: 0, recurred: 0, resolved: 0 };
  const staleIds = new Set<string>();
  for (const p of policies) {
    const stale = await findStaleAssets(graph, p, now);
    for (const a of stale) {
      staleIds.add(a.id);
      const hours = ((now.getTime() - new Date(a.lastSeen).getTime()) / 3_600_000).toFixed(1);
      const change = await notifier.open({
        type: 'stale',
        dedupeKey: `stale:${p.name}:${a.id}`,
        severity: p.severity,
        message: `${a.name ?? a.id} not seen for ${hours} h (policy ${p.name}: at most ${p.maxAgeSeconds} s${p.source ? ` by ${p.source}` : ''})`,
        assetId: a.id,
        evidence: { policy: p.name, lastSeen: a.lastSeen, maxAgeSeconds: p.maxAgeSeconds, kind: a.kind, ephiRole: a.ephiRole },
      });
      if (change.event === 'opened') out.opened++;
      else out.recurred++;
    }
    const recovered = await recoveredStaleKeys(graph, p, now);
    if (recovered.length) out.resolved += (await notifier.resolve({ dedupeKeys: recovered }, 'asset seen again')).length;
  }
  out.staleAssets = staleIds.size;
  out.markedStale = await markAssetsStale(graph, [...staleIds]);
  return out;
}

export type MaintenanceHandler = (job: { id?: string; name: string; data: unknown }) => Promise<unknown>;
const extraHandlers = new Map<string, MaintenanceHandler>();

/**
 * The maintenance queue has one worker, here; other features (snapshots, reports) add their job
 * names with this instead of starting a second worker that would take jobs it cannot handle.
 */
export function registerMaintenanceHandler(name: string, handler: MaintenanceHandler): void {
  extraHandlers.set(name, handler);
}

export function startMaintenanceWorker(queues: QueueHub, graph: GraphClient, config: AtlasConfig, notifier: AlertNotifier) {
  const policies = parsePolicies(config.ATLAS_STALENESS_POLICIES);
  return queues.startWorker<WebhookJobData | Record<string, never>, unknown>(
    'maintenance',
    async (job) => {
      if (job.name === 'staleness-sweep') return runStalenessSweep(graph, notifier, policies);
      if (job.name === 'webhook') return sendWebhook(job.data as WebhookJobData, config.ATLAS_ALERT_WEBHOOK_SECRET);
      const extra = extraHandlers.get(job.name);
      if (extra) return extra(job);
      throw new UnrecoverableError(`UNKNOWN_JOB: no maintenance handler for ${job.name}`);
    },
    { concurrency: 2 },
  );
}
