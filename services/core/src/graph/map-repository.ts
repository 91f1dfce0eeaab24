import { NotFoundError, ValidationError } from '../errors.js';
import { int, type GraphClient } from './neo4j-client.js';
import { BAA_CURRENT, BAA_STATUS } from './vendor-repository.js';
import { EXTERNAL_ASSET_KINDS } from './reach-repository.js';

/**
 * Cytoscape-ready map views. Every answer stays within an element budget (nodes + edges);
 * above it the server aggregates (groups of groups, groups by kind) and says so in `budget`.
 * Group keys are computed from allow-listed expressions, never from request text.
 */
export const GROUP_BYS = ['subnet', 'site', 'vendor', 'kind'] as const;
export type GroupBy = (typeof GROUP_BYS)[number];
export const DEFAULT_MAX_ELEMENTS = 2000;

export interface AssetFilter {
  kind?: string;
  ephi?: string;
  ai?: boolean;
  stale?: boolean;
}

export interface MapNode {
  data: Record<string, unknown> & { id: string; label: string; type: 'group' | 'asset' | 'vendor' };
}
export interface MapEdge {
  data: { id: string; source: string; target: string; type: string; count?: number } & Record<string, unknown>;
}
export interface Budget {
  maxElements: number;
  aggregated: boolean;
  totalAssets: number;
  omittedEdges: number;
  note?: string;
  /** Where the figures come from: computed for this request, or read from the maintained aggregates. */
  source?: 'live' | 'aggregate';
  /** When the figures were computed (ISO); for aggregates, the last refresh. */
  aggregatedAt?: string;
  /** Longest time a change can take to show in aggregated figures (check interval + refresh gap + last refresh). */
  refreshBoundMs?: number;
}
export interface MapView {
  elements: { nodes: MapNode[]; edges: MapEdge[] };
  budget: Budget;
  generatedAt: string;
}

const IPV4_24 = (ip: string) => `substring(${ip}, 0, size(${ip}) - size(split(${ip}, '.')[3])) + '0/24'`;

/** Group key of an Asset or Vendor node `v` for a group-by; vendors are always their own group. */
export function groupKey(g: GroupBy, v: string): string {
  const asset: Record<GroupBy, string> = {
    subnet: `'subnet:' + coalesce(${v}.subnetCidr, CASE WHEN ${v}.ips[0] =~ '[0-9]{1,3}([.][0-9]{1,3}){3}' THEN ${IPV4_24(`${v}.ips[0]`)} ELSE 'none' END)`,
    site: `'site:' + coalesce(head([(${v})-[:LOCATED_AT]->(s:Site) | s.id]), 'none')`,
    vendor: `'vendor:' + coalesce(head([(${v})-[:SUPPLIED_BY]->(s:Vendor) | s.id]), 'none')`,
    kind: `'kind:' + coalesce(${v}.kind, 'unknown')`,
  };
  return `CASE WHEN ${v}:Vendor THEN 'vendor:' + ${v}.id ELSE ${asset[g]} END`;
}

function groupLabel(g: GroupBy, v: string): string {
  const asset: Record<GroupBy, string> = {
    subnet: `coalesce(${v}.subnetCidr, CASE WHEN ${v}.ips[0] =~ '[0-9]{1,3}([.][0-9]{1,3}){3}' THEN ${IPV4_24(`${v}.ips[0]`)} ELSE 'No IPv4 subnet' END)`,
    site: `coalesce(head([(${v})-[:LOCATED_AT]->(s:Site) | s.name]), 'No site')`,
    vendor: `coalesce(head([(${v})-[:SUPPLIED_BY]->(s:Vendor) | s.name]), 'No vendor')`,
    kind: `coalesce(${v}.kind, 'unknown')`,
  };
  return `CASE WHEN ${v}:Vendor THEN ${v}.name ELSE ${asset[g]} END`;
}

/** Filter predicates for assets; vendors always pass. Values go in `params`. */
function filterClause(f: AssetFilter, v: string, params: Record<string, unknown>): string {
  const parts: string[] = [`NOT ${v}:Retired`];
  if (f.kind) {
    parts.push(`${v}.kind = $fKind`);
    params.fKind = f.kind;
  }
  if (f.ephi) {
    parts.push(`coalesce(${v}.ephiRole, 'unknown') = $fEphi`);
    params.fEphi = f.ephi;
  }
  if (f.ai !== undefined) {
    parts.push(`coalesce(${v}.isAi, false) = $fAi`);
    params.fAi = f.ai;
  }
  if (f.stale !== undefined) parts.push(f.stale ? `${v}.status IN ['stale', 'missed']` : `NOT coalesce(${v}.status, 'up') IN ['stale', 'missed']`);
  return `(${v}:Vendor OR (${parts.join(' AND ')}))`;
}

const EPHI = (a: string) => `${a}.ephiRole IN ['stores', 'processes', 'transmits']`;
const STALE = (a: string) => `${a}.status IN ['stale', 'missed']`;
const OPEN_ALERTS = (a: string) => `COUNT { (${a})<-[:ABOUT]-(al:Alert) WHERE al.state IN ['open', 'acknowledged'] }`;

const ASSET_NODE = (a: string) => `{id: ${a}.id, label: coalesce(${a}.name, ${a}.id), type: 'asset', kind: coalesce(${a}.kind, 'unknown'),
  ephiRole: coalesce(${a}.ephiRole, 'unknown'), isAi: coalesce(${a}.isAi, false), status: coalesce(${a}.status, 'up'), alertCount: ${OPEN_ALERTS(a)}}`;
const VENDOR_NODE = (v: string) => `{id: ${v}.id, label: coalesce(${v}.name, ${v}.id), type: 'vendor', kind: 'vendor',
  isAiService: coalesce(${v}.isAiService, false), baaStatus: ${BAA_STATUS(v)}}`;
const ANY_NODE = (n: string) => `CASE WHEN ${n}:Vendor THEN ${VENDOR_NODE(n)} ELSE ${ASSET_NODE(n)} END`;

interface GroupRow {
  id: string;
  label: string;
  count: number;
  ephiCount: number;
  aiCount: number;
  staleCount: number;
  alertCount: number;
}

const EDGE_TYPE = `CASE type(r) WHEN 'EPHI_FLOW' THEN 'ephi-flows' ELSE 'connections' END`;

type TallyEdge = { source: string; target: string; type: string; count: number };
interface Tallies {
  groups: GroupRow[];
  edges: TallyEdge[];
}

export interface MapOptions {
  /** Live (filtered) overviews of large graphs are cached this long in memory. */
  cacheMs?: number;
  /** Above this many assets an unfiltered overview is read from the maintained aggregates. */
  aggregateAboveAssets?: number;
  /** Staleness bound advertised with aggregated figures (set by the aggregator that refreshes them). */
  refreshBoundMs?: () => number;
  /** Called when an aggregated overview is asked for but none is stored yet; resolves when a refresh already under way ends. */
  onMissingAggregate?: () => Promise<unknown> | undefined;
}

interface StoredAggregate {
  at: string;
  fingerprint: string;
  totalAssets: number;
  tallies: Tallies;
}

const NO_FILTER = (f: AssetFilter) => f.kind === undefined && f.ephi === undefined && f.ai === undefined && f.stale === undefined;

export class MapRepository {
  private readonly cache = new Map<string, { at: number; view: MapView }>();
  private readonly parsed = new Map<GroupBy, StoredAggregate>();
  private readonly folded = new Map<string, MapView>();
  private readonly cacheMs: number;
  private readonly aggregateAboveAssets: number;

  constructor(
    private readonly graph: GraphClient,
    private readonly opts: MapOptions = {},
  ) {
    this.cacheMs = opts.cacheMs ?? 15_000;
    this.aggregateAboveAssets = opts.aggregateAboveAssets ?? 5_000;
  }

  async totalAssets(): Promise<number> {
    const rows = await this.graph.read('MATCH (a:Asset) RETURN count(a) AS n');
    return Number(rows[0]?.n ?? 0);
  }

  /**
   * Unfiltered overviews of large graphs come from the stored aggregates (O(groups)); filtered
   * views and small graphs are computed for the request (O(edges)), with a short cache.
   */
  async overview(groupBy: GroupBy, filter: AssetFilter, maxElements = DEFAULT_MAX_ELEMENTS): Promise<MapView> {
    const totalAssets = await this.totalAssets();
    if (NO_FILTER(filter) && totalAssets > this.aggregateAboveAssets) {
      let agg = await this.aggregatedView(groupBy, maxElements);
      if (!agg) {
        // A refresh under way (e.g. the first one after an upgrade) is waited for rather than
        // duplicated by a live computation competing for the same CPU.
        const running = this.opts.onMissingAggregate?.();
        if (running) {
          await running;
          agg = await this.aggregatedView(groupBy, maxElements);
        }
      }
      if (agg) {
        const view = agg.view;
        return {
          ...view,
          budget: { ...view.budget, totalAssets, source: 'aggregate', aggregatedAt: agg.at, ...(this.opts.refreshBoundMs ? { refreshBoundMs: this.opts.refreshBoundMs() } : {}) },
          generatedAt: new Date().toISOString(),
        };
      }
    }
    const key = JSON.stringify([groupBy, filter, maxElements]);
    const hit = this.cache.get(key);
    if (hit && Date.now() - hit.at < this.cacheMs) return hit.view;
    const aggregatedAt = new Date().toISOString();
    const t = await this.tally(groupBy, filter);
    const folded = foldGroups(groupBy, t.groups, t.edges, maxElements, totalAssets);
    const view = { ...folded, budget: { ...folded.budget, source: 'live' as const, aggregatedAt } };
    if (totalAssets > this.aggregateAboveAssets) this.cache.set(key, { at: Date.now(), view });
    return view;
  }

  /** The figures behind an overview: per-group tallies and group-to-group edge counts (walks every edge). */
  async tally(groupBy: GroupBy, filter: AssetFilter): Promise<Tallies> {
    const params: Record<string, unknown> = {};
    const fa = filterClause(filter, 'a', params);
    const fb = filterClause(filter, 'b', params);
    const [groupRows, edgeRows, alertRows] = await Promise.all([
      this.graph.read(
        `MATCH (a:Asset) WHERE ${fa}
         WITH a, ${groupKey(groupBy, 'a')} AS g, ${groupLabel(groupBy, 'a')} AS label
         WITH g, label, count(*) AS count,
              sum(CASE WHEN ${EPHI('a')} THEN 1 ELSE 0 END) AS ephiCount, sum(CASE WHEN coalesce(a.isAi, false) THEN 1 ELSE 0 END) AS aiCount,
              sum(CASE WHEN ${STALE('a')} THEN 1 ELSE 0 END) AS staleCount
         RETURN g AS id, label, count, ephiCount, aiCount, staleCount, 0 AS alertCount`,
        params,
      ),
      this.graph.read(
        `MATCH (a)-[r:CONNECTS_TO|EPHI_FLOW]->(b)
         WHERE (a:Asset OR a:Vendor) AND (b:Asset OR b:Vendor) AND ${fa} AND ${fb}
         WITH ${groupKey(groupBy, 'a')} AS ga, ${groupKey(groupBy, 'b')} AS gb, ${EDGE_TYPE} AS t, a, b
         WHERE ga <> gb
         WITH ga, gb, t, count(*) AS count, collect(CASE WHEN a:Vendor THEN a ELSE null END)[0] AS va, collect(CASE WHEN b:Vendor THEN b ELSE null END)[0] AS vb
         RETURN ga, gb, t, count, CASE WHEN va IS NULL THEN null ELSE {id: ga, label: va.name} END AS xa, CASE WHEN vb IS NULL THEN null ELSE {id: gb, label: vb.name} END AS xb`,
        params,
      ),
      // Open alerts counted from the alerts (few, indexed by state) rather than by expanding every
      // asset's ABOUT relationships, which also link the whole change history.
      this.graph.read(
        `MATCH (al:Alert) WHERE al.state IN ['open', 'acknowledged']
         MATCH (al)-[:ABOUT]->(a:Asset) WHERE ${fa}
         RETURN ${groupKey(groupBy, 'a')} AS g, count(*) AS n`,
        params,
      ),
    ]);
    const groups = new Map<string, GroupRow>();
    for (const r of groupRows) groups.set(r.id as string, { ...(r as unknown as GroupRow), count: Number(r.count), ephiCount: Number(r.ephiCount), aiCount: Number(r.aiCount), staleCount: Number(r.staleCount), alertCount: 0 });
    for (const r of alertRows) {
      const g = groups.get(r.g as string);
      if (g) g.alertCount = Number(r.n);
    }
    // Vendors that are flow or connection endpoints appear as their own (external) groups.
    for (const r of edgeRows) {
      for (const x of [r.xa, r.xb] as ({ id: string; label: string } | null)[]) {
        if (x && !groups.has(x.id)) groups.set(x.id, { id: x.id, label: x.label, count: 0, ephiCount: 0, aiCount: 0, staleCount: 0, alertCount: 0 });
      }
    }
    const edges = edgeRows.map((r) => ({ source: r.ga as string, target: r.gb as string, type: r.t as string, count: Number(r.count) }));
    return { groups: [...groups.values()], edges };
  }

  /** A cheap summary of everything the overview figures depend on (count-store counts and index ends). */
  async fingerprint(): Promise<string> {
    const rows = await this.graph.read(
      `CALL () { MATCH (a:Asset) RETURN count(a) AS assets }
       CALL () { MATCH (x:Retired) RETURN count(x) AS retired }
       CALL () { MATCH (v:Vendor) RETURN count(v) AS vendors }
       CALL () { MATCH (s:Site) RETURN count(s) AS sites }
       CALL () { MATCH (c:ChangeEvent) RETURN count(c) AS changes }
       CALL () { MATCH (al:Alert) RETURN count(al) AS alerts }
       CALL () { MATCH (al:Alert) WHERE al.state IN ['open', 'acknowledged'] RETURN count(al) AS openAlerts }
       CALL () { MATCH ()-[r:CONNECTS_TO]->() RETURN count(r) AS connections }
       CALL () { MATCH ()-[r:EPHI_FLOW]->() RETURN count(r) AS flows }
       CALL () { MATCH ()-[r:LOCATED_AT]->() RETURN count(r) AS located }
       CALL () { MATCH ()-[r:SUPPLIED_BY]->() RETURN count(r) AS supplied }
       CALL () { MATCH (a:Asset) WHERE a.lastSeen IS NOT NULL RETURN max(a.lastSeen) AS lastSeen }
       RETURN [assets, retired, vendors, sites, changes, alerts, openAlerts, connections, flows, located, supplied, toString(lastSeen)] AS f`,
    );
    return JSON.stringify(rows[0]?.f ?? []);
  }

  /** When the stored aggregates were computed and from what state (null when there are none). */
  async aggregateStamp(groupBy: GroupBy): Promise<{ at: string; fingerprint: string } | null> {
    const rows = await this.graph.read(`MATCH (m:MapAggregate {groupBy: $groupBy}) RETURN toString(m.aggregatedAt) AS at, m.fingerprint AS fingerprint`, { groupBy });
    return rows[0] ? { at: String(rows[0].at), fingerprint: String(rows[0].fingerprint) } : null;
  }

  /**
   * The stored overview folded to `maxElements`, memoised per refresh. The default budget's view
   * is stored ready-made (one small read on a cold start); other budgets fold the stored tallies.
   */
  private async aggregatedView(groupBy: GroupBy, maxElements: number): Promise<{ at: string; view: MapView } | null> {
    const stamp = await this.aggregateStamp(groupBy);
    if (!stamp) return null;
    const key = `${groupBy}|${maxElements}|${stamp.at}`;
    let view = this.folded.get(key);
    if (!view && maxElements === DEFAULT_MAX_ELEMENTS) {
      const rows = await this.graph.read(`MATCH (m:MapAggregate {groupBy: $groupBy}) WHERE toString(m.aggregatedAt) = $at RETURN m.defaultView AS view`, { groupBy, at: stamp.at });
      if (typeof rows[0]?.view === 'string') view = JSON.parse(rows[0].view) as MapView;
    }
    if (!view) {
      const agg = await this.storedAggregate(groupBy);
      if (!agg) return null;
      view = foldGroups(groupBy, agg.tallies.groups, agg.tallies.edges, maxElements, agg.totalAssets);
    }
    for (const k of this.folded.keys()) if (k.startsWith(`${groupBy}|`) && !k.endsWith(`|${stamp.at}`)) this.folded.delete(k);
    this.folded.set(key, view);
    return { at: stamp.at, view };
  }

  private async storedAggregate(groupBy: GroupBy): Promise<StoredAggregate | null> {
    const stamp = await this.aggregateStamp(groupBy);
    if (!stamp) return null;
    const memo = this.parsed.get(groupBy);
    if (memo && memo.at === stamp.at) return memo;
    const rows = await this.graph.read(
      `MATCH (m:MapAggregate {groupBy: $groupBy}) RETURN toString(m.aggregatedAt) AS at, m.fingerprint AS fingerprint, m.totalAssets AS totalAssets, m.groups AS groups, m.edges AS edges`,
      { groupBy },
    );
    const r = rows[0];
    if (!r) return null;
    const groups = (JSON.parse(String(r.groups)) as [string, string, number, number, number, number, number][]).map(([id, label, count, ephiCount, aiCount, staleCount, alertCount]) => ({ id, label, count, ephiCount, aiCount, staleCount, alertCount }));
    const edges = (JSON.parse(String(r.edges)) as [string, string, string, number][]).map(([source, target, type, count]) => ({ source, target, type, count }));
    const agg = { at: String(r.at), fingerprint: String(r.fingerprint), totalAssets: Number(r.totalAssets), tallies: { groups, edges } };
    this.parsed.set(groupBy, agg);
    return agg;
  }

  /** Recomputes the unfiltered tallies of every group-by and stores them in one transaction; returns how long it took. */
  async refreshAggregates(fingerprint?: string): Promise<{ ms: number; fingerprint: string }> {
    const t0 = performance.now();
    const fp = fingerprint ?? (await this.fingerprint());
    const at = new Date().toISOString();
    const totalAssets = await this.totalAssets();
    const rows: Record<string, unknown>[] = [];
    for (const groupBy of GROUP_BYS) {
      const t = await this.tally(groupBy, {});
      rows.push({
        groupBy,
        groups: JSON.stringify(t.groups.map((g) => [g.id, g.label, g.count, g.ephiCount, g.aiCount, g.staleCount, g.alertCount])),
        edges: JSON.stringify(t.edges.map((e) => [e.source, e.target, e.type, e.count])),
        defaultView: JSON.stringify(foldGroups(groupBy, t.groups, t.edges, DEFAULT_MAX_ELEMENTS, totalAssets)),
      });
    }
    await this.graph.write(
      `UNWIND $rows AS r
       MERGE (m:MapAggregate {groupBy: r.groupBy})
       SET m.aggregatedAt = datetime($at), m.fingerprint = $fp, m.totalAssets = $totalAssets, m.groups = r.groups, m.edges = r.edges, m.defaultView = r.defaultView`,
      { rows, at, fp, totalAssets: int(totalAssets) },
    );
    return { ms: performance.now() - t0, fingerprint: fp };
  }

  /** The members of one group; above the budget, sub-groups by kind. */
  async group(groupId: string, maxElements = DEFAULT_MAX_ELEMENTS): Promise<MapView> {
    const m = /^(subnet|site|vendor|kind):(.+)$/.exec(groupId);
    if (!m) throw new ValidationError('INVALID_GROUP', 'groupId must look like subnet:<cidr>, site:<id>, vendor:<id> or kind:<kind>', { field: 'params.groupId' });
    const groupBy = m[1] as GroupBy;
    const totalAssets = await this.totalAssets();
    const members = await this.graph.read(
      `${memberCandidates(groupBy, m[2]!)}
       WITH DISTINCT a WHERE NOT a:Retired AND ${groupKey(groupBy, 'a')} = $gid
       WITH a ORDER BY a.name, a.id
       WITH collect(a) AS members
       RETURN size(members) AS total, [m IN members[0..$cap] | ${ASSET_NODE('m')}] AS nodes`,
      { gid: groupId, v: m[2], prefix: ipv4Prefix(m[2]!), cap: int(Math.floor(maxElements / 3)) },
    );
    const total = Number(members[0]?.total ?? 0);
    const vendorGroup = groupBy === 'vendor' ? await this.graph.read(`MATCH (v:Vendor {id: $id}) RETURN ${VENDOR_NODE('v')} AS node`, { id: m[2] }) : [];
    if (total === 0 && vendorGroup.length === 0) throw new NotFoundError('group', groupId);
    // Members may take a third of the budget; edges and neighbouring groups need the rest.
    const nodesBudget = Math.floor(maxElements / 3);
    if (total > nodesBudget) return this.groupByKind(groupBy, groupId, m[2]!, maxElements, totalAssets, total);

    const nodes: MapNode[] = (members[0]!.nodes as MapNode['data'][]).map((d) => ({ data: { ...d, parent: groupId } }));
    if (vendorGroup[0]) nodes.push({ data: { ...(vendorGroup[0].node as MapNode['data']), parent: groupId } });
    const ids = nodes.map((n) => n.data.id);
    const rows = await this.graph.read(
      `CALL () { MATCH (a:Asset) WHERE a.id IN $ids RETURN a UNION MATCH (a:Vendor) WHERE a.id IN $ids RETURN a }
       MATCH (a)-[r:CONNECTS_TO|EPHI_FLOW]-(b)
       WHERE (b:Asset OR b:Vendor) AND NOT coalesce(b:Retired, false)
       WITH a, b, r, startNode(r) = a AS outgoing, b.id IN $ids AS inside
       WHERE NOT inside OR outgoing
       RETURN a.id AS a, b.id AS b, inside, outgoing, ${EDGE_TYPE} AS t,
              CASE WHEN inside THEN null ELSE ${groupKey(groupBy, 'b')} END AS gb,
              CASE WHEN inside THEN null ELSE ${groupLabel(groupBy, 'b')} END AS gbLabel`,
      { ids },
    );
    const edgeCounts = new Map<string, MapEdge['data']>();
    const neighbours = new Map<string, { label: string; members: Set<string> }>();
    for (const r of rows) {
      let source: string, target: string;
      if (r.inside) {
        source = r.a as string;
        target = r.b as string;
      } else {
        const gb = r.gb as string;
        if (gb === groupId) continue;
        const n = neighbours.get(gb) ?? { label: r.gbLabel as string, members: new Set<string>() };
        n.members.add(r.b as string);
        neighbours.set(gb, n);
        [source, target] = r.outgoing ? [r.a as string, gb] : [gb, r.a as string];
      }
      const key = `${source}>${target}>${String(r.t)}`;
      const e = edgeCounts.get(key) ?? { id: key, source, target, type: r.t as string, count: 0 };
      e.count = (e.count ?? 0) + 1;
      edgeCounts.set(key, e);
    }
    for (const [id, n] of neighbours) {
      nodes.push({ data: { id, label: n.label, type: 'group', groupBy: id.split(':')[0]!, count: n.members.size, neighbour: true } });
    }
    return capEdges(nodes, [...edgeCounts.values()].map((data) => ({ data })), { maxElements, aggregated: false, totalAssets, omittedEdges: 0 });
  }

  private async groupByKind(groupBy: GroupBy, groupId: string, value: string, maxElements: number, totalAssets: number, total: number): Promise<MapView> {
    const rows = await this.graph.read(
      `${memberCandidates(groupBy, value)}
       WITH DISTINCT a WHERE NOT a:Retired AND ${groupKey(groupBy, 'a')} = $gid
       RETURN coalesce(a.kind, 'unknown') AS kind, count(*) AS count,
              sum(CASE WHEN ${EPHI('a')} THEN 1 ELSE 0 END) AS ephiCount, sum(CASE WHEN coalesce(a.isAi, false) THEN 1 ELSE 0 END) AS aiCount,
              sum(CASE WHEN ${STALE('a')} THEN 1 ELSE 0 END) AS staleCount, sum(${OPEN_ALERTS('a')}) AS alertCount
       ORDER BY kind`,
      { gid: groupId, v: value, prefix: ipv4Prefix(value) },
    );
    const nodes: MapNode[] = rows.map((r) => ({
      data: {
        id: `${groupId}|kind:${String(r.kind)}`,
        label: `${String(r.kind)} (${Number(r.count)})`,
        type: 'group',
        groupBy: 'kind',
        count: Number(r.count),
        ephiCount: Number(r.ephiCount),
        aiCount: Number(r.aiCount),
        staleCount: Number(r.staleCount),
        alertCount: Number(r.alertCount),
        parent: groupId,
      },
    }));
    return {
      elements: { nodes, edges: [] },
      budget: { maxElements, aggregated: true, totalAssets, omittedEdges: 0, note: `${total} members exceed the budget; shown as sub-groups by kind (filter by kind to list them)` },
      generatedAt: new Date().toISOString(),
    };
  }

  /** An asset and its k-hop neighbourhood over connections and ePHI flows (both directions). */
  async focus(assetId: string, k: number, maxElements = DEFAULT_MAX_ELEMENTS): Promise<MapView> {
    if (!Number.isInteger(k) || k < 1 || k > 3) throw new ValidationError('INVALID_BOUND', 'k must be 1, 2 or 3', { field: 'querystring.k' });
    const totalAssets = await this.totalAssets();
    const start = await this.graph.read(`MATCH (a:Asset {id: $id}) RETURN ${ASSET_NODE('a')} AS node`, { id: assetId });
    if (!start[0]) throw new NotFoundError('asset', assetId);
    const nodeBudget = Math.floor(maxElements / 2);
    const nodes = new Map<string, MapNode['data']>([[assetId, { ...(start[0].node as MapNode['data']), hops: 0, focus: true }]]);
    let frontier = [assetId];
    let aggregated = false;
    let note: string | undefined;
    for (let hop = 1; hop <= k && frontier.length > 0; hop++) {
      const rows = await this.graph.read(
        `UNWIND $frontier AS id
         CALL (id) { MATCH (a:Asset {id: id}) RETURN a UNION MATCH (a:Vendor {id: id}) RETURN a }
         MATCH (a)-[:CONNECTS_TO|EPHI_FLOW]-(b)
         WHERE (b:Asset OR b:Vendor) AND NOT b.id IN $seen AND NOT coalesce(b:Retired, false)
         WITH DISTINCT b
         RETURN ${ANY_NODE('b')} AS node`,
        { frontier, seen: [...nodes.keys()] },
      );
      if (nodes.size + rows.length > nodeBudget) {
        const byKind = new Map<string, number>();
        for (const r of rows) {
          const kind = String((r.node as MapNode['data']).kind ?? 'unknown');
          byKind.set(kind, (byKind.get(kind) ?? 0) + 1);
        }
        for (const [kind, count] of byKind) {
          nodes.set(`hop${hop}|kind:${kind}`, { id: `hop${hop}|kind:${kind}`, label: `${count} × ${kind} at ${hop} hops`, type: 'group', groupBy: 'kind', count, hops: hop });
        }
        aggregated = true;
        note = `${rows.length} neighbours at ${hop} hops exceed the budget; shown as groups by kind and not expanded further`;
        break;
      }
      frontier = [];
      for (const r of rows) {
        const d = r.node as MapNode['data'];
        nodes.set(d.id, { ...d, hops: hop });
        frontier.push(d.id);
      }
    }
    const ids = [...nodes.values()].filter((n) => n.type !== 'group').map((n) => n.id);
    const edges = await this.edgesAmong(ids);
    return capEdges([...nodes.values()].map((data) => ({ data })), edges, { maxElements, aggregated, totalAssets, omittedEdges: 0, ...(note ? { note } : {}) });
  }

  private async edgesAmong(ids: string[]): Promise<MapEdge[]> {
    const rows = await this.graph.read(
      `UNWIND $ids AS id
       CALL (id) { MATCH (a:Asset {id: id}) RETURN a UNION MATCH (a:Vendor {id: id}) RETURN a }
       MATCH (a)-[r:CONNECTS_TO|EPHI_FLOW]->(b) WHERE b.id IN $ids
       RETURN a.id AS source, b.id AS target, ${EDGE_TYPE} AS t, count(*) AS count`,
      { ids },
    );
    return rows.map((r) => ({
      data: { id: `${String(r.source)}>${String(r.target)}>${String(r.t)}`, source: r.source as string, target: r.target as string, type: r.t as string, count: Number(r.count) },
    }));
  }

  /** The ePHI flow view: flow endpoints and one edge per asserted flow. */
  async flows(maxElements = DEFAULT_MAX_ELEMENTS): Promise<MapView> {
    const totalAssets = await this.totalAssets();
    const rows = await this.graph.read(
      `MATCH (x)-[f:EPHI_FLOW]->(y)
       WITH x, f, y, CASE WHEN y:Vendor THEN y WHEN y.kind IN $external THEN head(COLLECT { MATCH (y)-[:SUPPLIED_BY]->(v:Vendor) RETURN v LIMIT 1 }) ELSE null END AS v
       RETURN ${ANY_NODE('x')} AS xn, ${ANY_NODE('y')} AS yn,
              {id: f.id, source: x.id, target: y.id, type: 'ephi-flow', encryptedInTransit: f.encryptedInTransit,
               baaCovered: CASE WHEN v IS NULL THEN CASE WHEN y:Vendor OR y.kind IN $external THEN false ELSE null END ELSE ${BAA_CURRENT('v')} END,
               external: y:Vendor OR y.kind IN $external,
               toAi: coalesce(v.isAiService, false) OR coalesce(y.isAiService, false) OR coalesce(y.isAi, false),
               dataCategories: coalesce(f.dataCategories, []), protocol: f.protocol, port: f.port, origin: coalesce(f.origin, 'asserted')} AS edge
       ORDER BY f.id`,
      { external: [...EXTERNAL_ASSET_KINDS] },
    );
    const nodes = new Map<string, MapNode['data']>();
    for (const r of rows) {
      for (const n of [r.xn, r.yn] as MapNode['data'][]) nodes.set(n.id, n);
    }
    const edges = rows.map((r) => ({ data: r.edge as MapEdge['data'] }));
    if (nodes.size + edges.length <= maxElements) {
      return { elements: { nodes: [...nodes.values()].map((data) => ({ data })), edges }, budget: { maxElements, aggregated: false, totalAssets, omittedEdges: 0 }, generatedAt: new Date().toISOString() };
    }
    // Over budget: endpoints by kind, flows counted between kinds.
    const kindOf = (id: string) => `kind:${String(nodes.get(id)?.kind ?? 'unknown')}`;
    const groups = new Map<string, MapNode['data']>();
    const agg = new Map<string, MapEdge['data']>();
    for (const n of nodes.values()) {
      const g = groups.get(kindOf(n.id)) ?? { id: kindOf(n.id), label: String(n.kind), type: 'group', groupBy: 'kind', count: 0 };
      g.count = Number(g.count) + 1;
      groups.set(g.id, g);
    }
    for (const e of edges) {
      const s = kindOf(e.data.source);
      const t = kindOf(e.data.target);
      const key = `${s}>${t}`;
      const a = agg.get(key) ?? { id: key, source: s, target: t, type: 'ephi-flows', count: 0, unencryptedCount: 0, uncoveredCount: 0, toAiCount: 0 };
      a.count = (a.count ?? 0) + 1;
      if (e.data.encryptedInTransit !== true) a.unencryptedCount = Number(a.unencryptedCount) + 1;
      if (e.data.baaCovered === false) a.uncoveredCount = Number(a.uncoveredCount) + 1;
      if (e.data.toAi) a.toAiCount = Number(a.toAiCount) + 1;
      agg.set(key, a);
    }
    return capEdges(
      [...groups.values()].map((data) => ({ data })),
      [...agg.values()].map((data) => ({ data })),
      { maxElements, aggregated: true, totalAssets, omittedEdges: 0, note: `${edges.length} flows between ${nodes.size} endpoints exceed the budget; shown by endpoint kind` },
    );
  }

  /** Ingest totals for /metrics, from the recorded scan and import runs. */
  async ingestTotals(): Promise<{ runs: { kind: string; status: string; n: number; hosts: number; created: number; updated: number }[]; assets: number; flows: number; connections: number }> {
    const [runs, counts] = await Promise.all([
      this.graph.read(
        `MATCH (r:ScanRun) RETURN coalesce(r.kind, 'unknown') AS kind, coalesce(r.status, 'unknown') AS status, count(*) AS n,
           sum(coalesce(r.hosts, 0)) AS hosts, sum(coalesce(r.assetsCreated, 0)) AS created, sum(coalesce(r.assetsUpdated, 0)) AS updated`,
      ),
      this.graph.read(
        `CALL () { MATCH (a:Asset) RETURN count(a) AS assets }
         CALL () { MATCH ()-[f:EPHI_FLOW]->() RETURN count(f) AS flows }
         CALL () { MATCH ()-[c:CONNECTS_TO]->() RETURN count(c) AS connections }
         RETURN assets, flows, connections`,
      ),
    ]);
    const c = counts[0] ?? {};
    return {
      runs: runs.map((r) => ({ kind: String(r.kind), status: String(r.status), n: Number(r.n), hosts: Number(r.hosts), created: Number(r.created), updated: Number(r.updated) })),
      assets: Number(c.assets ?? 0),
      flows: Number(c.flows ?? 0),
      connections: Number(c.connections ?? 0),
    };
  }
}

/** `a.b.c.` for an IPv4 /24 written as `a.b.c.0/24`, else null. */
function ipv4Prefix(cidr: string): string | null {
  const m = /^(\d{1,3}\.\d{1,3}\.\d{1,3}\.)0\/24$/.exec(cidr);
  return m ? m[1]! : null;
}

/**
 * A superset of a group's members found through indexes or the group's own node (`$v` is the
 * group value, `$prefix` its /24 prefix); the caller keeps those whose group key matches exactly.
 * The catch-all groups (`none`, `unknown`) have no index to start from and scan.
 */
function memberCandidates(groupBy: GroupBy, value: string): string {
  if (value === 'none' || (groupBy === 'kind' && value === 'unknown')) return 'MATCH (a:Asset)';
  switch (groupBy) {
    case 'subnet':
      return `CALL () {
         MATCH (a:Asset {subnetCidr: $v}) RETURN a
         UNION
         MATCH (i:Interface) WHERE $prefix IS NOT NULL AND i.ip STARTS WITH $prefix
         MATCH (a:Asset)-[:HAS_INTERFACE]->(i) RETURN a
       }`;
    case 'kind':
      return 'MATCH (a:Asset {kind: $v})';
    case 'site':
      return 'MATCH (:Site {id: $v})<-[:LOCATED_AT]-(a:Asset)';
    case 'vendor':
      return 'MATCH (:Vendor {id: $v})<-[:SUPPLIED_BY]-(a:Asset)';
  }
}

/** Keeps the largest groups and folds the rest into one "other" group, so the overview fits its budget. */
function foldGroups(groupBy: GroupBy, groups: GroupRow[], edges: { source: string; target: string; type: string; count: number }[], maxElements: number, totalAssets: number): MapView {
  const nodeBudget = Math.max(1, Math.floor(maxElements / 2));
  let aggregated = false;
  let note: string | undefined;
  let kept = groups;
  const remap = new Map<string, string>();
  if (groups.length > nodeBudget) {
    aggregated = true;
    const sorted = [...groups].sort((a, b) => b.count - a.count || a.id.localeCompare(b.id));
    kept = sorted.slice(0, nodeBudget - 1);
    const rest = sorted.slice(nodeBudget - 1);
    const other: GroupRow = { id: `other:${groupBy}`, label: `${rest.length} more ${groupBy} groups`, count: 0, ephiCount: 0, aiCount: 0, staleCount: 0, alertCount: 0 };
    for (const g of rest) {
      remap.set(g.id, other.id);
      for (const k of ['count', 'ephiCount', 'aiCount', 'staleCount', 'alertCount'] as const) other[k] += Number(g[k]);
    }
    kept.push(other);
    note = `${groups.length} groups exceed the budget; the ${rest.length} smallest are folded into ${other.id}`;
  }
  const merged = new Map<string, MapEdge['data']>();
  for (const e of edges) {
    const s = remap.get(e.source) ?? e.source;
    const t = remap.get(e.target) ?? e.target;
    if (s === t) continue;
    const key = `${s}>${t}>${e.type}`;
    const m = merged.get(key) ?? { id: key, source: s, target: t, type: e.type, count: 0 };
    m.count = (m.count ?? 0) + e.count;
    merged.set(key, m);
  }
  const nodes: MapNode[] = kept.map((g) => ({
    data: {
      id: g.id,
      label: g.label,
      type: 'group',
      groupBy: g.id.startsWith('vendor:') ? 'vendor' : g.id.startsWith('other:') ? groupBy : groupBy,
      count: Number(g.count),
      ephiCount: Number(g.ephiCount),
      aiCount: Number(g.aiCount),
      staleCount: Number(g.staleCount),
      alertCount: Number(g.alertCount),
    },
  }));
  return capEdges(nodes, [...merged.values()].map((data) => ({ data })), { maxElements, aggregated, totalAssets, omittedEdges: 0, ...(note ? { note } : {}) });
}

/** Drops the lightest edges beyond the budget and reports how many (never silently). */
function capEdges(nodes: MapNode[], edges: MapEdge[], budget: Budget): MapView {
  const room = Math.max(0, budget.maxElements - nodes.length);
  let kept = edges;
  if (edges.length > room) {
    kept = [...edges].sort((a, b) => (b.data.type === 'ephi-flows' || b.data.type === 'ephi-flow' ? 1 : 0) - (a.data.type === 'ephi-flows' || a.data.type === 'ephi-flow' ? 1 : 0) || (b.data.count ?? 1) - (a.data.count ?? 1)).slice(0, room);
    budget = {
      ...budget,
      aggregated: true,
      omittedEdges: edges.length - room,
      note: `${budget.note ? `${budget.note}; ` : ''}${edges.length - room} lightest edges omitted to stay within ${budget.maxElements} elements`,
    };
  }
  return { elements: { nodes, edges: kept }, budget, generatedAt: new Date().toISOString() };
}

export interface AggregatorOptions {
  /** How often the fingerprint is compared with the stored aggregates' (cheap: count-store reads). */
  checkMs: number;
  /** Refresh anyway when the aggregates are older than this (a backstop for edits the fingerprint cannot see). */
  maxAgeMs: number;
  /** Below this many assets overviews are computed live and nothing is refreshed. */
  aboveAssets: number;
  onError?: (err: unknown) => void;
}

/**
 * Keeps the stored map aggregates current: every `checkMs` it compares a cheap fingerprint of the
 * graph with the one the aggregates were computed from and refreshes them when it differs (or
 * when they are older than `maxAgeMs`). Refreshes are single-flight and spaced by at least four
 * times the last refresh's duration, so a long import costs the map at most a fifth of a core,
 * and a change shows within `boundMs()`.
 */
export class MapAggregator {
  private timer: NodeJS.Timeout | undefined;
  private running: Promise<boolean> | undefined;
  private lastRefreshMs = 0;
  private lastRefreshEnd = 0;
  private stopped = true;

  constructor(
    private readonly repo: MapRepository,
    private readonly opts: AggregatorOptions,
  ) {}

  start(): void {
    this.stopped = false;
    const loop = () => {
      if (this.stopped) return;
      void this.check()
        .catch((err) => this.opts.onError?.(err))
        .finally(() => {
          if (this.stopped) return;
          this.timer = setTimeout(loop, this.opts.checkMs);
          this.timer.unref();
        });
    };
    this.timer = setTimeout(loop, 0);
    this.timer.unref();
  }

  async stop(): Promise<void> {
    this.stopped = true;
    clearTimeout(this.timer);
    await this.running?.catch(() => undefined);
  }

  /**
   * The longest a change takes to show in aggregated figures. Worst case: it lands just after a
   * refresh read its fingerprint, so it waits for that refresh (d), the spacing after it (4d), the
   * next check (checkMs) and one more refresh, allowed to take twice as long as the last one.
   */
  boundMs(): number {
    return Math.round(this.opts.checkMs + 5 * this.lastRefreshMs + Math.max(2 * this.lastRefreshMs, 1_000));
  }

  /** The refresh under way, if any (to wait for); otherwise starts a check and returns undefined. */
  kick(): Promise<boolean> | undefined {
    if (this.running) return this.running.catch(() => false);
    if (!this.stopped) void this.check().catch((err) => this.opts.onError?.(err));
    return undefined;
  }

  /** Refreshes when the graph changed since the stored aggregates; true when it refreshed. */
  check(): Promise<boolean> {
    this.running ??= this.checkOnce().finally(() => {
      this.running = undefined;
    });
    return this.running;
  }

  private async checkOnce(): Promise<boolean> {
    if ((await this.repo.totalAssets()) <= this.opts.aboveAssets) return false;
    if (Date.now() - this.lastRefreshEnd < 4 * this.lastRefreshMs) return false;
    const fp = await this.repo.fingerprint();
    const stamps = await Promise.all(GROUP_BYS.map((g) => this.repo.aggregateStamp(g)));
    const fresh = stamps.every((s) => s && s.fingerprint === fp && Date.now() - Date.parse(s.at) < this.opts.maxAgeMs);
    if (fresh) return false;
    const { ms } = await this.repo.refreshAggregates(fp);
    this.lastRefreshMs = ms;
    this.lastRefreshEnd = Date.now();
    return true;
  }
}
