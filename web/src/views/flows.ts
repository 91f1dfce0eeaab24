import type { ElementDefinition } from 'cytoscape';
import { api } from '../lib/api.js';
import { requireOffered } from '../lib/openapi.js';
import { isMissing } from '../lib/assets.js';
import { h, recordTable } from '../lib/dom.js';
import type { GraphCanvas } from '../graph/graph-canvas.js';
import { legend } from '../graph/legend.js';
import { showAsset } from './asset-panel.js';

/** ePHI flows with direction; unencrypted and uncovered (no BAA) flows stand out by colour AND line pattern (graph/styles.ts). */
export async function renderFlows(root: HTMLElement, attachGraph: (host: HTMLElement) => GraphCanvas): Promise<void> {
  const status = h('p', { class: 'status', role: 'status', 'aria-live': 'polite', id: 'flows-status' }, 'Loading flows…');
  const host = h('div', { class: 'canvas-host', id: 'flows-canvas', role: 'img', 'aria-label': 'ePHI flow map (the table beside it lists every flow)' });
  const list = h('div', { class: 'flow-list' });
  root.replaceChildren(h('div', { class: 'graph-layout' }, h('aside', { class: 'side wide' }, h('h2', {}, 'ePHI flows'), list, legend('flows')), h('div', { class: 'graph-main' }, status, host)));
  const canvas = attachGraph(host);
  canvas.clearViewListeners();
  canvas.cy.on('tap', 'node[type = "asset"]', (ev) => showAsset(ev.target.id()));
  let r: { elements: { nodes: ElementDefinition[]; edges: ElementDefinition[] } };
  try {
    await requireOffered('/map/flows');
    r = await api('/map/flows');
  } catch (err) {
    status.textContent = isMissing(err) ? 'This server has no flows endpoint yet (GET /api/v1/map/flows).' : (err as Error).message;
    await canvas.replace([]);
    return;
  }
  await canvas.replace([...r.elements.nodes, ...r.elements.edges]);
  const names = new Map(r.elements.nodes.map((n) => [String(n.data.id), String(n.data.label ?? n.data.id)]));
  const rows = r.elements.edges.map((e) => {
    const d = e.data as Record<string, unknown>;
    return {
      from: names.get(String(d.source)) ?? d.source,
      to: names.get(String(d.target)) ?? d.target,
      data: d.dataCategories,
      protocol: [d.protocol, d.port].filter((x) => x !== undefined && x !== null).join('/'),
      encrypted: d.encryptedInTransit === false ? 'NO' : d.encryptedInTransit === true ? 'yes' : 'unknown',
      BAA: d.baaCovered === false ? 'NO' : d.baaCovered === true ? 'yes' : 'n/a',
      AI: d.toAi ? 'to AI' : '',
    };
  });
  list.replaceChildren(recordTable(rows, { caption: 'Every ePHI flow' }));
  const risky = rows.filter((x) => x.encrypted === 'NO' || x.BAA === 'NO').length;
  status.textContent = `${rows.length} ePHI flows, ${risky} unencrypted or without a BAA.`;
}
