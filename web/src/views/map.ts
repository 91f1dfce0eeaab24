import type { ElementDefinition } from 'cytoscape';
import { ApiError } from '../lib/api.js';
import { listAssets, type AssetFilters } from '../lib/assets.js';
import { download, h } from '../lib/dom.js';
import { fetchFocus, fetchGroup, fetchOverview, GROUP_BYS, groupIdFor, type GroupBy } from '../lib/map-data.js';
import { go, paramsOf, type Route } from '../lib/router.js';
import { NODE_BUDGET, type GraphCanvas } from '../graph/graph-canvas.js';
import { legend } from '../graph/legend.js';
import { filterBar, filtersFrom } from './filters.js';
import { showAsset } from './asset-panel.js';

/**
 * The map: server-side aggregates first (groups with counts and tallies), groups expand in place,
 * an asset can be focused with its k-hop neighbourhood. Every state is in the URL.
 */
let renders = 0;

export async function renderMap(root: HTMLElement, attachGraph: (host: HTMLElement) => GraphCanvas, route: Route): Promise<void> {
  const seq = ++renders;
  const p = route.params;
  const groupBy = (GROUP_BYS.includes(p.get('groupBy') as GroupBy) ? p.get('groupBy') : 'subnet') as GroupBy;
  const filters = filtersFrom(p);
  const focus = p.get('focus');
  const k = Math.min(3, Math.max(1, Number(p.get('k') ?? 1) || 1));
  const expanded = new Set((p.get('expand') ?? '').split(',').filter(Boolean));

  const status = h('p', { class: 'status', role: 'status', 'aria-live': 'polite', id: 'map-status' }, 'Loading the map…');
  const groupList = h('ul', { class: 'group-list', id: 'group-list', 'aria-label': 'Groups on the map' });
  const legendHost = h('div');
  const host = h('div', { class: 'canvas-host', id: 'map-canvas', role: 'img', 'aria-label': 'Network map (the Inventory view lists the same assets as a table)' });

  const setUrl = (extra: Record<string, string | null>) => {
    const cur = paramsOf(new URLSearchParams(location.hash.split('?')[1] ?? ''));
    go('map', { ...cur, ...extra }, { replace: true });
  };
  const navigate = (params: Record<string, string | undefined>) => go('map', params);
  const baseParams = (): Record<string, string | undefined> => ({ groupBy, ...filters });

  const groupBySel = h('select', { id: 'group-by', 'aria-label': 'Group by' }, ...GROUP_BYS.map((g) => h('option', { value: g, selected: g === groupBy }, g)));
  groupBySel.addEventListener('change', () => navigate({ ...filters, groupBy: groupBySel.value }));

  const find = h('input', { id: 'find-asset', type: 'search', placeholder: 'IP, MAC, hostname, product', autocomplete: 'off' });
  const findResults = h('ul', { class: 'find-results', id: 'find-results', 'aria-live': 'polite' });
  const findForm = h('form', { class: 'find', role: 'search', 'aria-label': 'Find an asset' }, h('label', { for: 'find-asset' }, 'Find and jump'), find, h('button', { type: 'submit' }, 'Find'), findResults);
  findForm.addEventListener('submit', async (ev) => {
    ev.preventDefault();
    findResults.replaceChildren();
    if (!find.value.trim()) return;
    try {
      const r = await listAssets({ q: find.value.trim(), limit: 10 });
      if (!r.items.length) findResults.append(h('li', {}, 'no match'));
      for (const a of r.items) {
        const b = h('button', { type: 'button', class: 'link' }, `${a.name} — ${a.ips.join(', ')}`);
        b.addEventListener('click', () => void jumpTo(a.id, groupIdFor(a, groupBy)));
        findResults.append(h('li', {}, b));
      }
    } catch (err) {
      findResults.append(h('li', { class: 'error' }, (err as Error).message));
    }
  });

  const pngBtn = h('button', { type: 'button', id: 'export-png' }, 'Export PNG');
  pngBtn.addEventListener('click', async () => {
    const blob = (await canvas.cy.png({ output: 'blob-promise', bg: '#ffffff', full: false, scale: 2 })) as Blob;
    download(`ephi-atlas-map-${new Date().toISOString().slice(0, 10)}.png`, blob);
  });
  const fitBtn = h('button', { type: 'button' }, 'Fit');
  fitBtn.addEventListener('click', () => canvas.cy.fit(undefined, 30));

  const kSel = h('select', { id: 'focus-k', 'aria-label': 'Hops' }, ...[1, 2, 3].map((n) => h('option', { value: n, selected: n === k }, `${n} hop${n > 1 ? 's' : ''}`)));
  kSel.addEventListener('change', () => navigate({ ...baseParams(), focus: focus ?? undefined, k: kSel.value }));
  const focusBar = focus
    ? h('div', { class: 'focus-bar' }, `Focused on one asset · `, kSel, ' ', h('a', { href: `#/map?groupBy=${groupBy}` }, 'back to overview'))
    : null;

  const toolbar = h('div', { class: 'toolbar' }, h('label', { for: 'group-by' }, 'Group by'), groupBySel, fitBtn, pngBtn, focusBar);
  const side = h(
    'aside',
    { class: 'side' },
    findForm,
    filterBar(filters, (f) => navigate({ groupBy, ...(f as Record<string, string>) }), { extended: true }),
    h('h2', {}, 'Groups'),
    groupList,
    legendHost,
  );
  root.replaceChildren(h('div', { class: 'graph-layout' }, side, h('div', { class: 'graph-main' }, toolbar, status, host)));
  const canvas = attachGraph(host);

  const refreshSideInfo = () => {
    const kinds = new Set<string>(canvas.cy.nodes('[kind]').map((n) => String(n.data('kind'))));
    legendHost.replaceChildren(legend('map', kinds.size ? kinds : undefined));
  };

  const renderGroupList = (nodes: ElementDefinition[]) => {
    groupList.replaceChildren();
    for (const n of nodes) {
      const d = n.data as Record<string, unknown>;
      const id = String(d.id);
      const open = expanded.has(id);
      const b = h('button', { type: 'button', class: 'link', 'aria-expanded': open ? 'true' : 'false', 'data-group': id }, `${open ? '▾' : '▸'} ${String(d.label)}`);
      b.addEventListener('click', () => void toggle(id));
      groupList.append(h('li', {}, b, h('span', { class: 'muted' }, ` ${Number(d.count ?? 0)} · ePHI ${Number(d.ephiCount ?? 0)} · AI ${Number(d.aiCount ?? 0)} · stale ${Number(d.staleCount ?? 0)}`)));
    }
  };

  const expand = async (id: string): Promise<boolean> => {
    const room = NODE_BUDGET - canvas.cy.nodes().length;
    if (room <= 0) {
      status.textContent = `The canvas holds at most ${NODE_BUDGET} nodes. Collapse a group or narrow the filters.`;
      return false;
    }
    const g = await fetchGroup(id, filters, room);
    await canvas.addInto(id, g.elements);
    expanded.add(id);
    status.textContent = g.truncated ? `Group ${id} has more assets than the canvas budget (${NODE_BUDGET}); showing ${g.elements.filter((e) => !e.data.source).length}. Narrow the filters to see the rest.` : `${canvas.cy.nodes('[type != "group"]').length} assets on the map.`;
    return true;
  };
  const toggle = async (id: string) => {
    try {
      if (expanded.has(id)) {
        await canvas.collapse(id);
        expanded.delete(id);
      } else await expand(id);
    } catch (err) {
      status.textContent = (err as Error).message;
    }
    setUrl({ expand: [...expanded].join(',') || null });
    document.body.dataset.mapChanges = String(Number(document.body.dataset.mapChanges ?? 0) + 1);
    groupList.querySelectorAll<HTMLButtonElement>('button[data-group]').forEach((b) => {
      const open = expanded.has(b.dataset.group!);
      b.setAttribute('aria-expanded', open ? 'true' : 'false');
      b.textContent = `${open ? '▾' : '▸'} ${b.textContent!.slice(2)}`;
    });
    refreshSideInfo();
  };
  const jumpTo = async (assetId: string, groupId: string) => {
    if (canvas.cy.getElementById(assetId).empty() && canvas.cy.getElementById(groupId).nonempty() && !expanded.has(groupId)) await toggle(groupId);
    if (canvas.focusOn(assetId)) showAsset(assetId);
    else navigate({ ...baseParams(), focus: assetId, k: String(k), asset: assetId });
  };

  canvas.clearViewListeners();
  canvas.cy.on('tap', 'node[type = "group"]', (ev) => void toggle(ev.target.id()));
  canvas.cy.on('tap', 'node[type = "asset"]', (ev) => showAsset(ev.target.id()));
  canvas.cy.on('dbltap', 'node[type = "asset"]', (ev) => navigate({ ...baseParams(), focus: ev.target.id(), k: String(k) }));

  try {
    if (focus) {
      const r = await fetchFocus(focus, k);
      await canvas.replace(r.elements);
      canvas.focusOn(focus);
      status.textContent = r.source === 'api' ? `${canvas.cy.nodes().length} nodes within ${k} hop(s).` : 'This server has no focus endpoint yet: showing the asset alone.';
      renderGroupList([]);
    } else {
      const t0 = performance.now();
      const ov = await fetchOverview(groupBy, filters);
      const atlas = (window as unknown as { __atlas: Record<string, unknown> }).__atlas;
      // First render: the first frame that shows part of the map (large maps arrive in chunks).
      await canvas.replace([...ov.elements.nodes, ...ov.elements.edges], { onFirstPaint: () => void (atlas.firstRenderAt ??= performance.now()) });
      renderGroupList(ov.elements.nodes.filter((n) => n.data.type === 'group'));
      for (const id of [...expanded]) {
        expanded.delete(id);
        if (canvas.cy.getElementById(id).nonempty()) await expand(id);
      }
      const total = ov.budget.totalAssets;
      status.textContent = `${total} assets in ${ov.elements.nodes.length} ${groupBy} groups${ov.source === 'derived' ? ' (derived from the asset list)' : ''}. Select a group to expand it.`;
      atlas.lastRenderMs = performance.now() - t0;
    }
  } catch (err) {
    status.textContent = err instanceof ApiError ? `Cannot load the map: ${err.message}` : String(err);
  }
  refreshSideInfo();
  // Tests and measurements wait for this: the number of map renders that ran to completion.
  if (seq === renders) document.body.dataset.mapRenders = String(seq);
}
