import './style.css';
import { api, ApiError, session, type Me } from './lib/api.js';
import { h } from './lib/dom.js';
import { current, type Route } from './lib/router.js';
import { GraphCanvas } from './graph/graph-canvas.js';
import { renderAccount, renderLogin } from './views/login.js';
import { renderMap } from './views/map.js';
import { closeAssetPanel, openAssetPanel, panelHost } from './views/asset-panel.js';
import { renderInventory } from './views/inventory.js';
import { renderFlows } from './views/flows.js';
import { renderReach } from './views/reach.js';
import { renderAlerts, renderChanges } from './views/activity.js';
import { renderScans } from './views/scans.js';
import { renderAdmin } from './views/admin.js';
import { renderCompliance } from './views/compliance.js';

/**
 * The shell: sign-in, the navigation, and a hash router. One Cytoscape instance lives for the
 * whole page; the graph views (map, flows, reach) borrow its container.
 */
const app = document.getElementById('app')!;
let canvas: GraphCanvas | null = null;
/** Moves the one canvas into a view's host element; Cytoscape is created there, once, on first use. */
function attachGraph(host: HTMLElement): GraphCanvas {
  const el = h('div', { class: 'cy' });
  host.append(el);
  if (!canvas) {
    canvas = new GraphCanvas(el);
    (window as unknown as { __atlas: { cy: unknown } }).__atlas = { cy: canvas.cy };
  } else canvas.remount(el);
  return canvas;
}
(window as unknown as { __atlas: Record<string, unknown> }).__atlas = { cy: null };

const NAV: [string, string][] = [
  ['map', 'Map'],
  ['flows', 'ePHI flows'],
  ['reach', 'Reach'],
  ['inventory', 'Inventory'],
  ['alerts', 'Alerts'],
  ['changes', 'Changes'],
  ['compliance', 'Compliance'],
  ['scans', 'Scans'],
  ['admin', 'Admin'],
];

let view: HTMLElement | null = null;
let lastKey = '';

function shell(me: Me): void {
  const nav = h('nav', { 'aria-label': 'Views' }, ...NAV.map(([v, t]) => h('a', { href: `#/${v}`, 'data-view': v }, t)));
  const logout = h('button', { type: 'button', id: 'logout' }, 'Sign out');
  logout.addEventListener('click', async () => {
    await api('/auth/logout', { method: 'POST' }).catch(() => undefined);
    session.me = null;
    location.hash = '';
    start();
  });
  view = h('main', { id: 'view', tabindex: -1 });
  app.replaceChildren(
    h('a', { href: '#view', class: 'skip' }, 'Skip to content'),
    h('header', { class: 'top' }, h('span', { class: 'brand' }, 'ePHI Atlas'), nav, h('span', { class: 'who' }, h('a', { href: '#/account' }, `${me.name} · ${me.role}`), ' ', logout)),
    h('div', { class: 'body' }, view, panelHost()),
  );
}

async function route(): Promise<void> {
  if (!session.me || !view) return;
  const r: Route = current();
  const params = new URLSearchParams(r.params);
  const asset = params.get('asset');
  params.delete('asset');
  const key = `${r.view}?${params.toString()}`;
  document.querySelectorAll('nav a').forEach((a) => a.toggleAttribute('aria-current', (a as HTMLElement).dataset.view === r.view));
  if (session.me.mfaEnrollmentRequired) {
    lastKey = '';
    renderAccount(view, session.me, (me) => signedIn(me));
    return;
  }
  if (key === lastKey) {
    if (asset && asset !== panelHost().dataset.asset) void openAssetPanel(asset);
    return;
  }
  lastKey = key;
  if (asset) void openAssetPanel(asset);
  else closeAssetPanel();
  try {
    switch (r.view) {
      case 'map':
        await renderMap(view, attachGraph, r);
        break;
      case 'flows':
        await renderFlows(view, attachGraph);
        break;
      case 'reach':
        await renderReach(view, attachGraph, r);
        break;
      case 'inventory':
        await renderInventory(view, r);
        break;
      case 'alerts':
        await renderAlerts(view);
        break;
      case 'changes':
        await renderChanges(view, r);
        break;
      case 'compliance':
        await renderCompliance(view, r);
        break;
      case 'scans':
        await renderScans(view);
        break;
      case 'admin':
        await renderAdmin(view, r);
        break;
      case 'account':
        renderAccount(view, session.me);
        break;
      default:
        view.replaceChildren(h('p', {}, `No view called ${r.view}.`), h('a', { href: '#/map' }, 'Go to the map'));
    }
  } catch (err) {
    if (err instanceof ApiError && err.status === 401) return start('Your session ended; sign in again.');
    view.replaceChildren(h('p', { role: 'alert', class: 'error' }, (err as Error).message));
  }
}

function signedIn(me: Me): void {
  session.me = me;
  lastKey = '';
  shell(me);
  void route();
}

async function start(message = ''): Promise<void> {
  lastKey = '';
  try {
    signedIn(await api<Me>('/auth/me'));
  } catch {
    session.me = null;
    renderLogin(app, signedIn, message);
  }
}

window.addEventListener('hashchange', () => void route());
window.addEventListener('keydown', (ev) => {
  if (ev.key === 'Escape' && !panelHost().hidden) closeAssetPanel();
});
void start();
