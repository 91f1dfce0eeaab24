import { ValidationError, NotFoundError } from '../errors.js';
import { int, type GraphClient } from './neo4j-client.js';

/** Reads of the inventory. Sort fields come from an allow-list; every value is a parameter. */
export const ASSET_SORT_FIELDS = ['name', 'kind', 'firstSeen', 'lastSeen'] as const;
export type AssetSortField = (typeof ASSET_SORT_FIELDS)[number];

export interface AssetListQuery {
  q?: string;
  kind?: string;
  subnet?: string;
  ephi?: string;
  ai?: boolean;
  stale?: boolean;
  sort?: AssetSortField;
  order?: 'asc' | 'desc';
  limit: number;
  cursor?: string;
}

export interface AssetSummary {
  id: string;
  name: string;
  kind: string;
  ips: string[];
  mac: string | null;
  macVendor: string | null;
  hostnames: string[];
  os: string | null;
  status: string;
  ephiRole: string;
  isAi: boolean;
  firstSeen: string | null;
  lastSeen: string | null;
  demo: boolean;
}

export interface ServiceView {
  protocol: string | null;
  port: number | null;
  state: string | null;
  name: string | null;
  product: string | null;
  version: string | null;
  firstSeen: string | null;
  lastSeen: string | null;
}
export interface InterfaceView {
  ip: string | null;
  mac: string | null;
  macVendor: string | null;
  firstSeen: string | null;
  lastSeen: string | null;
}
export interface AssetDetail extends AssetSummary {
  services: ServiceView[];
  interfaces: InterfaceView[];
}

const SUMMARY = `{
  id: a.id, name: coalesce(a.name, a.id), kind: coalesce(a.kind, 'unknown'), ips: coalesce(a.ips, []),
  mac: a.mac, macVendor: a.macVendor, hostnames: coalesce(a.hostnames, []), os: a.os,
  status: coalesce(a.status, 'up'), ephiRole: coalesce(a.ephiRole, 'unknown'), isAi: coalesce(a.isAi, false),
  firstSeen: a.firstSeen, lastSeen: a.lastSeen, demo: coalesce(a.demo, false)
}`;

function encodeCursor(v: unknown, id: string): string {
  return Buffer.from(JSON.stringify([v, id])).toString('base64url');
}

function decodeCursor(c: string): [unknown, string] {
  try {
    const parsed = JSON.parse(Buffer.from(c, 'base64url').toString('utf8')) as unknown;
    if (Array.isArray(parsed) && parsed.length === 2 && typeof parsed[1] === 'string') return [parsed[0], parsed[1]];
  } catch {
    /* fall through */
  }
  throw new ValidationError('INVALID_CURSOR', 'cursor is not one this API issued', { field: 'cursor' });
}

export class AssetRepository {
  constructor(private readonly graph: GraphClient) {}

  async list(query: AssetListQuery): Promise<{ items: AssetSummary[]; nextCursor: string | null }> {
    const sort: AssetSortField = query.sort ?? 'name';
    if (!ASSET_SORT_FIELDS.includes(sort)) throw new ValidationError('INVALID_SORT', `cannot sort by ${sort}`, { field: 'sort' });
    const desc = query.order === 'desc';
    const where: string[] = ['NOT a:Retired'];
    const params: Record<string, unknown> = { limit: int(query.limit + 1) };
    if (query.q) {
      where.push('a.searchText CONTAINS $q');
      params.q = query.q.toLowerCase();
    }
    if (query.kind) {
      where.push('a.kind = $kind');
      params.kind = query.kind;
    }
    if (query.subnet) {
      where.push('EXISTS { (a)-[:HAS_INTERFACE]->(:Interface)-[:IN_SUBNET]->(:Subnet {cidr: $subnet}) }');
      params.subnet = query.subnet;
    }
    if (query.ephi) {
      where.push("coalesce(a.ephiRole, 'unknown') = $ephi");
      params.ephi = query.ephi;
    }
    if (query.ai !== undefined) {
      where.push('coalesce(a.isAi, false) = $ai');
      params.ai = query.ai;
    }
    if (query.stale !== undefined) {
      where.push(query.stale ? "a.status IN ['stale', 'missed']" : "NOT coalesce(a.status, 'up') IN ['stale', 'missed']");
    }
    // The sort key expression is chosen from the allow-list above, never from request text.
    const key = sort === 'firstSeen' || sort === 'lastSeen' ? `toString(a.${sort})` : `coalesce(a.${sort}, '')`;
    if (query.cursor) {
      const [v, id] = decodeCursor(query.cursor);
      params.cv = v ?? '';
      params.cid = id;
      where.push(desc ? `(${key} < $cv OR (${key} = $cv AND a.id < $cid))` : `(${key} > $cv OR (${key} = $cv AND a.id > $cid))`);
    }
    const dir = desc ? 'DESC' : 'ASC';
    const rows = await this.graph.read(
      `MATCH (a:Asset) WHERE ${where.join(' AND ')}
       WITH a, ${key} AS sortKey ORDER BY sortKey ${dir}, a.id ${dir} LIMIT $limit
       RETURN ${SUMMARY} AS asset, sortKey`,
      params,
    );
    const more = rows.length > query.limit;
    const page = rows.slice(0, query.limit);
    const last = page[page.length - 1];
    return {
      items: page.map((r) => r.asset as AssetSummary),
      nextCursor: more && last ? encodeCursor(last.sortKey, (last.asset as AssetSummary).id) : null,
    };
  }

  async get(id: string): Promise<AssetDetail> {
    const rows = await this.graph.read(
      `MATCH (a:Asset {id: $id})
       OPTIONAL MATCH (a)-[:HAS_SERVICE]->(s:Service)
       WITH a, collect(s {.protocol, .port, .state, .name, .product, .version, firstSeen: s.firstSeen, lastSeen: s.lastSeen}) AS services
       OPTIONAL MATCH (a)-[:HAS_INTERFACE]->(i:Interface)
       RETURN ${SUMMARY} AS asset, services, collect(i {.ip, .mac, .macVendor, firstSeen: i.firstSeen, lastSeen: i.lastSeen}) AS interfaces`,
      { id },
    );
    const r = rows[0];
    if (!r) throw new NotFoundError('asset', id);
    return { ...(r.asset as AssetSummary), services: r.services as ServiceView[], interfaces: r.interfaces as InterfaceView[] };
  }

  async count(): Promise<number> {
    const rows = await this.graph.read('MATCH (a:Asset) WHERE NOT a:Retired RETURN count(a) AS n');
    return Number(rows[0]?.n ?? 0);
  }
}
