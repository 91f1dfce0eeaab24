import { randomUUID } from 'node:crypto';
import { ConflictError, NotFoundError, ValidationError } from '../errors.js';
import { int, type GraphClient } from './neo4j-client.js';

/**
 * Vendors and business associates. BAA dates are Neo4j `date` values (compare with `date()`);
 * the API speaks YYYY-MM-DD. `baaStatus` is derived on read because it depends on today.
 */
export const BAA_STATUSES = ['current', 'expired', 'not-yet-effective', 'missing', 'not-required'] as const;
export type BaaStatus = (typeof BAA_STATUSES)[number];

export interface VendorInput {
  name: string;
  isBusinessAssociate: boolean;
  baaSigned: boolean;
  baaEffective: string | null;
  baaExpires: string | null;
  isAiService: boolean;
  domains: string[];
  website: string | null;
  contactEmail: string | null;
  notes: string | null;
}

export interface VendorView extends VendorInput {
  id: string;
  baaStatus: BaaStatus;
  assetCount: number;
  flowCount: number;
  demo: boolean;
  createdAt: string | null;
  updatedAt: string | null;
}

/** Cypher for "a BAA covers this vendor today": signed, in effect, not expired. */
export const BAA_CURRENT = (v: string) =>
  `(coalesce(${v}.baaSigned, false) AND (${v}.baaEffective IS NULL OR ${v}.baaEffective <= date()) AND (${v}.baaExpires IS NULL OR ${v}.baaExpires >= date()))`;

export const BAA_STATUS = (v: string) => `CASE
  WHEN NOT coalesce(${v}.baaSigned, false) THEN CASE WHEN coalesce(${v}.isBusinessAssociate, false) OR coalesce(${v}.isAiService, false) THEN 'missing' ELSE 'not-required' END
  WHEN ${v}.baaExpires IS NOT NULL AND ${v}.baaExpires < date() THEN 'expired'
  WHEN ${v}.baaEffective IS NOT NULL AND ${v}.baaEffective > date() THEN 'not-yet-effective'
  ELSE 'current' END`;

const VIEW = `{
  id: v.id, name: v.name, isBusinessAssociate: coalesce(v.isBusinessAssociate, false), baaSigned: coalesce(v.baaSigned, false),
  baaEffective: toString(v.baaEffective), baaExpires: toString(v.baaExpires), isAiService: coalesce(v.isAiService, false),
  domains: coalesce(v.domains, []), website: v.website, contactEmail: v.contactEmail, notes: v.notes,
  baaStatus: ${BAA_STATUS('v')},
  assetCount: COUNT { (v)<-[:SUPPLIED_BY]-(:Asset) }, flowCount: COUNT { (v)-[:EPHI_FLOW]-() },
  demo: coalesce(v.demo, false), createdAt: v.createdAt, updatedAt: v.updatedAt
}`;

export const VENDOR_DEFAULTS: VendorInput = {
  name: '',
  isBusinessAssociate: false,
  baaSigned: false,
  baaEffective: null,
  baaExpires: null,
  isAiService: false,
  domains: [],
  website: null,
  contactEmail: null,
  notes: null,
};

function checkBaaDates(v: VendorInput): void {
  if (v.baaEffective && v.baaExpires && v.baaExpires <= v.baaEffective) {
    throw new ValidationError('BAA_DATES_INVALID', `baaExpires (${v.baaExpires}) must be after baaEffective (${v.baaEffective})`, { field: 'body.baaExpires' });
  }
}

export class VendorRepository {
  constructor(private readonly graph: GraphClient) {}

  async create(input: Partial<VendorInput> & { name: string }, opts: { id?: string; demo?: boolean } = {}): Promise<VendorView> {
    const v: VendorInput = { ...VENDOR_DEFAULTS, ...input };
    checkBaaDates(v);
    const exists = await this.graph.read('MATCH (v:Vendor {name: $name}) RETURN v.id AS id', { name: v.name });
    if (exists[0]) throw new ConflictError('VENDOR_EXISTS', `a vendor named ${v.name} already exists`, { id: exists[0].id, field: 'body.name' });
    const rows = await this.graph.write(
      `CREATE (v:Vendor {id: $id, createdAt: datetime(), updatedAt: datetime(), demo: $demo})
       SET v += $props, v.baaEffective = date($eff), v.baaExpires = date($exp)
       RETURN ${VIEW} AS vendor`,
      { id: opts.id ?? randomUUID(), demo: opts.demo ?? false, ...split(v) },
    );
    return rows[0]!.vendor as VendorView;
  }

  async get(id: string): Promise<VendorView> {
    const rows = await this.graph.read(`MATCH (v:Vendor {id: $id}) RETURN ${VIEW} AS vendor`, { id });
    if (!rows[0]) throw new NotFoundError('vendor', id);
    return rows[0].vendor as VendorView;
  }

  async list(q: { q?: string; baaStatus?: BaaStatus; ai?: boolean; limit: number; cursor?: string }): Promise<{ items: VendorView[]; nextCursor: string | null }> {
    const where: string[] = [];
    const params: Record<string, unknown> = { limit: int(q.limit + 1) };
    if (q.q) {
      where.push('toLower(v.name) CONTAINS $q');
      params.q = q.q.toLowerCase();
    }
    if (q.ai !== undefined) {
      where.push('coalesce(v.isAiService, false) = $ai');
      params.ai = q.ai;
    }
    if (q.baaStatus) {
      where.push(`${BAA_STATUS('v')} = $baa`);
      params.baa = q.baaStatus;
    }
    if (q.cursor) {
      [params.an, params.aid] = decodeNameCursor(q.cursor);
      where.push('(v.name > $an OR (v.name = $an AND v.id > $aid))');
    }
    const rows = await this.graph.read(
      `MATCH (v:Vendor) ${where.length ? `WHERE ${where.join(' AND ')}` : ''}
       WITH v ORDER BY v.name, v.id LIMIT $limit
       RETURN ${VIEW} AS vendor`,
      params,
    );
    const items = rows.slice(0, q.limit).map((r) => r.vendor as VendorView);
    const last = items[items.length - 1];
    return { items, nextCursor: rows.length > q.limit && last ? encodeNameCursor(last.name, last.id) : null };
  }

  async update(id: string, patch: Partial<VendorInput>): Promise<VendorView> {
    const current = await this.get(id);
    const merged: VendorInput = { ...pick(current), ...definedOnly(patch) };
    checkBaaDates(merged);
    if (patch.name !== undefined && patch.name !== current.name) {
      const clash = await this.graph.read('MATCH (v:Vendor {name: $name}) WHERE v.id <> $id RETURN v.id AS id', { name: patch.name, id });
      if (clash[0]) throw new ConflictError('VENDOR_EXISTS', `a vendor named ${patch.name} already exists`, { id: clash[0].id, field: 'body.name' });
    }
    const rows = await this.graph.write(
      `MATCH (v:Vendor {id: $id})
       SET v += $props, v.baaEffective = date($eff), v.baaExpires = date($exp), v.updatedAt = datetime()
       RETURN ${VIEW} AS vendor`,
      { id, ...split(merged) },
    );
    if (!rows[0]) throw new NotFoundError('vendor', id);
    return rows[0].vendor as VendorView;
  }

  /** Refuses while assets or flows point at the vendor: deleting it would silently drop them. */
  async delete(id: string): Promise<void> {
    const v = await this.get(id);
    if (v.assetCount > 0 || v.flowCount > 0) {
      throw new ConflictError('VENDOR_IN_USE', `vendor ${v.name} still supplies ${v.assetCount} assets and has ${v.flowCount} ePHI flows; unlink them first`, {
        assetCount: v.assetCount,
        flowCount: v.flowCount,
      });
    }
    await this.graph.write('MATCH (v:Vendor {id: $id}) DETACH DELETE v', { id });
  }

  /** Links assets to this vendor (SUPPLIED_BY), replacing any previous supplier; returns how many were linked. */
  async supplyAssets(id: string, assetIds: string[]): Promise<number> {
    return linkAssets(this.graph, 'SUPPLIED_BY', 'Vendor', id, assetIds);
  }

  /** Lookup for the asset PATCH (SUPPLIED_BY links). */
  async exists(id: string): Promise<boolean> {
    const rows = await this.graph.read('MATCH (v:Vendor {id: $id}) RETURN v.id AS id', { id });
    return rows.length > 0;
  }
}

function pick(v: VendorView): VendorInput {
  const out = { ...VENDOR_DEFAULTS };
  for (const k of Object.keys(VENDOR_DEFAULTS) as (keyof VendorInput)[]) (out as Record<string, unknown>)[k] = v[k];
  return out;
}

function split(v: VendorInput): { props: Record<string, unknown>; eff: string | null; exp: string | null } {
  const { baaEffective, baaExpires, ...props } = v;
  return { props, eff: baaEffective, exp: baaExpires };
}

/** Keyset cursor "<base64url name>.<base64url id>": any such string is a position, so none can fail to parse. */
export function encodeNameCursor(name: string, id: string): string {
  return `${Buffer.from(name).toString('base64url')}.${Buffer.from(id).toString('base64url')}`;
}

export function decodeNameCursor(c: string): [string, string] {
  const m = /^([A-Za-z0-9_-]*)\.([A-Za-z0-9_-]*)$/.exec(c);
  if (!m) throw new ValidationError('INVALID_CURSOR', 'cursor is not one this API issued', { field: 'querystring.cursor' });
  return [Buffer.from(m[1]!, 'base64url').toString('utf8'), Buffer.from(m[2]!, 'base64url').toString('utf8')];
}

export function definedOnly<T extends object>(o: T): Partial<T> {
  return Object.fromEntries(Object.entries(o).filter(([, v]) => v !== undefined)) as Partial<T>;
}

const LINKS = { SUPPLIED_BY: 'Vendor', OWNED_BY: 'Person', LOCATED_AT: 'Site' } as const;

/** One asserted link per asset and relationship type; type and label come from the LINKS allow-list. */
export async function linkAssets(graph: GraphClient, rel: keyof typeof LINKS, label: (typeof LINKS)[keyof typeof LINKS], id: string, assetIds: string[]): Promise<number> {
  if (LINKS[rel] !== label) throw new ValidationError('INVALID_LINK', `${rel} does not point at ${label}`);
  const found = await graph.read(`MATCH (t:${label} {id: $id}) RETURN t.id AS id`, { id });
  if (found.length === 0) throw new NotFoundError(label.toLowerCase(), id);
  const rows = await graph.write(
    `MATCH (t:${label} {id: $id})
     UNWIND $assetIds AS aid
     MATCH (a:Asset {id: aid})
     OPTIONAL MATCH (a)-[old:${rel}]->(o) WHERE o <> t
     DELETE old
     WITH DISTINCT a, t
     MERGE (a)-[l:${rel}]->(t) ON CREATE SET l.at = datetime()
     RETURN count(a) AS n`,
    { id, assetIds },
  );
  return Number(rows[0]?.n ?? 0);
}
