import { api, ApiError, can } from '../lib/api.js';
import { fmtValue, h, recordTable } from '../lib/dom.js';
import { ASSET_KINDS, EPHI_ROLES } from '../lib/assets.js';
import { openApi } from '../lib/openapi.js';

/**
 * Everything the API says about one asset. The detail shape is still growing on the server, so
 * known sections get their own layout and anything else is listed as it comes. All values are
 * inserted as text: service banners and script output come straight from scans.
 */
let panel: HTMLElement | null = null;

export function panelHost(): HTMLElement {
  panel ??= h('aside', { class: 'asset-panel', id: 'asset-panel', 'aria-label': 'Asset details', hidden: true, tabindex: -1 });
  return panel;
}

export function closeAssetPanel(): void {
  const p = panelHost();
  p.hidden = true;
  p.replaceChildren();
  delete p.dataset.asset;
  const [path, query = ''] = location.hash.split('?');
  const q = new URLSearchParams(query);
  if (q.has('asset')) {
    q.delete('asset');
    history.replaceState(null, '', `${path}${q.toString() ? `?${q}` : ''}`);
  }
}

/** Open the panel and record it in the URL (without a new history entry), so a link shows it too. */
export function showAsset(id: string): void {
  const [path = '#/map', query = ''] = location.hash.split('?');
  const q = new URLSearchParams(query);
  q.set('asset', id);
  history.replaceState(null, '', `${path || '#/map'}?${q}`);
  void openAssetPanel(id);
}

let shown = '';

type Detail = Record<string, unknown> & { id: string; name: string };

const ASSERTED_DEFAULT = ['a_name', 'a_kind', 'a_ephiRole', 'a_encryptionAtRest', 'a_encryptionInTransit', 'a_mfa', 'a_criticality', 'a_assetTag', 'a_serial', 'a_version', 'a_vendorModel', 'a_notes', 'ownerId', 'siteId'];
const ENUMS: Record<string, string[]> = {
  a_kind: ASSET_KINDS,
  a_ephiRole: EPHI_ROLES,
  a_encryptionAtRest: ['yes', 'no', 'unknown'],
  a_encryptionInTransit: ['yes', 'no', 'unknown'],
  a_mfa: ['yes', 'no', 'unknown'],
};

export async function openAssetPanel(id: string): Promise<void> {
  const p = panelHost();
  shown = id;
  p.dataset.asset = id;
  p.hidden = false;
  p.replaceChildren(h('p', {}, 'Loading…'));
  let d: Detail;
  try {
    d = await api<Detail>(`/assets/${encodeURIComponent(id)}`);
    if (shown !== id || p.hidden) return; // another asset was opened, or the panel closed, meanwhile
  } catch (err) {
    p.replaceChildren(closeButton(), h('p', { role: 'alert', class: 'error' }, (err as Error).message));
    return;
  }
  render(p, d);
  p.focus();
}

function closeButton(): HTMLElement {
  const b = h('button', { type: 'button', class: 'close', 'aria-label': 'Close asset details' }, '×');
  b.addEventListener('click', closeAssetPanel);
  return b;
}

function kv(obj: Record<string, unknown>, skip: string[] = []): HTMLElement {
  const dl = h('dl', { class: 'kv' });
  for (const [k, v] of Object.entries(obj)) {
    if (skip.includes(k) || v === null || v === undefined || (Array.isArray(v) && v.length === 0)) continue;
    if (typeof v === 'object' && !Array.isArray(v)) continue;
    dl.append(h('dt', {}, k), h('dd', {}, fmtValue(v)));
  }
  return dl;
}

function render(p: HTMLElement, d: Detail): void {
  const sections: HTMLElement[] = [];
  const known = ['services', 'interfaces', 'observed', 'asserted', 'effective', 'provenance', 'history', 'changes', 'conflicts', 'owner', 'site', 'vendor', 'flows', 'alerts'];
  sections.push(h('section', {}, h('h3', {}, 'Summary'), kv(d, [...known, 'id', 'name'])));

  const obs = d.observed as Record<string, unknown> | undefined;
  const ass = d.asserted as Record<string, unknown> | undefined;
  const eff = d.effective as Record<string, unknown> | undefined;
  if (obs || ass || eff) {
    const keys = [...new Set([...Object.keys(obs ?? {}), ...Object.keys(ass ?? {}), ...Object.keys(eff ?? {})])];
    const t = h('table', { class: 'records compare' }, h('caption', {}, 'Observed by discovery vs asserted by people'));
    t.append(h('thead', {}, h('tr', {}, h('th', { scope: 'col' }, 'field'), h('th', { scope: 'col' }, 'observed'), h('th', { scope: 'col' }, 'asserted'), h('th', { scope: 'col' }, 'effective'))));
    const body = h('tbody');
    for (const k of keys) {
      const a = ass?.[k];
      body.append(h('tr', { class: a !== undefined && a !== null ? 'asserted' : '' }, h('th', { scope: 'row' }, k), h('td', {}, fmtValue(obs?.[k])), h('td', {}, fmtValue(a)), h('td', {}, fmtValue(eff?.[k]))));
    }
    t.append(body);
    sections.push(h('section', {}, t));
  }
  for (const key of ['owner', 'site', 'vendor']) {
    const v = d[key];
    if (v && typeof v === 'object') sections.push(h('section', { id: `asset-${key}` }, h('h3', {}, key), kv(v as Record<string, unknown>)));
  }
  const tableOf = (key: string, title: string, columns?: string[]) => {
    const v = d[key];
    if (Array.isArray(v) && v.length) sections.push(h('section', { id: `asset-${key}` }, h('h3', {}, title), recordTable(v as Record<string, unknown>[], columns ? { columns } : {})));
  };
  tableOf('interfaces', 'Interfaces');
  tableOf('services', 'Services (as reported by scans)');
  tableOf('flows', 'ePHI flows');
  tableOf('alerts', 'Alerts');
  tableOf('provenance', 'Provenance (sources and scan runs)');
  tableOf('history', 'History');
  tableOf('changes', 'History (what changed, when, by which source)', ['at', 'type', 'summary', 'sourceId', 'by']);
  tableOf('conflicts', 'Identity conflicts');
  const p2 = d.provenance;
  if (p2 && !Array.isArray(p2) && typeof p2 === 'object') sections.push(h('section', {}, h('h3', {}, 'Provenance'), kv(p2 as Record<string, unknown>)));

  p.replaceChildren(closeButton(), h('h2', { id: 'asset-panel-title' }, d.name), h('p', { class: 'muted' }, d.id), ...sections);
  if (can('security')) void editForm(d).then((f) => p.append(f));
}

async function editForm(d: Detail): Promise<HTMLElement> {
  const spec = await openApi().catch(() => null);
  const schema = spec?.paths?.['/api/v1/assets/{id}']?.patch?.requestBody?.content?.['application/json']?.schema as
    | { properties?: Record<string, { enum?: string[]; type?: string | string[]; anyOf?: { enum?: string[] }[]; description?: string }> }
    | undefined;
  if (spec && !schema) {
    return h('section', { class: 'edit' }, h('h3', {}, 'Edit'), h('p', { class: 'muted' }, 'This server does not accept edits of asserted fields yet.'));
  }
  type PropSchema = { enum?: string[]; type?: string | string[]; anyOf?: { enum?: string[]; type?: string }[] };
  const props: Record<string, PropSchema> = schema?.properties ?? Object.fromEntries(ASSERTED_DEFAULT.map((k) => [k, {}]));
  const asserted = (d.asserted as Record<string, unknown> | undefined) ?? d;
  const form = h('form', { class: 'edit', id: 'asset-edit', 'aria-label': 'Edit asserted fields' }, h('h3', {}, 'Asserted fields'));
  const inputs: Record<string, HTMLInputElement | HTMLSelectElement> = {};
  const booleans = new Set<string>();
  const people = (k: string) => k === 'ownerId';
  const peopleList = 'ownerId' in props ? await api<{ items: { id: string; name: string; email?: string | null }[] }>('/people?limit=500').then((r) => r.items).catch(() => null) : null;
  const linked = (k: string) => (k === 'ownerId' ? d.owner : k === 'siteId' ? d.site : k === 'vendorId' ? d.vendor : undefined) as { id?: string } | null | undefined;
  for (const [k, s] of Object.entries(props)) {
    const id = `edit-${k}`;
    const isBool = s.type === 'boolean' || (Array.isArray(s.type) && s.type.includes('boolean')) || Boolean(s.anyOf?.some((x) => x.type === 'boolean'));
    if (isBool) booleans.add(k);
    const enumVals = isBool ? ['true', 'false'] : (s.enum ?? s.anyOf?.find((x) => x.enum)?.enum ?? ENUMS[k]);
    const rawCur = k.endsWith('Id') ? linked(k)?.id : (asserted[k] ?? asserted[`a_${k}`]);
    const cur = rawCur === undefined || rawCur === null ? undefined : String(rawCur);
    let input: HTMLInputElement | HTMLSelectElement;
    if (people(k) && peopleList) {
      input = h('select', { id, name: k }, h('option', { value: '' }, '— nobody —'), ...peopleList.map((pp) => h('option', { value: pp.id, selected: pp.id === cur }, pp.email ? `${pp.name} <${pp.email}>` : pp.name)));
    } else if (enumVals) {
      input = h('select', { id, name: k }, h('option', { value: '' }, '—'), ...enumVals.map((v: string) => h('option', { value: v, selected: v === cur }, v)));
    } else {
      input = h('input', { id, name: k, value: typeof cur === 'string' ? cur : '' });
    }
    inputs[k] = input;
    form.append(h('div', { class: 'field' }, h('label', { for: id }, k.replace(/^a_/, '')), input));
  }
  const msg = h('p', { role: 'status', class: 'status', id: 'asset-edit-status' });
  form.append(h('button', { type: 'submit', class: 'primary' }, 'Save'), msg);
  const initial = Object.fromEntries(Object.entries(inputs).map(([k, i]) => [k, i.value]));
  form.addEventListener('submit', async (ev) => {
    ev.preventDefault();
    const body: Record<string, string | boolean | null> = {};
    for (const [k, i] of Object.entries(inputs)) {
      if (i.value === initial[k]) continue;
      body[k] = i.value === '' ? null : booleans.has(k) ? i.value === 'true' : i.value;
    }
    if (!Object.keys(body).length) {
      msg.textContent = 'Nothing changed.';
      return;
    }
    try {
      await api(`/assets/${encodeURIComponent(d.id)}`, { method: 'PATCH', json: body });
      msg.textContent = 'Saved.';
      void openAssetPanel(d.id);
    } catch (err) {
      const field = err instanceof ApiError && (err.details as { field?: string } | undefined)?.field;
      msg.textContent = `Not saved: ${(err as Error).message}${field ? ` (${field})` : ''}`;
      msg.className = 'status error';
    }
  });
  return form;
}
