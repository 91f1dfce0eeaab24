import { NotFoundError } from '../errors.js';
import { int, type GraphClient } from './neo4j-client.js';

/**
 * AI systems: any asset tagged by a person (asserted `a_ai*` fields, effective `isAi`, extra
 * label :AISystem), plus vendors flagged as AI services. Property keys come from AI_FIELDS only.
 */
export const AI_HOSTING = ['self-hosted', 'vendor-saas', 'embedded'] as const;
export const YES_NO_UNKNOWN = ['yes', 'no', 'unknown'] as const;
export const AI_BAA_STATUS = ['signed', 'not-signed', 'not-required', 'unknown'] as const;
export const AI_RISK_TIERS = ['low', 'medium', 'high', 'unacceptable', 'unknown'] as const;

/** API field → stored asserted property. */
export const AI_FIELDS = {
  provider: 'a_aiProvider',
  model: 'a_aiModel',
  modelVersion: 'a_aiModelVersion',
  hosting: 'a_aiHosting',
  intendedUse: 'a_aiIntendedUse',
  ephiInPrompts: 'a_aiEphiInPrompts',
  ephiInOutputs: 'a_aiEphiInOutputs',
  vendorTrainsOnData: 'a_aiVendorTrainsOnData',
  retention: 'a_aiRetention',
  baaStatus: 'a_aiBaaStatus',
  baaTier: 'a_aiBaaTier',
  humanInTheLoop: 'a_aiHumanInTheLoop',
  riskTier: 'a_aiRiskTier',
  owner: 'a_aiOwner',
  lastReviewed: 'a_aiLastReviewed',
} as const;
export type AiField = keyof typeof AI_FIELDS;
export type AiFields = { [K in AiField]: string | null };

export interface AiSystemView extends AiFields {
  subjectType: 'asset' | 'vendor';
  id: string;
  name: string;
  kind: string | null;
  ephiRole: string | null;
  ips: string[];
  touchesEphi: boolean;
  source: 'asserted' | 'vendor';
  demo: boolean;
}

const FIELD_PROJECTION = (Object.entries(AI_FIELDS) as [AiField, string][]).map(([k, p]) => `${k}: a.${p}`).join(', ');
const EMPTY: AiFields = Object.fromEntries(Object.keys(AI_FIELDS).map((k) => [k, null])) as AiFields;

export class AiSystemRepository {
  constructor(private readonly graph: GraphClient) {}

  /** Sets (replaces) the AI fields of an asset; fields not given are cleared. Returns before/after. */
  async tag(assetId: string, fields: Partial<AiFields>, by: string): Promise<{ before: AiSystemView | null; after: AiSystemView }> {
    const before = await this.getAsset(assetId);
    const props: Record<string, string | null> = {};
    for (const [k, p] of Object.entries(AI_FIELDS) as [AiField, string][]) props[p] = fields[k] ?? null;
    const rows = await this.graph.write(
      `MATCH (a:Asset {id: $id}) WHERE NOT a:Retired
       SET a += $props, a:AISystem, a.a_isAi = true, a.isAi = true, a.a_aiUpdatedAt = datetime(), a.a_aiUpdatedBy = $by
       RETURN a.id AS id`,
      { id: assetId, props, by },
    );
    if (!rows[0]) throw new NotFoundError('asset', assetId);
    return { before: before?.source === 'asserted' ? before : null, after: (await this.getAsset(assetId))! };
  }

  async untag(assetId: string, by: string): Promise<AiSystemView> {
    const before = await this.getAsset(assetId);
    if (!before || before.source !== 'asserted') throw new NotFoundError('AI system', assetId);
    const remove = Object.values(AI_FIELDS).map((p) => `a.${p}`).join(', ');
    await this.graph.write(
      `MATCH (a:Asset {id: $id}) REMOVE a:AISystem, ${remove}
       SET a.a_isAi = false, a.isAi = false, a.a_aiUpdatedAt = datetime(), a.a_aiUpdatedBy = $by`,
      { id: assetId, by },
    );
    return before;
  }

  async getAsset(assetId: string): Promise<AiSystemView | null> {
    const rows = await this.graph.read(
      `MATCH (a:Asset {id: $id})
       RETURN a {subjectType: 'asset', .id, name: coalesce(a.name, a.id), .kind, .ephiRole, ips: coalesce(a.ips, []), ${FIELD_PROJECTION},
                 touchesEphi: coalesce(a.ephiRole, 'unknown') IN ['stores', 'processes', 'transmits'] OR EXISTS { (a)-[:EPHI_FLOW]-() },
                 source: CASE WHEN coalesce(a.isAi, false) THEN 'asserted' ELSE 'none' END, demo: coalesce(a.demo, false)} AS v`,
      { id: assetId },
    );
    if (!rows[0]) throw new NotFoundError('asset', assetId);
    return rows[0].v as AiSystemView;
  }

  async list(q: { touchesEphi?: boolean } = {}): Promise<AiSystemView[]> {
    const rows = await this.graph.read(
      `CALL () {
         MATCH (a:Asset) WHERE coalesce(a.isAi, false) AND NOT a:Retired
         RETURN a {subjectType: 'asset', .id, name: coalesce(a.name, a.id), .kind, .ephiRole, ips: coalesce(a.ips, []), ${FIELD_PROJECTION},
                   touchesEphi: coalesce(a.ephiRole, 'unknown') IN ['stores', 'processes', 'transmits'] OR EXISTS { (a)-[:EPHI_FLOW]-() },
                   source: 'asserted', demo: coalesce(a.demo, false)} AS v
         UNION ALL
         MATCH (x:Vendor) WHERE coalesce(x.isAiService, false)
         RETURN x {subjectType: 'vendor', .id, name: coalesce(x.name, x.id), kind: 'saas', ephiRole: null, ips: [],
                   provider: x.name, hosting: 'vendor-saas',
                   baaStatus: CASE WHEN coalesce(x.baaSigned, false) AND (x.baaExpires IS NULL OR x.baaExpires >= date()) THEN 'signed' ELSE 'not-signed' END,
                   touchesEphi: EXISTS { (x)-[:EPHI_FLOW]-() }, source: 'vendor', demo: coalesce(x.demo, false)} AS v
       }
       WITH v WHERE $touches IS NULL OR v.touchesEphi = $touches
       RETURN v ORDER BY v.subjectType, v.name, v.id`,
      { touches: q.touchesEphi ?? null },
    );
    return rows.map((r) => ({ ...EMPTY, ...(r.v as AiSystemView) }));
  }
}

export interface FlowRow {
  id: string;
  source: { type: 'asset' | 'vendor'; id: string; name: string; isAi: boolean; domains: string[]; ips: string[] };
  target: { type: 'asset' | 'vendor'; id: string; name: string; isAi: boolean; domains: string[]; ips: string[] };
  dataCategories: string[];
  protocol: string | null;
  port: number | null;
  encryptedInTransit: boolean | null;
  purpose: string | null;
}

const ENDPOINT = (n: string) =>
  `{type: CASE WHEN ${n}:Vendor THEN 'vendor' ELSE 'asset' END, id: ${n}.id, name: coalesce(${n}.name, ${n}.id),
    isAi: coalesce(${n}.isAi, ${n}.isAiService, false), domains: coalesce(${n}.domains, []), ips: coalesce(${n}.ips, [])}`;

/** All asserted ePHI flows (bounded), for the CycloneDX export. */
export async function listEphiFlows(graph: GraphClient, limit = 20_000): Promise<FlowRow[]> {
  const rows = await graph.read(
    `MATCH (x)-[f:EPHI_FLOW]->(y) WHERE (x:Asset OR x:Vendor) AND (y:Asset OR y:Vendor)
     RETURN {id: coalesce(f.id, elementId(f)), source: ${ENDPOINT('x')}, target: ${ENDPOINT('y')}, dataCategories: coalesce(f.dataCategories, []),
             protocol: f.protocol, port: f.port, encryptedInTransit: f.encryptedInTransit, purpose: f.purpose} AS f
     ORDER BY f.id LIMIT $limit`,
    { limit: int(limit) },
  );
  return rows.map((r) => r.f as FlowRow);
}
