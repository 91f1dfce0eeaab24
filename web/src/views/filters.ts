import { ASSET_KINDS, EPHI_ROLES, type AssetFilters } from '../lib/assets.js';
import { h } from '../lib/dom.js';

export const FILTER_KEYS = ['q', 'kind', 'ephi', 'ai', 'stale', 'vendor', 'site', 'tag'] as const;

export function filtersFrom(p: URLSearchParams): AssetFilters {
  const f: AssetFilters = {};
  for (const k of FILTER_KEYS) {
    const v = p.get(k);
    if (v) f[k] = v;
  }
  return f;
}

function select(id: string, label: string, options: [string, string][], value: string | undefined): HTMLElement {
  const s = h('select', { id, name: id.replace(/^f-/, '') }, ...options.map(([v, t]) => h('option', { value: v, selected: v === (value ?? '') }, t)));
  return h('div', { class: 'field' }, h('label', { for: id }, label), s);
}

function text(id: string, label: string, value: string | undefined, placeholder = ''): HTMLElement {
  return h('div', { class: 'field' }, h('label', { for: id }, label), h('input', { id, name: id.replace(/^f-/, ''), value: value ?? '', placeholder, type: 'search' }));
}

/** The filter bar shared by the map and the inventory; calls back with the new filters on submit. */
export function filterBar(f: AssetFilters, onApply: (f: AssetFilters) => void, opts: { extended?: boolean } = {}): HTMLFormElement {
  const form = h(
    'form',
    { class: 'filters', 'aria-label': 'Filters' },
    text('f-q', 'Text', f.q, 'name, IP, MAC, hostname'),
    select('f-kind', 'Kind', [['', 'any kind'], ...ASSET_KINDS.map((k): [string, string] => [k, k])], f.kind),
    select('f-ephi', 'ePHI role', [['', 'any role'], ...EPHI_ROLES.map((k): [string, string] => [k, k])], f.ephi),
    select('f-ai', 'AI', [['', 'any'], ['true', 'AI only'], ['false', 'not AI']], f.ai),
    select('f-stale', 'Status', [['', 'any'], ['true', 'stale / missed'], ['false', 'current']], f.stale),
    opts.extended ? text('f-vendor', 'Vendor', f.vendor) : null,
    opts.extended ? text('f-site', 'Site', f.site) : null,
    opts.extended ? text('f-tag', 'Tag', f.tag) : null,
    h('button', { type: 'submit', id: 'apply-filters' }, 'Apply'),
  );
  form.addEventListener('submit', (ev) => {
    ev.preventDefault();
    const data = new FormData(form);
    const next: AssetFilters = {};
    for (const k of FILTER_KEYS) {
      const v = String(data.get(k) ?? '').trim();
      if (v) next[k] = v;
    }
    onApply(next);
  });
  // Selects apply at once; text fields on Enter.
  form.querySelectorAll('select').forEach((s) => s.addEventListener('change', () => form.requestSubmit()));
  return form;
}
