import { api, can, qs } from '../lib/api.js';
import { isMissing } from '../lib/assets.js';
import { requireOffered } from '../lib/openapi.js';
import { h, recordTable } from '../lib/dom.js';
import { go, type Route } from '../lib/router.js';
import { showAsset } from './asset-panel.js';

/** Alerts (open → acknowledged → resolved) and the change feed ("what changed since …"). */
type Row = Record<string, unknown>;

function itemsOf(r: unknown): Row[] {
  if (Array.isArray(r)) return r as Row[];
  const o = r as { items?: Row[]; alerts?: Row[]; changes?: Row[] } | undefined;
  return o?.items ?? o?.alerts ?? o?.changes ?? [];
}

export async function renderAlerts(root: HTMLElement): Promise<void> {
  const status = h('p', { class: 'status', role: 'status', 'aria-live': 'polite', id: 'alerts-status' }, 'Loading…');
  const body = h('div');
  root.replaceChildren(h('section', { class: 'page' }, h('h1', {}, 'Alerts'), status, body));
  let items: Row[];
  try {
    await requireOffered('/alerts');
    items = itemsOf(await api('/alerts'));
  } catch (err) {
    status.textContent = isMissing(err) ? 'This server has no alerts endpoint yet.' : (err as Error).message;
    return;
  }
  status.textContent = `${items.length} alerts`;
  const act = (row: Row, action: 'acknowledge' | 'resolve') => {
    const b = h('button', { type: 'button' }, action);
    b.addEventListener('click', async () => {
      try {
        await api(`/alerts/${encodeURIComponent(String(row.id))}/${action}`, { method: 'POST', json: {} });
        await renderAlerts(root);
      } catch (err) {
        status.textContent = (err as Error).message;
      }
    });
    return b;
  };
  body.append(
    recordTable(items, {
      columns: ['severity', 'state', 'kind', 'title', 'message', 'assetName', 'createdAt'].filter((c) => items.some((i) => c in i)),
      actions: (row) => [
        row.assetId ? (() => { const b = h('button', { type: 'button', class: 'link' }, 'asset'); b.addEventListener('click', () => showAsset(String(row.assetId))); return b; })() : null,
        can('analyst') && row.state === 'open' ? act(row, 'acknowledge') : null,
        can('analyst') && row.state !== 'resolved' ? act(row, 'resolve') : null,
      ],
    }),
  );
}

export async function renderChanges(root: HTMLElement, route: Route): Promise<void> {
  const since = route.params.get('since') ?? new Date(Date.now() - 7 * 86400_000).toISOString().slice(0, 10);
  const input = h('input', { type: 'date', id: 'changes-since', value: since });
  const form = h('form', { class: 'toolbar' }, h('label', { for: 'changes-since' }, 'What changed since'), input, h('button', { type: 'submit' }, 'Show'));
  form.addEventListener('submit', (ev) => {
    ev.preventDefault();
    go('changes', { since: input.value });
  });
  const status = h('p', { class: 'status', role: 'status', 'aria-live': 'polite' }, 'Loading…');
  const body = h('div');
  root.replaceChildren(h('section', { class: 'page' }, h('h1', {}, 'Changes'), form, status, body));
  try {
    await requireOffered('/changes');
    const items = itemsOf(await api(`/changes${qs({ since: new Date(since).toISOString() })}`));
    status.textContent = `${items.length} changes since ${since}`;
    body.append(recordTable(items));
  } catch (err) {
    status.textContent = isMissing(err) ? 'This server has no changes endpoint yet.' : (err as Error).message;
  }
}
