import { randomUUID, createHash } from 'node:crypto';
import { ConflictError, NotFoundError, ValidationError } from '../errors.js';
import { scriptsFromProperty, type AssetFacts, type SuggestionDraft } from '../classification/engine.js';
import { ALERT_TYPES, openAlert, type AlertSeverity, type AlertType } from './alert-repository.js';
import { int, type GraphClient } from './neo4j-client.js';

/**
 * Suggestions (:Suggestion)-[:ABOUT]->(:Asset) written by the classification worker, and their
 * confirmation into asserted fields. Ids are derived from (type, asset, rule), so re-evaluating
 * the same evidence updates one node and never duplicates it; a dismissed or confirmed
 * suggestion keeps its state on re-evaluation.
 */
export const SUGGESTION_STATES = ['open', 'confirmed', 'dismissed'] as const;
export type SuggestionState = (typeof SUGGESTION_STATES)[number];

export interface SuggestionView {
  id: string;
  type: 'ai-system' | 'ephi-role';
  state: SuggestionState;
  assetId: string;
  assetName: string | null;
  ruleId: string;
  ruleVersion: string;
  title: string;
  value: Record<string, string>;
  confidence: number;
  evidence: string[];
  createdAt: string | null;
  updatedAt: string | null;
  decidedAt: string | null;
  decidedBy: string | null;
  reason: string | null;
}

export interface AssetFactsRow extends AssetFacts {
  ips: string[];
}

const VIEW = `{
  id: s.id, type: s.type, state: s.state, assetId: a.id, assetName: coalesce(a.name, a.id), ruleId: s.ruleId, ruleVersion: s.ruleVersion,
  title: s.title, valueJson: s.valueJson, confidence: s.confidence, evidence: coalesce(s.evidence, []), createdAt: s.createdAt,
  updatedAt: s.updatedAt, decidedAt: s.decidedAt, decidedBy: s.decidedBy, reason: s.reason
}`;

function toView(r: Record<string, unknown>): SuggestionView {
  const { valueJson, ...rest } = r as Record<string, unknown> & { valueJson?: string };
  return { ...(rest as unknown as SuggestionView), value: valueJson ? (JSON.parse(valueJson) as Record<string, string>) : {} };
}

function evidenceKey(d: SuggestionDraft): string {
  return createHash('sha256').update(JSON.stringify([d.ruleVersion, d.value, d.confidence, d.evidence])).digest('hex').slice(0, 32);
}

/** Alerts raised by classification; the type falls back to 'other' until the alert types list names it. */
export interface ClassificationAlert {
  type: 'shadow-ai' | 'ephi-ai-no-baa' | 'review-overdue';
  dedupeKey: string;
  severity: AlertSeverity;
  message: string;
  assetId?: string | null;
  evidence?: Record<string, unknown>;
}

export function alertType(t: ClassificationAlert['type']): AlertType {
  return (ALERT_TYPES as readonly string[]).includes(t) ? (t as AlertType) : 'other';
}

export async function raiseAlert(graph: GraphClient, a: ClassificationAlert): Promise<boolean> {
  const res = await openAlert(graph, {
    type: alertType(a.type),
    dedupeKey: a.dedupeKey,
    severity: a.severity,
    message: a.message,
    ...(a.assetId ? { assetId: a.assetId } : {}),
    evidence: { kind: a.type, ...(a.evidence ?? {}) },
  }, 'classification');
  return res.event === 'opened';
}

export class SuggestionRepository {
  constructor(private readonly graph: GraphClient) {}

  /** Facts the engine needs, one page of assets at a time (ordered by id). */
  async assetFacts(opts: { afterId?: string; limit: number; assetIds?: string[] }): Promise<AssetFactsRow[]> {
    const rows = await this.graph.read(
      `MATCH (a:Asset) WHERE NOT a:Retired AND a.id > $after AND ($ids IS NULL OR a.id IN $ids)
       WITH a ORDER BY a.id LIMIT $limit
       CALL (a) {
         OPTIONAL MATCH (a)-[:HAS_SERVICE]->(s:Service)
         RETURN collect(s {.protocol, .port, .state, .name, .product, .version, .extrainfo, .scripts}) AS services
       }
       CALL (a) {
         OPTIONAL MATCH (x)-[f:EPHI_FLOW]->(a) WHERE coalesce(f.origin, 'asserted') = 'asserted'
         RETURN collect(CASE WHEN f IS NULL THEN NULL ELSE {fromName: coalesce(x.name, x.id), protocol: f.protocol, port: f.port, dataCategories: coalesce(f.dataCategories, [])} END) AS flows
       }
       RETURN a.id AS id, coalesce(a.ips, []) AS ips, services, flows`,
      { after: opts.afterId ?? '', limit: int(opts.limit), ids: opts.assetIds ?? null },
    );
    return rows.map((r) => ({
      assetId: r.id as string,
      ips: r.ips as string[],
      services: (r.services as Record<string, unknown>[])
        .filter((s) => typeof s.port === 'number')
        .map((s) => ({
          protocol: String(s.protocol ?? 'tcp'),
          port: s.port as number,
          state: (s.state as string) ?? null,
          name: (s.name as string) ?? null,
          product: (s.product as string) ?? null,
          version: (s.version as string) ?? null,
          extrainfo: (s.extrainfo as string) ?? null,
          scripts: scriptsFromProperty(s.scripts),
        })),
      inboundFlows: r.flows as AssetFacts['inboundFlows'],
    }));
  }

  /**
   * Writes the drafts for the evaluated assets. Open suggestions of those assets that no longer
   * match are removed; dismissed and confirmed ones stay as the record of a person's decision.
   */
  async upsert(evaluatedAssetIds: string[], drafts: SuggestionDraft[]): Promise<{ created: number; updated: number; removed: number }> {
    const rows = drafts.map((d) => ({ ...d, valueJson: JSON.stringify(d.value), evidenceKey: evidenceKey(d) }));
    return this.graph.executeWrite(async (tx) => {
      const up = await tx.run(
        `UNWIND $rows AS d
         MATCH (a:Asset {id: d.assetId})
         MERGE (s:Suggestion {id: d.id})
           ON CREATE SET s.createdAt = datetime(), s.state = 'open', s.type = d.type, s.assetId = d.assetId, s.ruleId = d.ruleId, s.isNew = true
         WITH s, a, d, coalesce(s.isNew, false) AS isNew, coalesce(s.evidenceKey, '') <> d.evidenceKey AS changed
         REMOVE s.isNew
         FOREACH (_ IN CASE WHEN changed THEN [1] ELSE [] END |
           SET s.ruleVersion = d.ruleVersion, s.title = d.title, s.valueJson = d.valueJson, s.confidence = d.confidence,
               s.evidence = d.evidence, s.evidenceKey = d.evidenceKey, s.updatedAt = datetime())
         MERGE (s)-[:ABOUT]->(a)
         RETURN sum(CASE WHEN isNew THEN 1 ELSE 0 END) AS created, sum(CASE WHEN changed AND NOT isNew THEN 1 ELSE 0 END) AS updated`,
        { rows },
      );
      const rm = await tx.run(
        `MATCH (s:Suggestion {state: 'open'}) WHERE s.assetId IN $assets AND NOT s.id IN $keep
         DETACH DELETE s RETURN count(*) AS n`,
        { assets: evaluatedAssetIds, keep: drafts.map((d) => d.id) },
      );
      return { created: Number(up[0]?.created ?? 0), updated: Number(up[0]?.updated ?? 0), removed: Number(rm[0]?.n ?? 0) };
    });
  }

  async list(q: { state?: SuggestionState; type?: string; assetId?: string; limit: number; offset?: number }): Promise<{ items: SuggestionView[]; total: number }> {
    const params = { state: q.state ?? null, type: q.type ?? null, assetId: q.assetId ?? null };
    const where = `($state IS NULL OR s.state = $state) AND ($type IS NULL OR s.type = $type) AND ($assetId IS NULL OR s.assetId = $assetId)`;
    const rows = await this.graph.read(
      `MATCH (s:Suggestion)-[:ABOUT]->(a:Asset) WHERE ${where}
       WITH s, a ORDER BY s.confidence DESC, s.id SKIP $offset LIMIT $limit
       RETURN ${VIEW} AS s`,
      { ...params, offset: int(q.offset ?? 0), limit: int(q.limit) },
    );
    const total = await this.graph.read(`MATCH (s:Suggestion) WHERE ${where} RETURN count(s) AS n`, params);
    return { items: rows.map((r) => toView(r.s as Record<string, unknown>)), total: Number(total[0]?.n ?? 0) };
  }

  async get(id: string): Promise<SuggestionView> {
    const rows = await this.graph.read(`MATCH (s:Suggestion {id: $id})-[:ABOUT]->(a:Asset) RETURN ${VIEW} AS s`, { id });
    if (!rows[0]) throw new NotFoundError('suggestion', id);
    return toView(rows[0].s as Record<string, unknown>);
  }

  /** Moves the suggested value into the asserted fields of the asset; returns them before and after. */
  async confirm(id: string, by: string): Promise<{ suggestion: SuggestionView; before: Record<string, unknown>; after: Record<string, unknown> }> {
    const s = await this.get(id);
    if (s.state !== 'open') throw new ConflictError('SUGGESTION_NOT_OPEN', `suggestion ${id} is already ${s.state}`, { id, state: s.state });
    const result = await this.graph.executeWrite(async (tx) => {
      const fields = ['a_ephiRole', 'ephiRole', 'a_isAi', 'isAi', 'a_aiProvider', 'a_aiHosting'];
      const beforeRows = await tx.run(`MATCH (a:Asset {id: $assetId}) RETURN a {${fields.map((f) => `.${f}`).join(', ')}} AS before`, { assetId: s.assetId });
      if (!beforeRows[0]) throw new NotFoundError('asset', s.assetId);
      if (s.type === 'ephi-role') {
        await tx.run(`MATCH (a:Asset {id: $assetId}) SET a.a_ephiRole = $role, a.ephiRole = $role, a.a_ephiRoleAt = datetime(), a.a_ephiRoleBy = $by`, {
          assetId: s.assetId,
          role: s.value.ephiRole,
          by,
        });
      } else {
        await tx.run(
          `MATCH (a:Asset {id: $assetId})
           SET a:AISystem, a.a_isAi = true, a.isAi = true, a.a_aiProvider = coalesce(a.a_aiProvider, $provider),
               a.a_aiHosting = coalesce(a.a_aiHosting, $hosting), a.a_aiUpdatedAt = datetime(), a.a_aiUpdatedBy = $by`,
          { assetId: s.assetId, provider: s.value.provider ?? null, hosting: s.value.hosting ?? null, by },
        );
      }
      await tx.run(`MATCH (s:Suggestion {id: $id}) SET s.state = 'confirmed', s.decidedAt = datetime(), s.decidedBy = $by`, { id, by });
      const afterRows = await tx.run(`MATCH (a:Asset {id: $assetId}) RETURN a {${fields.map((f) => `.${f}`).join(', ')}} AS after`, { assetId: s.assetId });
      return { before: beforeRows[0]!.before as Record<string, unknown>, after: afterRows[0]!.after as Record<string, unknown> };
    });
    return { suggestion: await this.get(id), ...result };
  }

  async dismiss(id: string, by: string, reason: string | null): Promise<SuggestionView> {
    const s = await this.get(id);
    if (s.state !== 'open') throw new ConflictError('SUGGESTION_NOT_OPEN', `suggestion ${id} is already ${s.state}`, { id, state: s.state });
    await this.graph.write(`MATCH (s:Suggestion {id: $id}) SET s.state = 'dismissed', s.decidedAt = datetime(), s.decidedBy = $by, s.reason = $reason`, { id, by, reason });
    return this.get(id);
  }

  /** Observed connections whose far end has a name or vendor record to match against AI domains. */
  async connectionsWithNames(limit = 50_000): Promise<
    { fromId: string; fromName: string; fromEphi: string | null; toType: 'asset' | 'vendor'; toId: string; toName: string; names: string[]; toIsAiService: boolean; port: number | null; protocol: string | null }[]
  > {
    const rows = await this.graph.read(
      `MATCH (x:Asset)-[c:CONNECTS_TO]->(y)
       WHERE NOT x:Retired AND (y:Vendor OR y.fqdn IS NOT NULL OR size(coalesce(y.hostnames, [])) > 0
             OR c.host IS NOT NULL OR c.serverName IS NOT NULL OR c.domain IS NOT NULL OR c.sni IS NOT NULL)
       WITH x, c, y LIMIT $limit
       RETURN x.id AS fromId, coalesce(x.name, x.id) AS fromName, x.ephiRole AS fromEphi,
              CASE WHEN y:Vendor THEN 'vendor' ELSE 'asset' END AS toType, y.id AS toId, coalesce(y.name, y.id) AS toName,
              [n IN [c.host, c.serverName, c.domain, c.sni, y.fqdn] + coalesce(y.hostnames, []) + coalesce(y.domains, []) WHERE n IS NOT NULL] AS names,
              coalesce(y.isAiService, false) AS toIsAiService, c.port AS port, c.protocol AS protocol`,
      { limit: int(limit) },
    );
    return rows as never;
  }

  /** Asserted ePHI flows to AI services (vendors flagged as AI services, or vendor-hosted AI assets) with whether a BAA covers them today. */
  async ephiFlowsToAi(): Promise<{ flowId: string; fromId: string | null; fromName: string; toName: string; toType: string; toId: string; toDomains: string[]; baaCurrent: boolean; toIsAi: boolean }[]> {
    const rows = await this.graph.read(
      `MATCH (x)-[f:EPHI_FLOW]->(y)
       WHERE (y:Vendor) OR (y:Asset AND coalesce(y.isAi, false) AND coalesce(y.a_aiHosting, '') = 'vendor-saas')
       RETURN f.id AS flowId, CASE WHEN x:Asset THEN x.id ELSE NULL END AS fromId, coalesce(x.name, x.id) AS fromName,
              coalesce(y.name, y.id) AS toName, CASE WHEN y:Vendor THEN 'vendor' ELSE 'asset' END AS toType, y.id AS toId,
              coalesce(y.domains, []) AS toDomains,
              CASE WHEN y:Vendor THEN (coalesce(y.baaSigned, false) AND (y.baaEffective IS NULL OR y.baaEffective <= date()) AND (y.baaExpires IS NULL OR y.baaExpires >= date()))
                   ELSE coalesce(y.a_aiBaaStatus, '') = 'signed' END AS baaCurrent,
              CASE WHEN y:Vendor THEN coalesce(y.isAiService, false) ELSE true END AS toIsAi`,
    );
    return rows as never;
  }

  async openAlerts(alerts: ClassificationAlert[]): Promise<number> {
    let opened = 0;
    for (const a of alerts) if (await raiseAlert(this.graph, a)) opened++;
    return opened;
  }
}

export function newId(prefix: string): string {
  return `${prefix}-${randomUUID()}`;
}

export function assertState(s: string): asserts s is SuggestionState {
  if (!(SUGGESTION_STATES as readonly string[]).includes(s)) throw new ValidationError('INVALID_STATE', `state must be one of ${SUGGESTION_STATES.join(', ')}`, { field: 'state' });
}
