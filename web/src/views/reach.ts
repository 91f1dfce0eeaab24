import type { ElementDefinition } from 'cytoscape';
import { api, ApiError, can, qs } from '../lib/api.js';
import { requireOffered } from '../lib/openapi.js';
import { isMissing, listAssets, type AssetSummary } from '../lib/assets.js';
import { h } from '../lib/dom.js';
import { go, type Route } from '../lib/router.js';
import type { GraphCanvas } from '../graph/graph-canvas.js';
import { legend } from '../graph/legend.js';
import { showAsset } from './asset-panel.js';

/**
 * Reach: from an asset, which ePHI-bearing assets can be reached and by which paths (or, for a
 * store, who can reach it). Paths are drawn and highlighted on the canvas and listed beside it.
 */
interface PathNode {
  id: string;
  name?: string;
}
interface ReachTarget {
  asset: Partial<AssetSummary> & { id: string; name?: string };
  hops: number;
  /** A path is a list of nodes, or {nodes, edges} with the kind of each hop. */
  paths: (PathNode[] | { nodes: PathNode[]; edges?: string[] })[];
}
interface ReachResult {
  items?: ReachTarget[];
  targets?: ReachTarget[];
  sources?: ReachTarget[];
  bounds?: Record<string, unknown>;
}

export async function renderReach(root: HTMLElement, attachGraph: (host: HTMLElement) => GraphCanvas, route: Route): Promise<void> {
  const p = route.params;
  const from = p.get('from');
  const dir = p.get('dir') === 'to' ? 'to' : 'from';
  const k = Math.min(8, Math.max(1, Number(p.get('k') ?? 4) || 4));
  const status = h('p', { class: 'status', role: 'status', 'aria-live': 'polite', id: 'reach-status' });
  const host = h('div', { class: 'canvas-host', id: 'reach-canvas', role: 'img', 'aria-label': 'Reach paths (listed beside the map)' });
  const results = h('ol', { class: 'reach-list', id: 'reach-list' });

  const pick = h('input', { id: 'reach-asset', type: 'search', placeholder: 'name, IP, hostname', value: p.get('q') ?? '' });
  const choices = h('ul', { class: 'find-results', id: 'reach-choices' });
  const dirSel = h('select', { id: 'reach-dir' }, h('option', { value: 'from', selected: dir === 'from' }, 'what it can reach'), h('option', { value: 'to', selected: dir === 'to' }, 'who can reach it'));
  const kSel = h('select', { id: 'reach-k' }, ...[1, 2, 3, 4, 5, 6, 8].map((n) => h('option', { value: n, selected: n === k }, `${n} hops`)));
  const form = h(
    'form',
    { class: 'find', 'aria-label': 'Reach query' },
    h('label', { for: 'reach-asset' }, 'Asset'),
    pick,
    h('label', { for: 'reach-dir' }, 'Show'),
    dirSel,
    h('label', { for: 'reach-k' }, 'Within'),
    kSel,
    h('button', { type: 'submit' }, 'Find asset'),
    choices,
  );
  form.addEventListener('submit', async (ev) => {
    ev.preventDefault();
    choices.replaceChildren();
    const r = await listAssets({ q: pick.value.trim(), limit: 10 }).catch((e: Error) => ({ items: [], error: e }));
    if (!r.items.length) choices.append(h('li', {}, 'no match'));
    for (const a of r.items) {
      const b = h('button', { type: 'button', class: 'link', 'data-asset': a.id }, `${a.name} — ${a.ips.join(', ')}`);
      b.addEventListener('click', () => go('reach', { from: a.id, dir: dirSel.value, k: kSel.value }));
      choices.append(h('li', {}, b));
    }
  });

  root.replaceChildren(
    h('div', { class: 'graph-layout' }, h('aside', { class: 'side' }, h('h2', {}, 'ePHI reach'), form, h('h3', {}, 'Results'), results, legend('reach')), h('div', { class: 'graph-main' }, status, host)),
  );
  const canvas = attachGraph(host);
  canvas.clearViewListeners();
  canvas.cy.on('tap', 'node', (ev) => showAsset(ev.target.id()));
  if (!can('security')) {
    status.textContent = 'Reach queries need the security role.';
    await canvas.replace([]);
    return;
  }
  if (!from) {
    status.textContent = 'Pick an asset to see the ePHI it can reach (or who can reach it).';
    await canvas.replace([]);
    pick.focus();
    return;
  }
  status.textContent = 'Querying…';
  let r: ReachResult;
  try {
    await requireOffered(`/reach/${dir}/{}`);
    r = await api<ReachResult>(`/reach/${dir}/${encodeURIComponent(from)}${qs({ k })}`);
  } catch (err) {
    status.textContent = isMissing(err) ? 'This server has no reach endpoint yet (GET /api/v1/reach/…).' : `Reach failed: ${err instanceof ApiError ? err.message : String(err)}`;
    await canvas.replace([]);
    return;
  }
  const targets = (r.items ?? r.targets ?? r.sources ?? []).map((t) => ({ ...t, paths: (t.paths ?? []).map((x) => (Array.isArray(x) ? x : x.nodes)) }));
  const nodes = new Map<string, ElementDefinition>();
  const edges = new Map<string, ElementDefinition>();
  const info = new Map(targets.map((t) => [t.asset.id, t.asset]));
  const addNode = (n: PathNode) => {
    if (nodes.has(n.id)) return;
    const a = info.get(n.id);
    nodes.set(n.id, { data: { id: n.id, label: n.name ?? a?.name ?? n.id, type: 'asset', kind: a?.kind ?? 'unknown', ephiRole: a?.ephiRole ?? 'unknown', isAi: a?.isAi ?? false, status: a?.status ?? 'up' } });
  };
  for (const t of targets) {
    for (const path of t.paths ?? []) {
      path.forEach(addNode);
      for (let i = 1; i < path.length; i++) {
        const id = `reach:${path[i - 1]!.id}>${path[i]!.id}`;
        edges.set(id, { data: { id, source: path[i - 1]!.id, target: path[i]!.id, type: 'reach' } });
      }
    }
    addNode({ id: t.asset.id, name: t.asset.name });
  }
  addNode({ id: from });
  await canvas.replace([...nodes.values(), ...edges.values()]);
  canvas.cy.batch(() => {
    canvas.cy.edges().addClass('reach-path');
    canvas.cy.getElementById(from).addClass('reach-source');
    for (const t of targets) canvas.cy.getElementById(t.asset.id).addClass('reach-target');
  });
  results.replaceChildren();
  for (const t of targets) {
    const b = h('button', { type: 'button', class: 'link' }, `${t.asset.name ?? t.asset.id} (${t.asset.ephiRole ?? 'ePHI'}) — ${t.hops} hop${t.hops === 1 ? '' : 's'}`);
    b.addEventListener('click', () => {
      const keep = canvas.cy.collection();
      for (const path of t.paths) for (let i = 0; i < path.length; i++) {
        keep.merge(canvas.cy.getElementById(path[i]!.id));
        if (i > 0) keep.merge(canvas.cy.getElementById(`reach:${path[i - 1]!.id}>${path[i]!.id}`));
      }
      canvas.highlight(keep);
      showAsset(t.asset.id);
    });
    const paths = h('ul', { class: 'paths' }, ...(t.paths ?? []).slice(0, 5).map((path) => h('li', {}, path.map((n) => n.name ?? n.id).join(' → '))));
    results.append(h('li', {}, b, paths));
  }
  const bounds = r.bounds ? ` (${Object.entries(r.bounds).map(([a, b]) => `${a}: ${String(b)}`).join(', ')})` : '';
  status.textContent = `${targets.length} ePHI asset${targets.length === 1 ? '' : 's'} ${dir === 'from' ? 'reachable' : 'can reach it'} within ${k} hops${bounds}.`;
}
