import { api, can } from '../lib/api.js';
import { isMissing } from '../lib/assets.js';
import { requireOffered } from '../lib/openapi.js';
import { h, recordTable } from '../lib/dom.js';
import type { Route } from '../lib/router.js';

/** Admin pages: users, API tokens, the authorised scan scope and the audit log, read from the API. */
const TABS: [string, string, string][] = [
  ['users', 'Users', '/users'],
  ['tokens', 'API tokens', '/tokens'],
  ['scope', 'Scan scope', '/scans/scope'],
  ['audit', 'Audit log', '/audit'],
];

export async function renderAdmin(root: HTMLElement, route: Route): Promise<void> {
  const tab = TABS.find(([t]) => t === route.params.get('tab')) ?? TABS[0]!;
  const nav = h('nav', { class: 'tabs', 'aria-label': 'Admin sections' }, ...TABS.map(([t, title]) => h('a', { href: `#/admin?tab=${t}`, 'aria-current': t === tab[0] ? 'page' : null }, title)));
  const status = h('p', { class: 'status', role: 'status', 'aria-live': 'polite' });
  const body = h('div');
  root.replaceChildren(h('section', { class: 'page' }, h('h1', {}, 'Administration'), nav, status, body));
  if (!can('admin')) {
    status.textContent = 'These pages need the admin role.';
    return;
  }
  try {
    await requireOffered(tab[2]);
    const r = await api<unknown>(tab[2]);
    const items = Array.isArray(r) ? r : ((r as { items?: unknown[] }).items ?? (r as { cidrs?: unknown[] }).cidrs ?? [r]);
    body.append(recordTable(items.map((x) => (typeof x === 'object' && x ? (x as Record<string, unknown>) : { value: x }))));
    status.textContent = `${items.length} entries`;
  } catch (err) {
    status.textContent = isMissing(err) ? `This server has no ${tab[1].toLowerCase()} endpoint yet.` : (err as Error).message;
  }
}
