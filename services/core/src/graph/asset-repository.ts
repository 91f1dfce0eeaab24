import { inventoryWhere, type InventoryFilter } from './asset-filters.js';
import { ConflictError, ValidationError, NotFoundError } from '../errors.js';
import { changeEvent } from '../domain/changes.js';
import { CHANGE_VIEW, parseDetail, type ChangeView } from './change-repository.js';
import { int, type GraphClient } from './neo4j-client.js';
import { inventoryGeneration } from './write-generation.js';

/** Reads of the inventory. Sort fields come from an allow-list; every value is a parameter. */
export const ASSET_SORT_FIELDS = ['name', 'kind', 'firstSeen', 'lastSeen'] as const;
export type AssetSortField = (typeof ASSET_SORT_FIELDS)[number];

export interface AssetListQuery extends InventoryFilter {
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
  key: string;
  protocol: string | null;
  port: number | null;
  state: string | null;
  reason: string | null;
  name: string | null;
  product: string | null;
  version: string | null;
  extrainfo: string | null;
  devicetype: string | null;
  cpe: string[];
  scripts: { id: string; output: string; elements?: unknown }[];
  firstSeen: string | null;
  lastSeen: string | null;
}
export interface InterfaceView {
  key: string;
  ip: string | null;
  family: string | null;
  mac: string | null;
  macKind: string | null;
  macVendor: string | null;
  subnet: string | null;
  firstSeen: string | null;
  lastSeen: string | null;
}
export interface ProvenanceView {
  sourceId: string;
  sourceName: string | null;
  firstSeen: string | null;
  lastSeen: string | null;
  lastRunId: string | null;
}
export interface AssetDetail extends AssetSummary {
  retired: boolean;
  mergedInto: string | null;
  mergedFrom: string[];
  splitFrom: string | null;
  observed: Record<string, unknown>;
  asserted: Record<string, unknown>;
  effective: Record<string, unknown>;
  owner: { id: string; name: string | null; email: string | null } | null;
  site: { id: string; name: string | null } | null;
  vendor: { id: string; name: string | null } | null;
  services: ServiceView[];
  interfaces: InterfaceView[];
  provenance: ProvenanceView[];
  lastRunId: string | null;
  changes: ChangeView[];
  conflicts: { id: string; state: string; assetIds: string[]; detectedAt: string | null }[];
}

/** Assertable fields (stored as `a_<field>`), the only ones PATCH accepts besides the link ids. */
export const ASSERTED_FIELDS = [
  'name',
  'kind',
  'ephiRole',
  'encryptionAtRest',
  'encryptionInTransit',
  'mfa',
  'criticality',
  'notes',
  'assetTag',
  'serial',
  'cloudId',
  'version',
  'vendorModel',
  'isAi',
] as const;
export type AssertedField = (typeof ASSERTED_FIELDS)[number];
export const ASSET_LINKS = { ownerId: { rel: 'OWNED_BY', label: 'Person' }, siteId: { rel: 'LOCATED_AT', label: 'Site' }, vendorId: { rel: 'SUPPLIED_BY', label: 'Vendor' } } as const;
export type AssetLink = keyof typeof ASSET_LINKS;
export type AssetPatch = Partial<Record<AssertedField, string | boolean | null>> & Partial<Record<AssetLink, string | null>>;

/** Observed properties shown in the detail's `observed` section; JSON-string ones are parsed. */
const OBSERVED = ['ips', 'mac', 'macVendor', 'macKind', 'hostnames', 'hostnameTypes', 'fqdn', 'os', 'osAccuracy', 'osMatches', 'o_kind', 'uptimeSeconds', 'lastBoot', 'distance', 'hostScripts', 'subnetCidr', 'identityKey', 'status', 'firstSeen', 'lastSeen', 'missedAt'];
const JSON_PROPS = new Set(['osMatches', 'hostScripts']);
const UNIQUE_ASSERTED: Partial<Record<AssertedField, string>> = { assetTag: 'assetTag', serial: 'serial', cloudId: 'cloudId' };

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

export interface AssetPage {
  items: AssetSummary[];
  nextCursor: string | null;
}

/**
 * Inventory pages are cached per normalised query. An entry is served only while this process's
 * write generation (write-generation.ts) is the one it was read at, so a write made here (ingest,
 * PATCH, merge, split, imports, demo data, wipes) is visible to the very next request. Writes from
 * other processes cannot be seen that way: an entry is refreshed in the background once it is
 * PAGE_REFRESH_MS old and never served once it is PAGE_MAX_AGE_MS old. Concurrent misses for one
 * query share one database read.
 */
export const PAGE_REFRESH_MS = 500;
export const PAGE_MAX_AGE_MS = 1_000;
const PAGE_CACHE_ENTRIES = 500;

interface PageEntry {
  generation: number;
  readAt: number;
  page: AssetPage;
}

function freeze<T>(v: T): T {
  if (v && typeof v === 'object' && !Object.isFrozen(v)) {
    Object.freeze(v);
    for (const x of Object.values(v as Record<string, unknown>)) freeze(x);
  }
  return v;
}

export class AssetRepository {
  private readonly pages = new Map<string, PageEntry>();
  private readonly reading = new Map<string, Promise<AssetPage>>();

  constructor(private readonly graph: GraphClient) {}

  /** A page of the inventory. The result is frozen: it may be shared with other requests. */
  async list(query: AssetListQuery): Promise<AssetPage> {
    const sort: AssetSortField = query.sort ?? 'name';
    if (!ASSET_SORT_FIELDS.includes(sort)) throw new ValidationError('INVALID_SORT', `cannot sort by ${sort}`, { field: 'sort' });
    if (query.cursor) decodeCursor(query.cursor);
    const key = JSON.stringify([query.q?.toLowerCase() ?? null, query.kind ?? null, query.subnet ?? null, query.ephi ?? null, query.ai ?? null, query.stale ?? null, sort, query.order === 'desc', query.limit, query.cursor ?? null]);
    const generation = inventoryGeneration();
    const hit = this.pages.get(key);
    const age = hit ? Date.now() - hit.readAt : Infinity;
    if (hit && hit.generation === generation && age < PAGE_MAX_AGE_MS) {
      if (age >= PAGE_REFRESH_MS) this.readPage(key, query, generation).catch(() => {});
      return hit.page;
    }
    return this.readPage(key, query, generation);
  }

  /** One database read per query and generation at a time; its result is kept only if no write started meanwhile. */
  private readPage(key: string, query: AssetListQuery, generation: number): Promise<AssetPage> {
    const flight = `${generation}|${key}`;
    const pending = this.reading.get(flight);
    if (pending) return pending;
    const readAt = Date.now();
    const p = this.queryPage(query)
      .then((page) => {
        freeze(page);
        const cur = this.pages.get(key);
        if (inventoryGeneration() === generation && (!cur || cur.readAt <= readAt)) {
          this.pages.delete(key);
          this.pages.set(key, { generation, readAt, page });
          if (this.pages.size > PAGE_CACHE_ENTRIES) this.pages.delete(this.pages.keys().next().value!);
        }
        return page;
      })
      .finally(() => this.reading.delete(flight));
    this.reading.set(flight, p);
    return p;
  }

  private async queryPage(query: AssetListQuery): Promise<AssetPage> {
    const sort: AssetSortField = query.sort ?? 'name';
    const desc = query.order === 'desc';
    const params: Record<string, unknown> = { limit: int(query.limit + 1) };
    const where = inventoryWhere(query, params);
    // The sort property comes from the allow-list above, never from request text. Sorting on the
    // bare indexed property (every asset has name, kind, firstSeen and lastSeen from its first
    // write) lets Neo4j read the range index in order instead of sorting every asset per page.
    const key = `a.${sort}`;
    const isDate = sort === 'firstSeen' || sort === 'lastSeen';
    where.push(`${key} IS NOT NULL`);
    if (query.cursor) {
      const [v, id] = decodeCursor(query.cursor);
      if (typeof v !== 'string') throw new ValidationError('INVALID_CURSOR', 'cursor is not one this API issued', { field: 'cursor' });
      if (isDate && Number.isNaN(Date.parse(v))) throw new ValidationError('INVALID_CURSOR', 'cursor is not one this API issued', { field: 'cursor' });
      params.cv = v;
      params.cid = id;
      const cv = isDate ? 'datetime($cv)' : '$cv';
      where.push(desc ? `(${key} < ${cv} OR (${key} = ${cv} AND a.id < $cid))` : `(${key} > ${cv} OR (${key} = ${cv} AND a.id > $cid))`);
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
       OPTIONAL MATCH (a)-[:MERGED_INTO]->(m:Asset)
       OPTIONAL MATCH (a)-[:SPLIT_FROM]->(sf:Asset)
       OPTIONAL MATCH (a)-[:OWNED_BY]->(p:Person)
       OPTIONAL MATCH (a)-[:LOCATED_AT]->(site:Site)
       OPTIONAL MATCH (a)-[:SUPPLIED_BY]->(v:Vendor)
       RETURN ${SUMMARY} AS asset, properties(a) AS props, a:Retired AS retired, m.id AS mergedInto, sf.id AS splitFrom,
         CASE WHEN p IS NULL THEN null ELSE {id: p.id, name: p.name, email: p.email} END AS owner,
         CASE WHEN site IS NULL THEN null ELSE {id: site.id, name: site.name} END AS site,
         CASE WHEN v IS NULL THEN null ELSE {id: v.id, name: v.name} END AS vendor,
         [(o:Asset)-[:MERGED_INTO]->(a) | o.id] AS mergedFrom,
         [(a)-[:HAS_SERVICE]->(s:Service) | s {.key, .protocol, .port, .state, .reason, .name, .product, .version, .extrainfo, .devicetype, .cpe, .scripts, .firstSeen, .lastSeen}] AS services,
         [(a)-[:HAS_INTERFACE]->(i:Interface) | i {.key, .ip, .family, .mac, .macKind, .macVendor, .firstSeen, .lastSeen, subnet: head([(i)-[:IN_SUBNET]->(n:Subnet) | n.cidr])}] AS interfaces,
         [(a)-[r:SEEN_BY]->(src:Source) | {sourceId: src.id, sourceName: src.name, firstSeen: r.firstSeen, lastSeen: r.lastSeen, lastRunId: r.lastRunId}] AS provenance,
         [(k:IdentityConflict)-[:ABOUT]->(a) | {id: k.id, state: k.state, assetIds: coalesce(k.assetIds, []), detectedAt: k.detectedAt}] AS conflicts`,
      { id },
    );
    const r = rows[0];
    if (!r) throw new NotFoundError('asset', id);
    const props = r.props as Record<string, unknown>;
    const history = [id, ...(r.mergedFrom as string[])];
    const changes = await this.graph.read(
      `MATCH (c:ChangeEvent) WHERE c.assetId IN $ids RETURN ${CHANGE_VIEW} AS c ORDER BY c.at DESC, c.id DESC LIMIT 200`,
      { ids: history },
    );
    const observed: Record<string, unknown> = {};
    for (const k of OBSERVED) if (props[k] !== undefined && props[k] !== null) observed[k === 'o_kind' ? 'kind' : k] = JSON_PROPS.has(k) ? parseDetail(props[k]) : props[k];
    const asserted: Record<string, unknown> = {};
    for (const f of ASSERTED_FIELDS) if (props[`a_${f}`] !== undefined && props[`a_${f}`] !== null) asserted[f] = props[`a_${f}`];
    const effective: Record<string, unknown> = {
      name: props.name ?? id,
      kind: props.kind ?? 'unknown',
      ephiRole: props.ephiRole ?? 'unknown',
      isAi: props.isAi ?? false,
      encryptionAtRest: asserted.encryptionAtRest ?? 'unknown',
      encryptionInTransit: asserted.encryptionInTransit ?? 'unknown',
      mfa: asserted.mfa ?? 'unknown',
      criticality: asserted.criticality ?? null,
      version: asserted.version ?? null,
      vendorModel: asserted.vendorModel ?? null,
      assetTag: props.assetTag ?? null,
      serial: props.serial ?? null,
      cloudId: props.cloudId ?? null,
      notes: asserted.notes ?? null,
    };
    const services = (r.services as Record<string, unknown>[]).map((s) => ({
      key: String(s.key),
      protocol: (s.protocol as string) ?? null,
      port: (s.port as number) ?? null,
      state: (s.state as string) ?? null,
      reason: (s.reason as string) ?? null,
      name: (s.name as string) ?? null,
      product: (s.product as string) ?? null,
      version: (s.version as string) ?? null,
      extrainfo: (s.extrainfo as string) ?? null,
      devicetype: (s.devicetype as string) ?? null,
      cpe: (s.cpe as string[]) ?? [],
      scripts: (parseDetail(s.scripts) as ServiceView['scripts']) ?? [],
      firstSeen: (s.firstSeen as string) ?? null,
      lastSeen: (s.lastSeen as string) ?? null,
    }));
    services.sort((x, y) => (x.port ?? 0) - (y.port ?? 0) || String(x.protocol).localeCompare(String(y.protocol)));
    return {
      ...(r.asset as AssetSummary),
      retired: Boolean(r.retired),
      mergedInto: (r.mergedInto as string) ?? null,
      mergedFrom: r.mergedFrom as string[],
      splitFrom: (r.splitFrom as string) ?? null,
      observed,
      asserted,
      effective,
      owner: r.owner as AssetDetail['owner'],
      site: r.site as AssetDetail['site'],
      vendor: r.vendor as AssetDetail['vendor'],
      services,
      interfaces: (r.interfaces as InterfaceView[]).map((i) => ({ ...i, ip: i.ip ?? null, family: i.family ?? null, mac: i.mac ?? null, macKind: i.macKind ?? null, macVendor: i.macVendor ?? null, subnet: i.subnet ?? null })),
      provenance: r.provenance as ProvenanceView[],
      lastRunId: (props.lastRunId as string) ?? null,
      changes: changes.map((c) => ({ ...(c.c as ChangeView), detail: parseDetail((c.c as ChangeView).detail) })),
      conflicts: r.conflicts as AssetDetail['conflicts'],
    };
  }

  /**
   * Sets or clears (null) asserted fields and owner/site/vendor links, keeps the effective
   * values in step, and records one `assertion-changed` event per field that changed.
   */
  async patch(id: string, patch: AssetPatch, by: string): Promise<AssetDetail> {
    const fields = Object.keys(patch);
    for (const f of fields) {
      if (!(ASSERTED_FIELDS as readonly string[]).includes(f) && !Object.hasOwn(ASSET_LINKS, f)) {
        throw new ValidationError('UNKNOWN_FIELD', `${f} is not a field that can be asserted`, { field: f });
      }
    }
    const at = new Date().toISOString();
    await this.graph.executeWrite(async (tx) => {
      const cur = await tx.run('MATCH (a:Asset {id: $id}) RETURN properties(a) AS p, a:Retired AS retired, [(a)-[r:OWNED_BY|LOCATED_AT|SUPPLIED_BY]->(x) | [type(r), x.id]] AS links', { id });
      const row = cur[0];
      if (!row) throw new NotFoundError('asset', id);
      if (row.retired) throw new ConflictError('ASSET_RETIRED', `asset ${id} was merged into another asset; edit the survivor`, { id });
      const p = row.p as Record<string, unknown>;
      const links = new Map((row.links as [string, string][]).map(([t, x]) => [t, x]));
      const set: Record<string, unknown> = {};
      const events = [];
      for (const f of ASSERTED_FIELDS) {
        if (!(f in patch)) continue;
        const v = patch[f] === '' ? null : (patch[f] ?? null);
        const before = p[`a_${f}`] ?? null;
        if (before === v) continue;
        const uniq = UNIQUE_ASSERTED[f];
        if (uniq && v !== null) {
          const clash = await tx.run(`MATCH (o:Asset) WHERE o.${uniq} = $v AND o.id <> $id RETURN o.id AS id LIMIT 1`, { v, id });
          if (clash[0]) throw new ConflictError('DUPLICATE_IDENTIFIER', `${f} ${String(v)} already identifies asset ${String(clash[0].id)}`, { field: f, assetId: clash[0].id });
        }
        set[`a_${f}`] = v;
        events.push(changeEvent('assertion-changed', id, at, f, `${f} asserted: ${String(before ?? '∅')} → ${String(v ?? '∅')}`, { field: f, before, after: v, by }));
      }
      for (const [f, spec] of Object.entries(ASSET_LINKS) as [AssetLink, (typeof ASSET_LINKS)[AssetLink]][]) {
        if (!(f in patch)) continue;
        const target = patch[f] ?? null;
        const before = links.get(spec.rel) ?? null;
        if (target === before) continue;
        if (target !== null) {
          const found = await tx.run(`MATCH (x:${spec.label} {id: $target}) RETURN x.id AS id`, { target });
          if (!found[0]) throw new ValidationError('UNKNOWN_REFERENCE', `${f}: no ${spec.label.toLowerCase()} with id ${target}`, { field: f, id: target });
        }
        await tx.run(`MATCH (a:Asset {id: $id}) OPTIONAL MATCH (a)-[r:${spec.rel}]->() DELETE r`, { id });
        if (target !== null) await tx.run(`MATCH (a:Asset {id: $id}), (x:${spec.label} {id: $target}) MERGE (a)-[r:${spec.rel}]->(x) SET r.at = datetime($at), r.by = $by`, { id, target, at, by });
        events.push(changeEvent('assertion-changed', id, at, f, `${f}: ${String(before ?? '∅')} → ${String(target ?? '∅')}`, { field: f, before, after: target, by }));
      }
      if (events.length === 0) return;
      await tx.run(
        `MATCH (a:Asset {id: $id})
         SET a += $set
         SET a.name = coalesce(a.a_name, a.fqdn, a.hostnames[0], a.ips[0], a.mac, a.id),
             a.kind = coalesce(a.a_kind, a.o_kind, 'unknown'),
             a.ephiRole = coalesce(a.a_ephiRole, 'unknown'),
             a.isAi = coalesce(a.a_isAi, a.o_isAi, false),
             a.assetTag = a.a_assetTag, a.serial = a.a_serial, a.cloudId = a.a_cloudId,
             a.assertedAt = datetime($at), a.assertedBy = $by,
             a.searchText = toLower(coalesce(a.a_name, '') + ' ' + coalesce(a.a_assetTag, '') + ' ' + coalesce(a.a_serial, '') + ' ' +
               reduce(t = '', h IN coalesce(a.hostnames, []) | t + ' ' + h) + ' ' + reduce(t = '', x IN coalesce(a.ips, []) | t + ' ' + x) + ' ' +
               coalesce(a.mac, '') + ' ' + coalesce(a.macVendor, '') + ' ' + coalesce(a.os, ''))`,
        { id, set, at, by },
      );
      await tx.run(
        `UNWIND $events AS e
         CREATE (c:ChangeEvent {id: e.id, type: e.type, assetId: e.assetId, summary: e.summary, detail: e.detail, at: datetime(e.at), sourceId: 'manual', by: $by})`,
        { events, by },
      );
    });
    return this.get(id);
  }

  async count(): Promise<number> {
    const rows = await this.graph.read('MATCH (a:Asset) WHERE NOT a:Retired RETURN count(a) AS n');
    return Number(rows[0]?.n ?? 0);
  }
}
