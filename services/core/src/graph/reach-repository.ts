import { NotFoundError, ValidationError } from '../errors.js';
import { int, type GraphClient } from './neo4j-client.js';
import { BAA_CURRENT, BAA_STATUS } from './vendor-repository.js';

/**
 * ePHI reach: which ePHI-bearing assets an asset can reach over observed connections and asserted
 * flows (directed: the way traffic is initiated and data is sent), who can reach a store, and
 * where ePHI leaves the organisation. Every query is bounded by hops, results and paths per
 * result, and says so in `bounds`.
 *
 * Hop bounds and path counts are part of the pattern syntax and cannot be parameters; they are
 * integers range-checked here (1..6, 1..5) before they are written into the query text.
 */
export const REACH_MAX_HOPS = 6;
export const REACH_MAX_RESULTS = 500;
export const REACH_MAX_PATHS = 5;
export const EXTERNAL_ASSET_KINDS = ['saas', 'cloud-service'] as const;

/** ePHI-bearing: effective role stores/processes, or the target of an asserted ePHI flow. */
export const EPHI_BEARING = (s: string) => `(${s}.ephiRole IN ['stores', 'processes'] OR EXISTS { ()-[:EPHI_FLOW]->(${s}) })`;

export interface PathNode {
  id: string;
  name: string;
  type: 'asset' | 'vendor';
}
export interface ReachPath {
  nodes: PathNode[];
  edges: ('connection' | 'ephi-flow')[];
}
export interface ReachItem {
  asset: { id: string; name: string; kind: string; ephiRole: string };
  hops: number;
  paths: ReachPath[];
}
export interface ReachBounds {
  maxHops: number;
  maxResults: number;
  maxPaths: number;
  truncated: boolean;
}
export interface ReachResult {
  asset: { id: string; name: string; kind: string; ephiRole: string; ephiBearing: boolean };
  direction: 'from' | 'to';
  items: ReachItem[];
  bounds: ReachBounds;
}

export interface EgressItem {
  flowId: string;
  source: { type: 'asset' | 'vendor'; id: string; name: string };
  target: { type: 'asset' | 'vendor'; id: string; name: string; kind: string };
  vendor: { id: string; name: string; baaSigned: boolean; baaEffective: string | null; baaExpires: string | null; baaStatus: string; isAiService: boolean } | null;
  toAi: boolean;
  baaCovered: boolean;
  reason: 'covered' | 'no-vendor' | 'baa-missing' | 'baa-expired' | 'baa-not-yet-effective';
  dataCategories: string[];
  protocol: string | null;
  port: number | null;
  encryptedInTransit: boolean | null;
  purpose: string | null;
}

function checkBound(name: string, v: number, max: number): number {
  if (!Number.isInteger(v) || v < 1 || v > max) throw new ValidationError('INVALID_BOUND', `${name} must be a whole number from 1 to ${max}`, { field: `querystring.${name}` });
  return v;
}

const PATH_NODES = `[n IN nodes(p) | {id: n.id, name: coalesce(n.name, n.id), type: CASE WHEN n:Vendor THEN 'vendor' ELSE 'asset' END}]`;
const PATH_EDGES = `[r IN relationships(p) | CASE type(r) WHEN 'EPHI_FLOW' THEN 'ephi-flow' ELSE 'connection' END]`;
const ASSET_BRIEF = (a: string) => `{id: ${a}.id, name: coalesce(${a}.name, ${a}.id), kind: coalesce(${a}.kind, 'unknown'), ephiRole: coalesce(${a}.ephiRole, 'unknown')}`;

export class ReachRepository {
  constructor(private readonly graph: GraphClient) {}

  /** ePHI-bearing assets reachable from `id` within k hops, closest first, with up to `paths` shortest paths each. */
  async from(id: string, opts: { k: number; limit: number; paths: number }): Promise<ReachResult> {
    return this.run('from', id, opts);
  }

  /** Assets that can reach `id` within k hops (who can get to this store), closest first. */
  async to(id: string, opts: { k: number; limit: number; paths: number }): Promise<ReachResult> {
    return this.run('to', id, opts);
  }

  /**
   * Iterative deepening: the answer is the `limit` nearest assets, ordered by hops then name, so
   * once more than `limit` assets lie within h hops, the ones further out cannot change it (steps
   * 3, 4, …, k). Most
   * sources reach enough ePHI-bearing assets within two hops; only sparse neighbourhoods pay for
   * the full k. Each step is one statement that also returns the anchor asset.
   */
  private async run(direction: 'from' | 'to', id: string, opts: { k: number; limit: number; paths: number }): Promise<ReachResult> {
    const k = checkBound('k', opts.k, REACH_MAX_HOPS);
    const nPaths = checkBound('paths', opts.paths, REACH_MAX_PATHS);
    const limit = checkBound('limit', opts.limit, REACH_MAX_RESULTS);
    const steps = [...new Set([Math.min(3, k), ...Array.from({ length: Math.max(0, k - 3) }, (_, i) => i + 4)])];
    let asset: ReachResult['asset'] | undefined;
    let found: ReachItem[] = [];
    for (const step of steps) {
      const pattern =
        direction === 'from'
          ? `(a)-[:CONNECTS_TO|EPHI_FLOW]->{1,${step}}(s:Asset WHERE s <> a AND ${EPHI_BEARING('s')})`
          : `(s:Asset WHERE s <> a)-[:CONNECTS_TO|EPHI_FLOW]->{1,${step}}(a)`;
      const nearest =
        nPaths === 1
          ? `WITH s, p ORDER BY length(p), s.name, s.id LIMIT $limit
             RETURN collect({asset: ${ASSET_BRIEF('s')}, hops: length(p), paths: [{nodes: ${PATH_NODES}, edges: ${PATH_EDGES}}]}) AS items`
          : `WITH s, collect(p) AS ps, min(length(p)) AS hops ORDER BY hops, s.name, s.id LIMIT $limit
             RETURN collect({asset: ${ASSET_BRIEF('s')}, hops: hops, paths: [p IN ps | {nodes: ${PATH_NODES}, edges: ${PATH_EDGES}}]}) AS items`;
      const rows = await this.graph.read(
        `MATCH (a:Asset {id: $id})
         CALL (a) {
           MATCH p = SHORTEST ${nPaths} ${pattern}
           ${nearest}
         }
         RETURN ${ASSET_BRIEF('a')} AS asset, ${EPHI_BEARING('a')} AS ephiBearing, items`,
        { id, limit: int(limit + 1) },
      );
      if (!rows[0]) throw new NotFoundError('asset', id);
      asset = { ...(rows[0].asset as Omit<ReachResult['asset'], 'ephiBearing'>), ephiBearing: Boolean(rows[0].ephiBearing) };
      found = rows[0].items as ReachItem[];
      if (found.length > limit) break;
    }
    const items = found.slice(0, limit).map((it) => {
      const paths = it.paths.sort((x, y) => x.edges.length - y.edges.length);
      return { asset: it.asset, hops: paths[0]?.edges.length ?? Number(it.hops), paths };
    });
    return { asset: asset!, direction, items, bounds: { maxHops: k, maxResults: limit, maxPaths: nPaths, truncated: found.length > limit } };
  }

  /** Flows that leave the organisation: to a vendor, or to a SaaS/cloud asset (covered by its supplier's BAA). */
  async egress(opts: { limit: number; uncoveredOnly?: boolean; aiOnly?: boolean }): Promise<{ items: EgressItem[]; summary: { total: number; covered: number; uncovered: number; toAi: number; toAiUncovered: number }; bounds: { maxResults: number; truncated: boolean } }> {
    const limit = checkBound('limit', opts.limit, 5000);
    const rows = await this.graph.read(
      `MATCH (x)-[f:EPHI_FLOW]->(y)
       WHERE y:Vendor OR (y:Asset AND y.kind IN $external)
       WITH x, f, y, CASE WHEN y:Vendor THEN y ELSE head(COLLECT { MATCH (y)-[:SUPPLIED_BY]->(v:Vendor) RETURN v ORDER BY v.name LIMIT 1 }) END AS v
       WITH x, f, y, v,
            v IS NOT NULL AND ${BAA_CURRENT('v')} AS covered,
            coalesce(v.isAiService, false) OR (y:Asset AND coalesce(y.isAi, false)) AS toAi
       WITH x, f, y, v, covered, toAi
       WHERE ($uncoveredOnly = false OR NOT covered) AND ($aiOnly = false OR toAi)
       WITH x, f, y, v, covered, toAi ORDER BY toAi DESC, covered ASC, f.id
       RETURN collect({
         flowId: f.id,
         source: {type: CASE WHEN x:Vendor THEN 'vendor' ELSE 'asset' END, id: x.id, name: coalesce(x.name, x.id)},
         target: {type: CASE WHEN y:Vendor THEN 'vendor' ELSE 'asset' END, id: y.id, name: coalesce(y.name, y.id),
                  kind: CASE WHEN y:Vendor THEN CASE WHEN coalesce(y.isAiService, false) THEN 'ai-service' ELSE 'vendor' END ELSE coalesce(y.kind, 'unknown') END},
         vendor: CASE WHEN v IS NULL THEN null ELSE {id: v.id, name: v.name, baaSigned: coalesce(v.baaSigned, false), baaEffective: toString(v.baaEffective),
                 baaExpires: toString(v.baaExpires), baaStatus: ${BAA_STATUS('v')}, isAiService: coalesce(v.isAiService, false)} END,
         toAi: toAi, baaCovered: covered,
         dataCategories: coalesce(f.dataCategories, []), protocol: f.protocol, port: f.port, encryptedInTransit: f.encryptedInTransit, purpose: f.purpose
       })[0..$limit] AS items, count(*) AS total, sum(CASE WHEN covered THEN 1 ELSE 0 END) AS covered,
       sum(CASE WHEN toAi THEN 1 ELSE 0 END) AS toAi, sum(CASE WHEN toAi AND NOT covered THEN 1 ELSE 0 END) AS toAiUncovered`,
      { external: [...EXTERNAL_ASSET_KINDS], uncoveredOnly: opts.uncoveredOnly ?? false, aiOnly: opts.aiOnly ?? false, limit: int(limit) },
    );
    const r = rows[0] ?? {};
    const items = ((r.items as Omit<EgressItem, 'reason'>[]) ?? []).map((it) => ({ ...it, reason: reasonOf(it) }));
    const total = Number(r.total ?? 0);
    const covered = Number(r.covered ?? 0);
    return {
      items,
      summary: { total, covered, uncovered: total - covered, toAi: Number(r.toAi ?? 0), toAiUncovered: Number(r.toAiUncovered ?? 0) },
      bounds: { maxResults: limit, truncated: total > items.length },
    };
  }
}

function reasonOf(it: Omit<EgressItem, 'reason'>): EgressItem['reason'] {
  if (it.baaCovered) return 'covered';
  if (!it.vendor) return 'no-vendor';
  if (it.vendor.baaStatus === 'expired') return 'baa-expired';
  if (it.vendor.baaStatus === 'not-yet-effective') return 'baa-not-yet-effective';
  return 'baa-missing';
}
