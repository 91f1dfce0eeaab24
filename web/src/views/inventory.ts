import { API, ApiError, can, qs } from '../lib/api.js';
import { allAssets, listAssets, listFilters, type AssetFilters, type AssetSummary } from '../lib/assets.js';
import { download, fmtTime, h } from '../lib/dom.js';
import { go, type Route } from '../lib/router.js';
import { filterBar, filtersFrom } from './filters.js';
import { showAsset } from './asset-panel.js';

/**
 * The inventory table: the accessible alternative to the map. Rows are virtualised (only the
 * visible ones are in the DOM) and fetched a page at a time as the user scrolls.
 */
const ROW = 32;
const PAGE = 200;
const SORTABLE = ['name', 'kind', 'firstSeen', 'lastSeen'];

const COLUMNS: { key: string; title: string; width: string; value: (a: AssetSummary) => string }[] = [
  { key: 'name', title: 'Name', width: '2fr', value: (a) => a.name },
  { key: 'kind', title: 'Kind', width: '1.2fr', value: (a) => a.kind },
  { key: 'ips', title: 'IP addresses', width: '1.4fr', value: (a) => a.ips.join(', ') },
  { key: 'mac', title: 'MAC / vendor', width: '1.8fr', value: (a) => [a.mac, a.macVendor].filter(Boolean).join(' · ') },
  { key: 'ephiRole', title: 'ePHI role', width: '1fr', value: (a) => a.ephiRole },
  { key: 'isAi', title: 'AI', width: '0.5fr', value: (a) => (a.isAi ? 'AI' : '') },
  { key: 'status', title: 'Status', width: '0.8fr', value: (a) => a.status },
  { key: 'firstSeen', title: 'First seen', width: '1.3fr', value: (a) => fmtTime(a.firstSeen) },
  { key: 'lastSeen', title: 'Last seen', width: '1.3fr', value: (a) => fmtTime(a.lastSeen) },
];

function csvCell(v: string): string {
  // Spreadsheet formula injection: a cell starting with = + - @ is made inert.
  const safe = /^[=+\-@\t\r]/.test(v) ? `'${v}` : v;
  return /[",\n\r]/.test(safe) ? `"${safe.replace(/"/g, '""')}"` : safe;
}

export async function renderInventory(root: HTMLElement, route: Route): Promise<void> {
  const p = route.params;
  const filters = filtersFrom(p);
  const sort = SORTABLE.includes(p.get('sort') ?? '') ? p.get('sort')! : 'name';
  const order = p.get('order') === 'desc' ? 'desc' : 'asc';
  const rows: AssetSummary[] = [];
  let cursor: string | null = null;
  let loading = false;
  let done = false;

  const status = h('p', { class: 'status', role: 'status', 'aria-live': 'polite', id: 'inventory-status' }, 'Loading…');
  const cols = COLUMNS.map((c) => c.width).join(' ');
  const header = h('div', { class: 'vrow vhead', role: 'row', style: `grid-template-columns:${cols}` });
  for (const c of COLUMNS) {
    const sorted = c.key === sort;
    const cell = h('div', { role: 'columnheader', 'aria-sort': sorted ? (order === 'asc' ? 'ascending' : 'descending') : 'none' });
    if (SORTABLE.includes(c.key)) {
      const b = h('button', { type: 'button', class: 'link', 'data-sort': c.key }, `${c.title}${sorted ? (order === 'asc' ? ' ▲' : ' ▼') : ''}`);
      b.addEventListener('click', () => go('inventory', { ...(listFilters(filters) as Record<string, string>), sort: c.key, order: sorted && order === 'asc' ? 'desc' : 'asc' }));
      cell.append(b);
    } else cell.append(c.title);
    header.append(cell);
  }
  const spacer = h('div', { class: 'vspacer', role: 'rowgroup' });
  const scroller = h('div', { class: 'vscroll', id: 'inventory-rows', tabindex: 0, 'aria-label': 'Inventory rows' }, spacer);
  const grid = h('div', { class: 'vtable', role: 'grid', 'aria-rowcount': -1, 'aria-label': 'Asset inventory' }, header, scroller);

  const exportLink = (fmt: string) =>
    h('a', { class: 'button', href: `${API}/exports/inventory${qs({ format: fmt, ...listFilters(filters) })}`, download: `inventory.${fmt}`, id: `export-${fmt}` }, `Export ${fmt.toUpperCase()}`);
  const viewCsv = h('button', { type: 'button', id: 'export-view-csv' }, 'Download this table (CSV)');
  viewCsv.addEventListener('click', async () => {
    status.textContent = 'Preparing the CSV…';
    const { items } = await allAssets(filters, 100_000);
    const lines = [COLUMNS.map((c) => csvCell(c.title)).join(',')];
    for (const a of items) lines.push(COLUMNS.map((c) => csvCell(c.key === 'firstSeen' || c.key === 'lastSeen' ? String(a[c.key] ?? '') : c.value(a))).join(','));
    download(`inventory-view-${new Date().toISOString().slice(0, 10)}.csv`, new Blob([lines.join('\r\n') + '\r\n'], { type: 'text/csv' }));
    status.textContent = `${items.length} rows downloaded.`;
  });
  const exports = h('div', { class: 'toolbar' }, ...(can('analyst') ? [exportLink('csv'), exportLink('xlsx'), exportLink('json')] : []), viewCsv);

  root.replaceChildren(
    h(
      'section',
      { class: 'page inventory' },
      h('h1', {}, 'Inventory'),
      filterBar(filters, (f) => go('inventory', { ...(f as Record<string, string>), sort, order })),
      exports,
      status,
      grid,
    ),
  );

  let rendered = '';
  const draw = () => {
    const top = scroller.scrollTop;
    const first = Math.max(0, Math.floor(top / ROW) - 5);
    const last = Math.min(rows.length, Math.ceil((top + scroller.clientHeight) / ROW) + 5);
    const key = `${first}:${last}:${rows.length}`;
    if (key === rendered) return;
    rendered = key;
    spacer.style.height = `${rows.length * ROW}px`;
    const frag = document.createDocumentFragment();
    for (let i = first; i < last; i++) {
      const a = rows[i]!;
      const r = h('div', {
        class: `vrow${a.status === 'stale' || a.status === 'missed' ? ' stale' : ''}`, role: 'row', tabindex: 0, 'aria-rowindex': i + 2,
        style: `top:${i * ROW}px;grid-template-columns:${cols}`, 'data-id': a.id,
      });
      for (const c of COLUMNS) r.append(h('div', { role: 'gridcell', title: c.value(a) }, c.value(a)));
      r.addEventListener('click', () => showAsset(a.id));
      r.addEventListener('keydown', (ev) => {
        if (ev.key === 'Enter') showAsset(a.id);
        if (ev.key === 'ArrowDown' || ev.key === 'ArrowUp') {
          ev.preventDefault();
          const next = i + (ev.key === 'ArrowDown' ? 1 : -1);
          if (next < 0 || next >= rows.length) return;
          scroller.scrollTop = Math.max(0, next * ROW - scroller.clientHeight / 2);
          draw();
          (spacer.querySelector(`[aria-rowindex="${next + 2}"]`) as HTMLElement | null)?.focus();
        }
      });
      frag.append(r);
    }
    spacer.replaceChildren(frag);
    if (!done && last > rows.length - 40) void more();
  };
  const more = async () => {
    if (loading || done) return;
    loading = true;
    try {
      const page = await listAssets({ ...filters, sort, order, limit: PAGE, cursor });
      rows.push(...page.items);
      cursor = page.nextCursor;
      done = !cursor;
      status.textContent = `${rows.length}${done ? '' : '+'} assets${done ? '' : ' (more load as you scroll)'}`;
      grid.setAttribute('aria-rowcount', done ? String(rows.length + 1) : '-1');
    } catch (err) {
      status.textContent = err instanceof ApiError ? `Cannot load the inventory: ${err.message}` : String(err);
      done = true;
    } finally {
      loading = false;
    }
    rendered = '';
    draw();
  };
  scroller.addEventListener('scroll', () => requestAnimationFrame(draw), { passive: true });
  await more();
}
