/**
 * DOM building with text only. Names, banners and scripts come from scans and imports, so every
 * string goes in through textContent or an attribute value, never through innerHTML.
 */
type Child = Node | string | number | null | undefined | false;
export type Attrs = Record<string, string | number | boolean | null | undefined | EventListener>;

export function h<K extends keyof HTMLElementTagNameMap>(tag: K, attrs: Attrs = {}, ...children: Child[]): HTMLElementTagNameMap[K] {
  const e = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs)) {
    if (v === null || v === undefined || v === false) continue;
    if (k.startsWith('on') && typeof v === 'function') e.addEventListener(k.slice(2), v as EventListener);
    else if (v === true) e.setAttribute(k, '');
    else e.setAttribute(k, String(v));
  }
  append(e, ...children);
  return e;
}

export function append(parent: Element, ...children: Child[]): void {
  for (const c of children) {
    if (c === null || c === undefined || c === false) continue;
    parent.append(typeof c === 'string' || typeof c === 'number' ? document.createTextNode(String(c)) : c);
  }
}

export function fmtTime(v: unknown): string {
  if (typeof v !== 'string' || !v) return '';
  const d = new Date(v);
  return Number.isNaN(d.getTime()) ? v : d.toISOString().replace('T', ' ').slice(0, 16) + ' UTC';
}

/** Any JSON value as readable text (for fields whose shape the API may still change). */
export function fmtValue(v: unknown): string {
  if (v === null || v === undefined) return '';
  if (Array.isArray(v)) return v.map(fmtValue).join(', ');
  if (typeof v === 'object') return JSON.stringify(v);
  if (typeof v === 'string' && /^\d{4}-\d\d-\d\dT\d\d:\d\d/.test(v)) return fmtTime(v);
  return String(v);
}

/** A plain table from records whose keys are not known in advance. */
export function recordTable(items: Record<string, unknown>[], opts: { columns?: string[]; caption?: string; actions?: (row: Record<string, unknown>) => Child[] } = {}): HTMLTableElement {
  const cols = opts.columns ?? [...new Set(items.flatMap((i) => Object.keys(i)))].slice(0, 12);
  const table = h('table', { class: 'records' });
  if (opts.caption) table.append(h('caption', {}, opts.caption));
  const head = h('tr', {}, ...cols.map((c) => h('th', { scope: 'col' }, c)), opts.actions ? h('th', { scope: 'col' }, 'actions') : null);
  table.append(h('thead', {}, head));
  const body = h('tbody');
  for (const it of items) {
    const tr = h('tr', {}, ...cols.map((c) => h('td', {}, fmtValue(it[c]))));
    if (opts.actions) tr.append(h('td', {}, ...opts.actions(it)));
    body.append(tr);
  }
  if (items.length === 0) body.append(h('tr', {}, h('td', { colspan: cols.length + (opts.actions ? 1 : 0) || 1 }, 'nothing to show')));
  table.append(body);
  return table;
}

export function download(filename: string, blob: Blob): void {
  const url = URL.createObjectURL(blob);
  const a = h('a', { href: url, download: filename });
  document.body.append(a);
  a.click();
  a.remove();
  setTimeout(() => URL.revokeObjectURL(url), 10_000);
}
