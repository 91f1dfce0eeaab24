import { randomUUID } from 'node:crypto';
import { ConflictError, NotFoundError } from '../errors.js';
import { int, type GraphClient, type Row } from './neo4j-client.js';

/**
 * Stateful alerts (open → acknowledged → resolved) with a history. An alert is found again by its
 * dedupe key while it is not resolved: `openKey` holds the key until resolution and is
 * unique-constrained (migration 300), so concurrent callers bump one alert instead of opening two.
 */
export const ALERT_STATES = ['open', 'acknowledged', 'resolved'] as const;
export type AlertState = (typeof ALERT_STATES)[number];
export const ALERT_TYPES = ['stale', 'new-asset', 'new-port', 'scan-failed', 'scan-partial', 'shadow-ai', 'ephi-ai-no-baa', 'review-overdue', 'other'] as const;
export type AlertType = (typeof ALERT_TYPES)[number];
export const ALERT_SEVERITIES = ['info', 'low', 'medium', 'high', 'critical'] as const;
export type AlertSeverity = (typeof ALERT_SEVERITIES)[number];

export interface AlertInput {
  type: AlertType;
  dedupeKey: string;
  severity: AlertSeverity;
  message: string;
  assetId?: string;
  evidence?: Record<string, unknown>;
}

export interface AlertHistoryEntry {
  at: string;
  action: 'opened' | 'recurred' | 'acknowledged' | 'resolved';
  by: string;
  note?: string;
}

export interface Alert {
  id: string;
  type: string;
  dedupeKey: string;
  severity: string;
  state: AlertState;
  message: string;
  assetId: string | null;
  evidence: Record<string, unknown> | null;
  occurrences: number;
  openedAt: string;
  updatedAt: string;
  resolvedAt: string | null;
  history: AlertHistoryEntry[];
}

export interface AlertChange {
  alert: Alert;
  event: 'opened' | 'recurred' | 'acknowledged' | 'resolved';
}

const RETURN = `RETURN x {.id, .type, .dedupeKey, .severity, .state, .message, .assetId, .evidence, .occurrences, .openedAt, .updatedAt, .resolvedAt, .history} AS x`;

function entry(action: AlertHistoryEntry['action'], by: string, note?: string): string {
  return JSON.stringify({ at: new Date().toISOString(), action, by, ...(note ? { note } : {}) });
}

function toAlert(row: Row | undefined): Alert | null {
  if (!row) return null;
  const x = row.x as Record<string, unknown>;
  return {
    id: x.id as string,
    type: x.type as string,
    dedupeKey: x.dedupeKey as string,
    severity: x.severity as string,
    state: x.state as AlertState,
    message: x.message as string,
    assetId: (x.assetId as string | null) ?? null,
    evidence: x.evidence ? (JSON.parse(x.evidence as string) as Record<string, unknown>) : null,
    occurrences: Number(x.occurrences ?? 1),
    openedAt: x.openedAt as string,
    updatedAt: x.updatedAt as string,
    resolvedAt: (x.resolvedAt as string | null) ?? null,
    history: ((x.history as string[] | null) ?? []).map((h) => JSON.parse(h) as AlertHistoryEntry),
  };
}

/** Opens an alert, or records one more occurrence of the open one with the same dedupe key. */
export async function openAlert(graph: GraphClient, input: AlertInput, by = 'system'): Promise<AlertChange> {
  const id = randomUUID();
  const rows = await graph.write(
    `MERGE (x:Alert {openKey: $key})
       ON CREATE SET x.id = $id, x.dedupeKey = $key, x.type = $type, x.state = 'open', x.openedAt = datetime(), x.occurrences = 0,
                     x.assetId = $assetId, x.history = [$opened]
     SET x.occurrences = x.occurrences + 1, x.updatedAt = datetime(), x.severity = $severity, x.message = $message,
         x.evidence = $evidence
     SET x.history = CASE WHEN x.id = $id THEN x.history ELSE x.history + [$recurred] END
     WITH x
     CALL (x) {
       OPTIONAL MATCH (a:Asset {id: x.assetId})
       FOREACH (_ IN CASE WHEN a IS NULL THEN [] ELSE [1] END | MERGE (x)-[:ABOUT]->(a))
     }
     WITH x, x.id = $id AS created
     ${RETURN}, created`,
    {
      key: input.dedupeKey,
      id,
      type: input.type,
      severity: input.severity,
      message: input.message,
      assetId: input.assetId ?? null,
      evidence: input.evidence ? JSON.stringify(input.evidence) : null,
      opened: entry('opened', by),
      recurred: entry('recurred', by),
    },
  );
  return { alert: toAlert(rows[0])!, event: rows[0]!.created ? 'opened' : 'recurred' };
}

export interface ResolveFilter {
  dedupeKeyPrefix?: string;
  dedupeKeys?: string[];
  type?: string;
}

/** Resolves every unresolved alert that matches; returns the resolved alerts. */
export async function resolveAlerts(graph: GraphClient, filter: ResolveFilter | string, note?: string, by = 'system'): Promise<Alert[]> {
  const f: ResolveFilter = typeof filter === 'string' ? { dedupeKeyPrefix: filter } : filter;
  if (!f.dedupeKeyPrefix && !f.dedupeKeys && !f.type) throw new Error('resolveAlerts needs a filter');
  const rows = await graph.write(
    `MATCH (x:Alert) WHERE x.openKey IS NOT NULL
       AND ($prefix IS NULL OR x.openKey STARTS WITH $prefix)
       AND ($keys IS NULL OR x.openKey IN $keys)
       AND ($type IS NULL OR x.type = $type)
     SET x.state = 'resolved', x.openKey = null, x.resolvedAt = datetime(), x.updatedAt = datetime(), x.history = x.history + [$h]
     ${RETURN}`,
    { prefix: f.dedupeKeyPrefix ?? null, keys: f.dedupeKeys ?? null, type: f.type ?? null, h: entry('resolved', by, note) },
  );
  return rows.map((r) => toAlert(r)!);
}

export async function getAlert(graph: GraphClient, id: string): Promise<Alert> {
  const a = toAlert((await graph.read(`MATCH (x:Alert {id: $id}) ${RETURN}`, { id }))[0]);
  if (!a) throw new NotFoundError('alert', id);
  return a;
}

export async function listAlerts(graph: GraphClient, q: { state?: AlertState; type?: string; assetId?: string; limit?: number }): Promise<Alert[]> {
  const rows = await graph.read(
    `MATCH (x:Alert)
     WHERE ($state IS NULL OR x.state = $state) AND ($type IS NULL OR x.type = $type) AND ($assetId IS NULL OR x.assetId = $assetId)
     WITH x ORDER BY x.updatedAt DESC LIMIT $limit
     ${RETURN}`,
    { state: q.state ?? null, type: q.type ?? null, assetId: q.assetId ?? null, limit: int(q.limit ?? 100) },
  );
  return rows.map((r) => toAlert(r)!);
}

/** A person acknowledges or resolves one alert. Resolving twice, or acknowledging a resolved alert, is a 409. */
export async function transitionAlert(graph: GraphClient, id: string, to: 'acknowledged' | 'resolved', by: string, note?: string): Promise<Alert> {
  const current = await getAlert(graph, id);
  if (current.state === 'resolved') throw new ConflictError('ALERT_RESOLVED', `alert ${id} is already resolved`, { id });
  if (to === 'acknowledged' && current.state === 'acknowledged') return current;
  const rows = await graph.write(
    `MATCH (x:Alert {id: $id}) WHERE x.state <> 'resolved'
     SET x.state = $to, x.updatedAt = datetime(), x.history = x.history + [$h],
         x.openKey = CASE WHEN $to = 'resolved' THEN null ELSE x.openKey END,
         x.resolvedAt = CASE WHEN $to = 'resolved' THEN datetime() ELSE x.resolvedAt END
     ${RETURN}`,
    { id, to, h: entry(to, by, note) },
  );
  const a = toAlert(rows[0]);
  if (!a) throw new ConflictError('ALERT_RESOLVED', `alert ${id} is already resolved`, { id });
  return a;
}
