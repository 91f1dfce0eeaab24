import { createHash, randomUUID } from 'node:crypto';
import { AtlasError, ConflictError, NotFoundError, ValidationError } from '../errors.js';
import { int, type GraphClient } from './neo4j-client.js';

/**
 * Asserted ePHI flows (EPHI_FLOW) and observed connections (CONNECTS_TO). Endpoint labels come
 * from the ENDPOINT_LABEL allow-list; every value is a parameter.
 */
export const DATA_CATEGORIES = [
  'demographics',
  'identifiers',
  'clinical-notes',
  'diagnoses',
  'medications',
  'lab-results',
  'imaging',
  'vital-signs',
  'billing',
  'insurance',
  'genetic',
  'mental-health',
  'substance-use',
  'device-telemetry',
  'other',
] as const;
export type DataCategory = (typeof DATA_CATEGORIES)[number];

export const ENDPOINT_TYPES = ['asset', 'vendor'] as const;
export type EndpointType = (typeof ENDPOINT_TYPES)[number];
const ENDPOINT_LABEL: Record<EndpointType, string> = { asset: 'Asset', vendor: 'Vendor' };

export interface Endpoint {
  type: EndpointType;
  id: string;
}
export interface EndpointView extends Endpoint {
  name: string;
  kind: string | null;
}

export interface FlowInput {
  source: Endpoint;
  target: Endpoint;
  dataCategories: DataCategory[];
  protocol?: string | null;
  port?: number | null;
  encryptedInTransit?: boolean | null;
  purpose?: string | null;
}
export type FlowPatch = Partial<Pick<FlowInput, 'dataCategories' | 'protocol' | 'port' | 'encryptedInTransit' | 'purpose'>>;

export interface FlowView {
  id: string;
  source: EndpointView;
  target: EndpointView;
  dataCategories: string[];
  protocol: string | null;
  port: number | null;
  encryptedInTransit: boolean | null;
  purpose: string | null;
  origin: 'asserted' | 'observed';
  connectionId: string | null;
  createdBy: string | null;
  createdAt: string | null;
  updatedAt: string | null;
}

export interface ConnectionView {
  id: string;
  source: EndpointView;
  target: EndpointView;
  protocol: string | null;
  port: number | null;
  bytes: number | null;
  packets: number | null;
  observedBy: string | null;
  firstSeen: string | null;
  lastSeen: string | null;
  promotedFlowId: string | null;
}

/** Cypher projection of a flow endpoint; `n` is an Asset or a Vendor. */
export const ENDPOINT_PROJECTION = (n: string) =>
  `{type: CASE WHEN ${n}:Vendor THEN 'vendor' ELSE 'asset' END, id: ${n}.id, name: coalesce(${n}.name, ${n}.id),
    kind: CASE WHEN ${n}:Vendor THEN CASE WHEN coalesce(${n}.isAiService, false) THEN 'ai-service' ELSE 'vendor' END ELSE coalesce(${n}.kind, 'unknown') END}`;

/** A subquery body that finds an Asset or a Vendor by id through the key indexes (no label-less scan). */
export const endpointById = (v: string, idExpr: string) =>
  `MATCH (${v}:Asset {id: ${idExpr}}) RETURN ${v} UNION MATCH (${v}:Vendor {id: ${idExpr}}) RETURN ${v}`;

const FLOW_VIEW = `{
  id: f.id, source: ${ENDPOINT_PROJECTION('x')}, target: ${ENDPOINT_PROJECTION('y')},
  dataCategories: coalesce(f.dataCategories, []), protocol: f.protocol, port: f.port,
  encryptedInTransit: f.encryptedInTransit, purpose: f.purpose, origin: coalesce(f.origin, 'asserted'),
  connectionId: f.connectionId, createdBy: f.createdBy, createdAt: f.createdAt, updatedAt: f.updatedAt
}`;

export interface FlowListQuery {
  endpointId?: string;
  origin?: 'asserted' | 'observed';
  encrypted?: boolean;
  limit: number;
  cursor?: string;
}

/**
 * An observed connection is named by its relationship element id plus a digest of its endpoints,
 * short enough for a URL path segment; the digest stops a reused element id (after a delete)
 * from naming a different connection.
 */
export function connectionId(elementId: string, sourceId: string, targetId: string): string {
  return `${elementId}.${createHash('sha256').update(`${sourceId}|${targetId}`).digest('hex').slice(0, 10)}`;
}

function parseConnectionId(id: string): { elementId: string; digest: string } {
  const m = /^(\d{1,4}:[0-9a-f-]{36}:\d{1,19})\.([0-9a-f]{10})$/.exec(id);
  if (!m) throw new NotFoundError('connection', id);
  return { elementId: m[1]!, digest: m[2]! };
}

function offsetCursor(c: string | undefined): number {
  if (!c) return 0;
  const n = /^o(\d{1,9})$/.exec(c);
  if (!n) throw new ValidationError('INVALID_CURSOR', 'cursor is not one this API issued', { field: 'querystring.cursor' });
  return Number(n[1]);
}

export class FlowRepository {
  constructor(private readonly graph: GraphClient) {}

  async create(input: FlowInput, actor: string | null, extra: { connectionId?: string; id?: string; demo?: boolean } = {}): Promise<FlowView> {
    if (input.source.type === input.target.type && input.source.id === input.target.id) {
      throw new ValidationError('SAME_ENDPOINTS', 'a flow needs two different endpoints', { field: 'body.target' });
    }
    const id = extra.id ?? randomUUID();
    const rows = await this.graph.write(
      `OPTIONAL MATCH (x:${ENDPOINT_LABEL[input.source.type]} {id: $sid})
       OPTIONAL MATCH (y:${ENDPOINT_LABEL[input.target.type]} {id: $tid})
       CALL (x, y) {
         WITH x, y WHERE x IS NOT NULL AND y IS NOT NULL
         CREATE (x)-[f:EPHI_FLOW {id: $id, origin: 'asserted', createdAt: datetime(), updatedAt: datetime()}]->(y)
         SET f += $props
         RETURN ${FLOW_VIEW} AS flow
         UNION
         WITH x, y WHERE x IS NULL OR y IS NULL
         RETURN null AS flow
       }
       RETURN x IS NOT NULL AS hasSource, y IS NOT NULL AS hasTarget, flow`,
      {
        sid: input.source.id,
        tid: input.target.id,
        id,
        props: {
          dataCategories: [...new Set(input.dataCategories)],
          protocol: input.protocol ?? null,
          port: input.port ?? null,
          encryptedInTransit: input.encryptedInTransit ?? null,
          purpose: input.purpose ?? null,
          createdBy: actor,
          connectionId: extra.connectionId ?? null,
          ...(extra.demo ? { demo: true } : {}),
        },
      },
    );
    const r = rows[0]!;
    if (!r.hasSource) throw new AtlasError('UNKNOWN_ENDPOINT', `source ${input.source.type} ${input.source.id} does not exist`, { status: 404, details: { field: 'body.source.id', id: input.source.id } });
    if (!r.hasTarget) throw new AtlasError('UNKNOWN_ENDPOINT', `target ${input.target.type} ${input.target.id} does not exist`, { status: 404, details: { field: 'body.target.id', id: input.target.id } });
    return r.flow as FlowView;
  }

  async get(id: string): Promise<FlowView> {
    const rows = await this.graph.read(`MATCH (x)-[f:EPHI_FLOW {id: $id}]->(y) RETURN ${FLOW_VIEW} AS flow`, { id });
    if (!rows[0]) throw new NotFoundError('flow', id);
    return rows[0].flow as FlowView;
  }

  async list(q: FlowListQuery): Promise<{ items: FlowView[]; nextCursor: string | null }> {
    const where: string[] = [];
    const params: Record<string, unknown> = { limit: int(q.limit + 1) };
    if (q.endpointId) {
      where.push('(x.id = $eid OR y.id = $eid)');
      params.eid = q.endpointId;
    }
    if (q.origin) {
      where.push("coalesce(f.origin, 'asserted') = $origin");
      params.origin = q.origin;
    }
    if (q.encrypted !== undefined) {
      where.push(q.encrypted ? 'f.encryptedInTransit = true' : 'coalesce(f.encryptedInTransit, false) = false');
    }
    if (q.cursor) {
      where.push('f.id > $after');
      params.after = q.cursor;
    }
    const rows = await this.graph.read(
      `MATCH (x)-[f:EPHI_FLOW]->(y) ${where.length ? `WHERE ${where.join(' AND ')}` : ''}
       WITH x, f, y ORDER BY f.id LIMIT $limit
       RETURN ${FLOW_VIEW} AS flow`,
      params,
    );
    const items = rows.slice(0, q.limit).map((r) => r.flow as FlowView);
    return { items, nextCursor: rows.length > q.limit ? items[items.length - 1]!.id : null };
  }

  async update(id: string, patch: FlowPatch): Promise<FlowView> {
    const set: Record<string, unknown> = {};
    if (patch.dataCategories !== undefined) set.dataCategories = [...new Set(patch.dataCategories)];
    for (const k of ['protocol', 'port', 'encryptedInTransit', 'purpose'] as const) if (patch[k] !== undefined) set[k] = patch[k];
    const rows = await this.graph.write(
      `MATCH (x)-[f:EPHI_FLOW {id: $id}]->(y)
       SET f += $set, f.updatedAt = datetime()
       RETURN ${FLOW_VIEW} AS flow`,
      { id, set },
    );
    if (!rows[0]) throw new NotFoundError('flow', id);
    return rows[0].flow as FlowView;
  }

  async delete(id: string): Promise<void> {
    const rows = await this.graph.write('MATCH ()-[f:EPHI_FLOW {id: $id}]->() DELETE f RETURN count(*) AS n', { id });
    if (!Number(rows[0]?.n ?? 0)) throw new NotFoundError('flow', id);
  }

  async listConnections(q: { endpointId?: string; limit: number; cursor?: string }): Promise<{ items: ConnectionView[]; nextCursor: string | null }> {
    const skip = offsetCursor(q.cursor);
    const rows = await this.graph.read(
      `MATCH (x)-[c:CONNECTS_TO]->(y)
       ${q.endpointId ? 'WHERE x.id = $eid OR y.id = $eid' : ''}
       WITH x, c, y ORDER BY x.id, y.id, c.protocol, c.port SKIP $skip LIMIT $limit
       OPTIONAL MATCH (x)-[f:EPHI_FLOW]->(y) WHERE f.connectionId IS NOT NULL
       WITH x, c, y, collect(f) AS fs
       RETURN elementId(c) AS eid, ${ENDPOINT_PROJECTION('x')} AS source, ${ENDPOINT_PROJECTION('y')} AS target,
              c.protocol AS protocol, c.port AS port, c.bytes AS bytes, c.packets AS packets, c.source AS observedBy,
              c.firstSeen AS firstSeen, c.lastSeen AS lastSeen, [f IN fs | f.connectionId + '|' + f.id] AS promoted`,
      { eid: q.endpointId ?? null, skip: int(skip), limit: int(q.limit + 1) },
    );
    const items = rows.slice(0, q.limit).map((r) => {
      const source = r.source as EndpointView;
      const target = r.target as EndpointView;
      const protocol = (r.protocol as string | null) ?? null;
      const port = typeof r.port === 'number' ? r.port : null;
      const id = connectionId(r.eid as string, source.id, target.id);
      const promoted = (r.promoted as string[]).find((p) => p.startsWith(`${id}|`));
      return {
        id,
        source,
        target,
        protocol,
        port,
        bytes: typeof r.bytes === 'number' ? r.bytes : null,
        packets: typeof r.packets === 'number' ? r.packets : null,
        observedBy: (r.observedBy as string | null) ?? null,
        firstSeen: (r.firstSeen as string | null) ?? null,
        lastSeen: (r.lastSeen as string | null) ?? null,
        promotedFlowId: promoted ? promoted.slice(id.length + 1) : null,
      };
    });
    return { items, nextCursor: rows.length > q.limit ? `o${skip + q.limit}` : null };
  }

  /** Turns an observed connection into an asserted ePHI flow; a person vouches for it. */
  async promote(
    id: string,
    input: { dataCategories: DataCategory[]; encryptedInTransit?: boolean | null; purpose?: string | null },
    actor: string | null,
  ): Promise<FlowView> {
    const { elementId } = parseConnectionId(id);
    const rows = await this.graph.read(
      `MATCH (x)-[c:CONNECTS_TO]->(y) WHERE elementId(c) = $eid
       OPTIONAL MATCH (x)-[f:EPHI_FLOW {connectionId: $cid}]->(y)
       RETURN x.id AS sid, y.id AS tid, CASE WHEN x:Vendor THEN 'vendor' ELSE 'asset' END AS st, CASE WHEN y:Vendor THEN 'vendor' ELSE 'asset' END AS tt,
              c.protocol AS protocol, c.port AS port, f.id AS existing
       LIMIT 1`,
      { eid: elementId, cid: id },
    );
    const r = rows[0];
    if (!r || connectionId(elementId, r.sid as string, r.tid as string) !== id) throw new NotFoundError('connection', id);
    if (r.existing) throw new ConflictError('ALREADY_PROMOTED', `this connection is already the ePHI flow ${String(r.existing)}`, { flowId: r.existing });
    const sid = r.sid as string;
    const tid = r.tid as string;
    const protocol = (r.protocol as string | null) ?? null;
    const port = typeof r.port === 'number' ? r.port : null;
    return this.create(
      {
        source: { type: r.st as EndpointType, id: sid },
        target: { type: r.tt as EndpointType, id: tid },
        dataCategories: input.dataCategories,
        protocol,
        port,
        encryptedInTransit: input.encryptedInTransit ?? null,
        purpose: input.purpose ?? null,
      },
      actor,
      { connectionId: id },
    );
  }
}

/**
 * Ids of assets by name: the exact name (an FQDN for scanned hosts) or its first label
 * ("pacs01" finds pacs01.demo.example). Both branches use the Asset.name range index.
 */
export async function assetIdsByHostname(graph: GraphClient, names: string[]): Promise<Map<string, string>> {
  const rows = await graph.read(
    `UNWIND $names AS n
     CALL (n) {
       MATCH (a:Asset) WHERE a.name = n RETURN a.id AS id, 0 AS rank
       UNION
       MATCH (a:Asset) WHERE a.name STARTS WITH n + '.' RETURN a.id AS id, 1 AS rank
     }
     WITH n, id ORDER BY rank, id
     RETURN n AS name, head(collect(id)) AS id`,
    { names },
  );
  return new Map(rows.map((r) => [r.name as string, r.id as string]));
}

export interface ConnectionRow {
  sourceId: string;
  targetId: string;
  protocol: string;
  port: number;
  bytes?: number;
  packets?: number;
  source: string;
  at: string;
}

/** Observed connections, merged by (source, target, protocol, port); used by the demo and tests. */
export async function mergeConnections(graph: GraphClient, rows: ConnectionRow[]): Promise<number> {
  const res = await graph.write(
    `UNWIND $rows AS r
     CALL (r) { ${endpointById('x', 'r.sourceId')} }
     CALL (r) { ${endpointById('y', 'r.targetId')} }
     MERGE (x)-[c:CONNECTS_TO {protocol: r.protocol, port: r.port}]->(y)
       ON CREATE SET c.firstSeen = datetime(r.at), c.bytes = 0, c.packets = 0
     SET c.lastSeen = datetime(r.at), c.bytes = c.bytes + coalesce(r.bytes, 0), c.packets = c.packets + coalesce(r.packets, 0), c.source = r.source
     RETURN count(c) AS n`,
    { rows: rows.map((r) => ({ bytes: 0, packets: 0, ...r })) },
  );
  return Number(res[0]?.n ?? 0);
}

export interface DemoAssetFacts {
  assetId: string;
  kind?: string;
  ephiRole?: string;
  encryptionAtRest?: string;
  encryptionInTransit?: string;
  mfa?: string;
}

/**
 * Demo classification of demo assets. Only fills what nobody has asserted yet, so a person's
 * assertion (or another demo module's) always wins, and re-running changes nothing.
 */
export async function assertDemoAssetFacts(graph: GraphClient, facts: DemoAssetFacts[]): Promise<void> {
  await graph.write(
    `UNWIND $facts AS f
     MATCH (a:Asset {id: f.assetId, demo: true})
     SET a.a_kind = coalesce(a.a_kind, f.kind), a.a_ephiRole = coalesce(a.a_ephiRole, f.ephiRole),
         a.a_encryptionAtRest = coalesce(a.a_encryptionAtRest, f.encryptionAtRest),
         a.a_encryptionInTransit = coalesce(a.a_encryptionInTransit, f.encryptionInTransit), a.a_mfa = coalesce(a.a_mfa, f.mfa)
     SET a.kind = CASE WHEN coalesce(a.kind, 'unknown') = 'unknown' THEN coalesce(a.a_kind, a.kind) ELSE a.kind END,
         a.ephiRole = coalesce(a.a_ephiRole, a.ephiRole)`,
    { facts: facts.map((f) => ({ kind: null, ephiRole: null, encryptionAtRest: null, encryptionInTransit: null, mfa: null, ...f })) },
  );
}
