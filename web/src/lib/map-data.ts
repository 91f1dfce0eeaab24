import type { ElementDefinition } from 'cytoscape';
import { api, qs } from './api.js';
import { hasPath, supports } from './openapi.js';
import { allAssets, isMissing, subnetOf, type AssetFilters, type AssetSummary } from './assets.js';

/**
 * Map data from the map API; where a map endpoint is missing on this server the same shapes are
 * derived from the asset list, so the map keeps working (without edges, which only the map API has).
 */
export type GroupBy = 'subnet' | 'site' | 'vendor' | 'kind';
export const GROUP_BYS: GroupBy[] = ['subnet', 'site', 'vendor', 'kind'];

export interface Overview {
  elements: { nodes: ElementDefinition[]; edges: ElementDefinition[] };
  budget: { maxElements: number; aggregated: boolean; totalAssets: number };
  source: 'api' | 'derived';
}

const FALLBACK_MAX = 20_000;

function assetNode(a: AssetSummary, parent?: string): ElementDefinition {
  return {
    data: {
      id: a.id, label: a.name, type: 'asset', kind: a.kind, ephiRole: a.ephiRole, isAi: a.isAi, status: a.status, alertCount: 0,
      ...(parent ? { parent } : {}),
    },
  };
}

function groupKey(a: AssetSummary, by: GroupBy): string {
  if (by === 'kind') return a.kind;
  if (by === 'vendor') return a.macVendor ?? 'unknown vendor';
  if (by === 'site') return 'unknown site';
  return subnetOf(a.ips[0]);
}

/**
 * Elements (groups + edges) the overview asks for: the API's default budget. Every element more
 * is drawn on every frame; at 4,000 one redraw took over 200 ms on the 2-core bench machine.
 */
const OVERVIEW_BUDGET = 2000;

export async function fetchOverview(groupBy: GroupBy, f: AssetFilters): Promise<Overview> {
  // The server's aggregates when it understands every filter in use; otherwise derived here.
  if (await supports('/map/overview', f as Record<string, unknown>)) {
    try {
      const r = await api<Omit<Overview, 'source'>>(`/map/overview${qs({ groupBy, ...f, maxElements: OVERVIEW_BUDGET })}`);
      return { ...r, source: 'api' };
    } catch (err) {
      if (!isMissing(err)) throw err;
    }
  }
  const { items } = await allAssets(f, FALLBACK_MAX);
  const groups = new Map<string, AssetSummary[]>();
  for (const a of items) {
    const k = groupKey(a, groupBy);
    const list = groups.get(k) ?? [];
    list.push(a);
    groups.set(k, list);
  }
  const nodes: ElementDefinition[] = [...groups.entries()]
    .sort(([a], [b]) => a.localeCompare(b, undefined, { numeric: true }))
    .map(([k, list]) => ({
      data: {
        id: `${groupBy}:${k}`, label: k, type: 'group', groupBy, count: list.length,
        ephiCount: list.filter((a) => ['stores', 'processes', 'transmits'].includes(a.ephiRole)).length,
        aiCount: list.filter((a) => a.isAi).length,
        staleCount: list.filter((a) => a.status === 'stale' || a.status === 'missed').length,
        alertCount: 0,
      },
    }));
  return { elements: { nodes, edges: [] }, budget: { maxElements: 2000, aggregated: true, totalAssets: items.length }, source: 'derived' };
}

export async function fetchGroup(groupId: string, f: AssetFilters, max: number): Promise<{ elements: ElementDefinition[]; truncated: boolean }> {
  if (await supports('/map/groups/{}', f as Record<string, unknown>)) {
    try {
      const r = await api<{ elements: { nodes: ElementDefinition[]; edges: ElementDefinition[] }; budget?: { aggregated?: boolean } }>(
        `/map/groups/${encodeURIComponent(groupId)}${qs({ ...f, maxElements: Math.max(10, Math.min(10_000, max * 3)) })}`,
      );
      const nodes = r.elements.nodes.slice(0, max);
      return { elements: [...nodes, ...r.elements.edges], truncated: nodes.length < r.elements.nodes.length || Boolean(r.budget?.aggregated) };
    } catch (err) {
      if (!isMissing(err)) throw err;
    }
  }
  const sep = groupId.indexOf(':');
  const by = groupId.slice(0, sep) as GroupBy;
  const key = groupId.slice(sep + 1);
  // Subnet membership is decided here the same way the overview grouped it, so the two agree.
  const narrowed: AssetFilters = { ...f, ...(by === 'kind' ? { kind: key } : {}) };
  const { items } = await allAssets(narrowed, FALLBACK_MAX);
  const members = items.filter((a) => groupKey(a, by) === key);
  return { elements: members.slice(0, max).map((a) => assetNode(a, groupId)), truncated: members.length > max };
}

export async function fetchFocus(assetId: string, k: number): Promise<{ elements: ElementDefinition[]; source: 'api' | 'derived' }> {
  if (await hasPath('/map/focus/{}')) {
    try {
      const r = await api<{ elements: { nodes: ElementDefinition[]; edges: ElementDefinition[] } }>(`/map/focus/${encodeURIComponent(assetId)}${qs({ k, maxElements: 4000 })}`);
      return { elements: [...r.elements.nodes, ...r.elements.edges], source: 'api' };
    } catch (err) {
      if (!isMissing(err)) throw err;
    }
  }
  const a = await api<AssetSummary>(`/assets/${encodeURIComponent(assetId)}`);
  return { elements: [assetNode(a)], source: 'derived' };
}

export function groupIdFor(a: AssetSummary, by: GroupBy): string {
  return `${by}:${groupKey(a, by)}`;
}
