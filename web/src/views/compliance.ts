import { API, api, ApiError, can, qs } from '../lib/api.js';
import { listAssets } from '../lib/assets.js';
import { fmtTime, fmtValue, h } from '../lib/dom.js';
import { openApi } from '../lib/openapi.js';
import { go, type Route } from '../lib/router.js';
import { showAsset } from './asset-panel.js';

/**
 * The compliance page: NPRM gap report, classification suggestions, AI systems, reviews and
 * evidence snapshots. One tab per section, the tab and the gap filters live in the hash. Every
 * label and value comes from the API and goes in as text; the gap labels are the server's legend.
 */
type Row = Record<string, unknown>;

interface GapRow {
  subjectType: 'asset' | 'vendor';
  id: string;
  name: string;
  kind: string | null;
  ephiRole: string | null;
  owner: string | null;
  location: string | null;
  lastVulnScan: string | null;
  lastReviewedAt: string | null;
  gaps: string[];
}
interface GapReport {
  generatedAt: string;
  totals: { subjects: number; assets: number; vendors: number; withGaps: number; gaps: number; byGap: Record<string, number> };
  rows: GapRow[];
  legend: Record<string, string>;
}
interface Suggestion {
  id: string;
  type: string;
  state: string;
  assetId: string;
  assetName: string | null;
  ruleId: string;
  title: string;
  value: Record<string, string>;
  confidence: number;
  evidence: string[];
  createdAt: string | null;
}
interface SnapshotMeta {
  id: string;
  takenAt: string;
  trigger: string;
  takenBy: string;
  sha256: string;
  assets: number;
  flows: number;
  gaps: number;
  note: string | null;
}
interface Change { field: string; from: unknown; to: unknown }
interface SnapshotDiff {
  from: string;
  to: string;
  assets: { added: Row[]; removed: Row[]; changed: { id: string; name: unknown; changes: Change[] }[] };
  flows: { added: Row[]; removed: Row[]; changed: { id: string; changes: Change[] }[] };
  gaps: { opened: { id: string; gap: string }[]; closed: { id: string; gap: string }[] };
}

const TABS: [string, string][] = [
  ['gaps', 'Gap report'],
  ['suggestions', 'Suggestions'],
  ['ai', 'AI systems'],
  ['reviews', 'Reviews'],
  ['snapshots', 'Evidence snapshots'],
];
const GAP_FILTERS = ['gap', 'kind', 'ephiRole', 'subjectType', 'q'] as const;
const TWELVE_MONTHS = 365 * 86400_000;
const DUE_WINDOW = 30 * 86400_000;

export async function renderCompliance(root: HTMLElement, route: Route): Promise<void> {
  const tab = TABS.find(([t]) => t === route.params.get('tab'))?.[0] ?? 'gaps';
  const nav = h('nav', { class: 'tabs', 'aria-label': 'Compliance sections' }, ...TABS.map(([t, title]) => h('a', { href: `#/compliance?tab=${t}`, 'data-tab': t, 'aria-current': t === tab ? 'page' : null }, title)));
  const status = h('p', { class: 'status', role: 'status', 'aria-live': 'polite', id: 'compliance-status' }, 'Loading…');
  const body = h('div', { class: 'compliance-body' });
  root.replaceChildren(h('section', { class: 'page compliance' }, h('h1', {}, 'Compliance'), nav, status, body));
  try {
    if (tab === 'gaps') await gapsTab(body, status, route.params);
    else if (tab === 'suggestions') await suggestionsTab(body, status);
    else if (tab === 'ai') await aiTab(body, status);
    else if (tab === 'reviews') await reviewsTab(body, status);
    else await snapshotsTab(body, status);
  } catch (err) {
    if (err instanceof ApiError && err.status === 401) throw err;
    status.textContent = (err as Error).message;
    status.classList.add('error');
  }
}

function needs(status: HTMLElement, role: string, what: string): void {
  status.textContent = `${what} needs the ${role} role.`;
}

function assetButton(id: string, name: string): HTMLElement {
  const b = h('button', { type: 'button', class: 'link', 'data-asset': id }, name);
  b.addEventListener('click', () => showAsset(id));
  return b;
}

function chip(text: string, code: string): HTMLElement {
  return h('span', { class: 'chip', 'data-gap': code, title: code }, text);
}

function table(caption: string, headers: string[], rows: HTMLTableRowElement[], id?: string): HTMLTableElement {
  return h(
    'table',
    { class: 'records', id },
    h('caption', {}, caption),
    h('thead', {}, h('tr', {}, ...headers.map((t) => h('th', { scope: 'col' }, t)))),
    h('tbody', {}, ...(rows.length ? rows : [h('tr', {}, h('td', { colspan: headers.length }, 'nothing to show'))])),
  );
}

// ---- (a) gap report -------------------------------------------------------------------------

async function gapsTab(body: HTMLElement, status: HTMLElement, p: URLSearchParams): Promise<void> {
  if (!can('analyst')) return needs(status, 'analyst', 'The gap report');
  const filter: Record<string, string> = {};
  for (const k of GAP_FILTERS) if (p.get(k)) filter[k] = p.get(k)!;
  const site = p.get('site') ?? '';
  const [report, spec] = await Promise.all([api<GapReport>(`/compliance/gaps${qs(filter)}`), gapQueryEnums()]);
  const label = (code: string) => report.legend[code] ?? code;

  const apply = (next: Record<string, string>) => go('compliance', { tab: 'gaps', ...next });
  const sel = (id: string, name: string, title: string, opts: [string, string][], value: string) => {
    const s = h('select', { id, name }, ...opts.map(([v, t]) => h('option', { value: v, selected: v === value }, t)));
    return h('div', { class: 'field' }, h('label', { for: id }, title), s);
  };
  // The site choices are the locations in the report; the table is filtered here, the exports by the server.
  const sites = [...new Set(report.rows.map((r) => r.location).filter((x): x is string => Boolean(x)))].sort();
  const form = h(
    'form',
    { class: 'filters', 'aria-label': 'Gap report filters', id: 'gap-filters' },
    sel('g-gap', 'gap', 'Gap', [['', 'any gap'], ...Object.keys(report.legend).map((c): [string, string] => [c, label(c)])], filter.gap ?? ''),
    sel('g-subjectType', 'subjectType', 'Subject', [['', 'assets and vendors'], ['asset', 'assets'], ['vendor', 'vendors']], filter.subjectType ?? ''),
    sel('g-ephiRole', 'ephiRole', 'ePHI role', [['', 'any role'], ...spec.ephiRole.map((r): [string, string] => [r, r])], filter.ephiRole ?? ''),
    sel('g-site', 'site', 'Site', [['', 'any site'], ...sites.map((s): [string, string] => [s, s])], site),
    h('div', { class: 'field' }, h('label', { for: 'g-kind' }, 'Kind'), h('input', { id: 'g-kind', name: 'kind', value: filter.kind ?? '', type: 'search' })),
    h('div', { class: 'field' }, h('label', { for: 'g-q' }, 'Text'), h('input', { id: 'g-q', name: 'q', value: filter.q ?? '', type: 'search', placeholder: 'name' })),
    h('button', { type: 'submit', id: 'gap-apply' }, 'Apply'),
  );
  form.addEventListener('submit', (ev) => {
    ev.preventDefault();
    const d = new FormData(form);
    const next: Record<string, string> = {};
    for (const k of [...GAP_FILTERS, 'site']) {
      const v = String(d.get(k) ?? '').trim();
      if (v) next[k] = v;
    }
    apply(next);
  });
  form.querySelectorAll('select').forEach((s) => s.addEventListener('change', () => form.requestSubmit()));

  const rows = site ? report.rows.filter((r) => (r.location ?? '') === site) : report.rows;
  const tiles = h(
    'ul',
    { class: 'tiles', 'aria-label': 'Gap totals', id: 'gap-tiles' },
    h('li', { class: 'tile total' }, h('span', { class: 'n' }, String(report.totals.withGaps)), h('span', {}, `of ${report.totals.subjects} subjects with gaps`)),
    ...Object.keys(report.legend)
      .filter((c) => (report.totals.byGap[c] ?? 0) > 0)
      .map((c) => {
        const a = h('a', { href: `#/compliance?${new URLSearchParams({ tab: 'gaps', ...filter, gap: c })}`, class: 'tile', 'data-gap': c }, h('span', { class: 'n' }, String(report.totals.byGap[c])), h('span', {}, label(c)));
        return h('li', {}, a);
      }),
  );
  const exportLink = (fmt: string) => h('a', { class: 'button', href: `${API}/compliance/gaps${qs({ ...filter, ...(site ? { site } : {}), format: fmt })}`, download: `gaps.${fmt}`, id: `gaps-export-${fmt}` }, `Export ${fmt.toUpperCase()}`);
  const trs = rows.map((r) => {
    const tr = h(
      'tr',
      { 'data-id': r.id, 'data-subject': r.subjectType, tabindex: r.subjectType === 'asset' ? 0 : null, class: r.subjectType === 'asset' ? 'clickable' : '' },
      h('td', {}, r.subjectType === 'asset' ? assetButton(r.id, r.name) : h('span', {}, r.name), h('div', { class: 'muted small' }, [r.subjectType, r.kind, r.ephiRole && `ePHI ${r.ephiRole}`].filter(Boolean).join(' · '))),
      h('td', {}, r.owner ?? '—'),
      h('td', {}, r.location ?? '—'),
      h('td', { class: 'chips' }, ...r.gaps.map((g) => chip(label(g), g))),
    );
    if (r.subjectType === 'asset') {
      tr.addEventListener('click', (ev) => {
        if ((ev.target as HTMLElement).closest('button')) return;
        showAsset(r.id);
      });
      tr.addEventListener('keydown', (ev) => {
        if (ev.key === 'Enter' && ev.target === tr) showAsset(r.id);
      });
    }
    return tr;
  });
  body.replaceChildren(
    form,
    h('div', { class: 'toolbar' }, exportLink('csv'), exportLink('xlsx')),
    tiles,
    table(`Gaps per subject (${rows.length} rows)`, ['Subject', 'Accountable person', 'Location', 'Gaps'], trs, 'gap-rows'),
  );
  status.textContent = `${rows.length} subjects listed · report generated ${fmtTime(report.generatedAt)}`;
}

async function gapQueryEnums(): Promise<{ ephiRole: string[] }> {
  const s = (await openApi().catch(() => null)) as { paths?: Record<string, Record<string, { parameters?: { name: string; schema?: { enum?: string[] } }[] }>> } | null;
  const params = s?.paths?.[`${API}/compliance/gaps`]?.get?.parameters ?? [];
  return { ephiRole: params.find((x) => x.name === 'ephiRole')?.schema?.enum ?? ['stores', 'processes', 'transmits', 'none', 'unknown'] };
}

// ---- (b) suggestions ------------------------------------------------------------------------

async function suggestionsTab(body: HTMLElement, status: HTMLElement): Promise<void> {
  const r = await api<{ items: Suggestion[]; total: number }>(`/suggestions${qs({ state: 'open', limit: 500 })}`);
  const decide = can('security');
  const list = h('ul', { class: 'cards', id: 'suggestion-list', 'aria-label': 'Pending suggestions' });
  const refresh = () => suggestionsTab(body, status);
  for (const s of r.items) {
    const actions = h('div', { class: 'toolbar' });
    if (decide) {
      const confirm = h('button', { type: 'button', class: 'primary', 'data-action': 'confirm' }, 'Confirm');
      const dismiss = h('button', { type: 'button', 'data-action': 'dismiss' }, 'Dismiss');
      const act = async (what: 'confirm' | 'dismiss') => {
        confirm.disabled = dismiss.disabled = true;
        try {
          await api(`/suggestions/${encodeURIComponent(s.id)}/${what}`, { method: 'POST', ...(what === 'dismiss' ? { json: {} } : {}) });
          await refresh();
          status.textContent = `${what === 'confirm' ? 'Confirmed' : 'Dismissed'}: ${s.title} (${s.assetName ?? s.assetId}).`;
        } catch (err) {
          confirm.disabled = dismiss.disabled = false;
          status.textContent = `Not saved: ${(err as Error).message}`;
        }
      };
      confirm.addEventListener('click', () => void act('confirm'));
      dismiss.addEventListener('click', () => void act('dismiss'));
      actions.append(confirm, dismiss);
    }
    list.append(
      h(
        'li',
        { class: 'card wide', 'data-suggestion': s.id, 'data-asset': s.assetId },
        h('h3', {}, s.title),
        h(
          'dl',
          { class: 'kv' },
          h('dt', {}, 'Asset'),
          h('dd', {}, assetButton(s.assetId, s.assetName ?? s.assetId)),
          h('dt', {}, 'Suggests'),
          h('dd', {}, Object.entries(s.value).map(([k, v]) => `${k} = ${v}`).join(', ')),
          h('dt', {}, 'Confidence'),
          h('dd', {}, h('meter', { min: 0, max: 1, value: s.confidence, 'aria-label': 'confidence' }), ` ${Math.round(s.confidence * 100)} %`),
          h('dt', {}, 'Rule'),
          h('dd', {}, s.ruleId),
          h('dt', {}, 'Evidence'),
          h('dd', {}, h('ul', { class: 'evidence' }, ...s.evidence.map((e) => h('li', {}, e)))),
        ),
        actions,
      ),
    );
  }
  if (!r.items.length) list.append(h('li', { class: 'muted' }, 'No pending suggestions.'));
  body.replaceChildren(...(decide ? [] : [h('p', { class: 'muted', id: 'suggestions-readonly' }, 'Confirming or dismissing needs the security role.')]), list);
  status.textContent = `${r.total} pending suggestions`;
}

// ---- (c) AI systems -------------------------------------------------------------------------

const AI_COLUMNS: [string, string][] = [
  ['provider', 'Provider'],
  ['model', 'Model'],
  ['hosting', 'Hosting'],
  ['baaStatus', 'BAA'],
  ['riskTier', 'Risk tier'],
  ['owner', 'Owner'],
  ['lastReviewed', 'Last review'],
];

async function aiTab(body: HTMLElement, status: HTMLElement): Promise<void> {
  const r = await api<{ items: Row[] }>('/ai-systems');
  const trs = r.items.map((a) =>
    h(
      'tr',
      { 'data-id': String(a.id) },
      h('td', {}, a.subjectType === 'asset' ? assetButton(String(a.id), String(a.name)) : String(a.name), h('div', { class: 'muted small' }, [a.subjectType, a.touchesEphi ? 'touches ePHI' : ''].filter(Boolean).join(' · '))),
      ...AI_COLUMNS.map(([k]) => h('td', {}, fmtValue(a[k]) || '—')),
    ),
  );
  body.replaceChildren(table(`AI systems (${r.items.length})`, ['System', ...AI_COLUMNS.map(([, t]) => t)], trs, 'ai-systems'));
  if (can('security')) body.append(await aiForm(() => aiTab(body, status), status));
  else body.append(h('p', { class: 'muted' }, 'Tagging an asset as an AI system needs the security role.'));
  status.textContent = `${r.items.length} AI systems`;
}

type PropSchema = { enum?: string[]; type?: string; pattern?: string; anyOf?: { enum?: string[] }[] };

async function aiForm(done: () => Promise<void>, status: HTMLElement): Promise<HTMLElement> {
  const spec = (await openApi().catch(() => null)) as { paths?: Record<string, Record<string, { requestBody?: { content?: Record<string, { schema?: { properties?: Record<string, PropSchema> } }> } }>> } | null;
  const props = spec?.paths?.[`${API}/ai-systems/{assetId}`]?.put?.requestBody?.content?.['application/json']?.schema?.properties ?? {};
  const assetInput = h('input', { id: 'ai-asset', name: 'asset', list: 'ai-asset-list', required: true, autocomplete: 'off', placeholder: 'type a name' });
  const datalist = h('datalist', { id: 'ai-asset-list' });
  const byLabel = new Map<string, string>();
  let timer: ReturnType<typeof setTimeout> | undefined;
  assetInput.addEventListener('input', () => {
    clearTimeout(timer);
    timer = setTimeout(async () => {
      const q = assetInput.value.trim();
      if (q.length < 2 || byLabel.has(q)) return;
      const page = await listAssets({ q, limit: 20 }).catch(() => ({ items: [] }));
      datalist.replaceChildren(...page.items.map((a) => {
        const text = `${a.name} (${a.ips[0] ?? a.id})`;
        byLabel.set(text, a.id);
        return h('option', { value: text });
      }));
    }, 200);
  });
  const form = h('form', { class: 'edit grid-form', id: 'ai-tag-form', 'aria-label': 'Tag an asset as an AI system' }, h('h2', {}, 'Tag an asset as an AI system'));
  form.append(h('div', { class: 'field span2' }, h('label', { for: 'ai-asset' }, 'Asset'), assetInput, datalist));
  const inputs: Record<string, HTMLInputElement | HTMLSelectElement> = {};
  for (const [k, s] of Object.entries(props)) {
    const id = `ai-${k}`;
    const values = s.enum ?? s.anyOf?.find((x) => x.enum)?.enum;
    const input = values
      ? h('select', { id, name: k }, h('option', { value: '' }, '—'), ...values.map((v) => h('option', { value: v }, v)))
      : h('input', { id, name: k, type: k === 'lastReviewed' ? 'date' : 'text' });
    inputs[k] = input;
    form.append(h('div', { class: 'field' }, h('label', { for: id }, k.replace(/([A-Z])/g, ' $1').toLowerCase()), input));
  }
  const msg = h('p', { class: 'status', role: 'status', id: 'ai-tag-status' });
  form.append(h('div', { class: 'toolbar span2' }, h('button', { type: 'submit', class: 'primary' }, 'Tag as AI system'), msg));
  form.addEventListener('submit', async (ev) => {
    ev.preventDefault();
    const raw = assetInput.value.trim();
    const id = byLabel.get(raw) ?? raw;
    const json: Record<string, string> = {};
    for (const [k, i] of Object.entries(inputs)) if (i.value.trim()) json[k] = i.value.trim();
    try {
      await api(`/ai-systems/${encodeURIComponent(id)}`, { method: 'PUT', json });
      await done();
      status.textContent = `Tagged ${raw} as an AI system.`;
    } catch (err) {
      const field = (err as ApiError).details as { field?: string } | undefined;
      msg.textContent = `Not saved: ${(err as Error).message}${field?.field ? ` (${field.field})` : ''}`;
      msg.className = 'status error';
    }
  });
  return form;
}

// ---- (d) reviews ----------------------------------------------------------------------------

async function reviewsTab(body: HTMLElement, status: HTMLElement): Promise<void> {
  if (!can('analyst')) return needs(status, 'analyst', 'The review list');
  const [report, recent] = await Promise.all([api<GapReport>(`/compliance/gaps${qs({ subjectType: 'asset' })}`), api<{ items: Row[] }>('/reviews?limit=50')]);
  const now = Date.now();
  const dueAt = (r: GapRow) => (r.lastReviewedAt ? Date.parse(r.lastReviewedAt) + TWELVE_MONTHS : null);
  const due = report.rows
    .filter((r) => r.gaps.includes('REVIEW_OVERDUE') || (dueAt(r) ?? 0) - now < DUE_WINDOW)
    .sort((a, b) => (dueAt(a) ?? 0) - (dueAt(b) ?? 0));
  const trs = due.map((r) => {
    const at = dueAt(r);
    const overdue = r.gaps.includes('REVIEW_OVERDUE');
    const attest = h('button', { type: 'button', 'data-action': 'attest' }, 'Attest');
    attest.addEventListener('click', async () => {
      attest.disabled = true;
      try {
        await api('/reviews', { method: 'POST', json: { assetId: r.id } });
        await reviewsTab(body, status);
        status.textContent = `Review of ${r.name} attested.`;
      } catch (err) {
        attest.disabled = false;
        status.textContent = `Not saved: ${(err as Error).message}`;
      }
    });
    return h(
      'tr',
      { 'data-id': r.id },
      h('td', {}, assetButton(r.id, r.name)),
      h('td', {}, r.owner ?? '—'),
      h('td', {}, r.lastReviewedAt ? fmtTime(r.lastReviewedAt) : 'never'),
      h('td', {}, h('span', { class: overdue ? 'chip' : 'chip soft' }, overdue ? 'overdue' : `due ${at ? new Date(at).toISOString().slice(0, 10) : ''}`)),
      h('td', {}, attest),
    );
  });
  const done = recent.items.map((x) => h('tr', {}, h('td', {}, fmtTime(x.at)), h('td', {}, assetButton(String(x.assetId), String(x.assetName))), h('td', {}, String(x.by)), h('td', {}, fmtValue(x.note))));
  body.replaceChildren(
    table(`Overdue and due reviews (${due.length})`, ['Asset', 'Accountable person', 'Last review', 'State', ''], trs, 'reviews-due'),
    table('Recent attestations', ['When', 'Asset', 'By', 'Note'], done, 'reviews-recent'),
  );
  status.textContent = `${due.filter((r) => r.gaps.includes('REVIEW_OVERDUE')).length} overdue, ${due.filter((r) => !r.gaps.includes('REVIEW_OVERDUE')).length} due within 30 days`;
}

// ---- (e) evidence snapshots -----------------------------------------------------------------

async function snapshotsTab(body: HTMLElement, status: HTMLElement): Promise<void> {
  if (!can('analyst')) return needs(status, 'analyst', 'Evidence snapshots');
  const r = await api<{ items: SnapshotMeta[] }>('/snapshots?limit=100');
  const take = h('button', { type: 'button', class: 'primary', id: 'snapshot-take' }, 'Take a snapshot now');
  const note = h('input', { id: 'snapshot-note', name: 'note', placeholder: 'note (optional)' });
  take.addEventListener('click', async () => {
    take.disabled = true;
    status.textContent = 'Taking a snapshot…';
    try {
      const m = await api<SnapshotMeta>('/snapshots', { method: 'POST', json: note.value.trim() ? { note: note.value.trim() } : {} });
      await snapshotsTab(body, status);
      status.textContent = `Snapshot ${m.id} taken: ${m.assets} assets, ${m.flows} flows, ${m.gaps} gaps.`;
    } catch (err) {
      take.disabled = false;
      status.textContent = `Not taken: ${(err as Error).message}`;
    }
  });
  const pick = (id: string, title: string, idx: number) =>
    h('div', { class: 'field' }, h('label', { for: id }, title), h('select', { id, name: id }, ...r.items.map((s, i) => h('option', { value: s.id, selected: i === idx }, `${fmtTime(s.takenAt)} · ${s.id}`))));
  const diffOut = h('div', { id: 'snapshot-diff', 'aria-live': 'polite' });
  const diffForm = h('form', { class: 'toolbar', id: 'snapshot-diff-form', 'aria-label': 'Compare two snapshots' }, pick('diff-from', 'From (older)', Math.min(1, r.items.length - 1)), pick('diff-to', 'To (newer)', 0), h('button', { type: 'submit' }, 'Show differences'));
  diffForm.addEventListener('submit', async (ev) => {
    ev.preventDefault();
    const from = (diffForm.querySelector('#diff-from') as HTMLSelectElement).value;
    const to = (diffForm.querySelector('#diff-to') as HTMLSelectElement).value;
    diffOut.replaceChildren(h('p', { class: 'muted' }, 'Comparing…'));
    try {
      diffOut.replaceChildren(...renderDiff(await api<SnapshotDiff>(`/snapshots/diff${qs({ from, to })}`)));
    } catch (err) {
      diffOut.replaceChildren(h('p', { class: 'error', role: 'alert' }, (err as Error).message));
    }
  });
  const trs = r.items.map((s) =>
    h('tr', { 'data-id': s.id }, h('td', {}, fmtTime(s.takenAt)), h('td', {}, s.id), h('td', {}, `${s.trigger} · ${s.takenBy}`), h('td', {}, String(s.assets)), h('td', {}, String(s.flows)), h('td', {}, String(s.gaps)), h('td', {}, s.note ?? ''), h('td', {}, h('code', { class: 'wrap', title: s.sha256 }, s.sha256.slice(0, 12)))),
  );
  body.replaceChildren(
    h('div', { class: 'toolbar' }, note, take, h('a', { class: 'button', href: `${API}/exports/cyclonedx`, download: 'ai-bom.cdx.json', id: 'cyclonedx-export' }, 'Download CycloneDX 1.6 (AI systems and ePHI flows)')),
    table(`Snapshots (${r.items.length})`, ['Taken', 'Id', 'Trigger', 'Assets', 'Flows', 'Gaps', 'Note', 'SHA-256'], trs, 'snapshot-list'),
    r.items.length >= 2 ? diffForm : h('p', { class: 'muted' }, 'Take two snapshots to compare them.'),
    diffOut,
  );
  status.textContent = `${r.items.length} snapshots`;
}

function changeList(changes: Change[]): HTMLElement {
  return h('ul', { class: 'changes' }, ...changes.map((c) => h('li', {}, h('code', {}, c.field), `: ${fmtValue(c.from) || '—'} → ${fmtValue(c.to) || '—'}`)));
}

function renderDiff(d: SnapshotDiff): HTMLElement[] {
  const nameOf = (x: Row) => String(x.name ?? x.id ?? '');
  const flowName = (x: Row) => [x.sourceName ?? x.source ?? x.from, '→', x.targetName ?? x.target ?? x.to].map((v) => fmtValue(v)).join(' ') || String(x.id ?? '');
  const section = (title: string, id: string, items: HTMLElement[]) => h('section', { id }, h('h3', {}, `${title} (${items.length})`), items.length ? h('ul', {}, ...items) : h('p', { class: 'muted' }, 'none'));
  return [
    h('h2', {}, `Differences ${d.from} → ${d.to}`),
    h(
      'div',
      { class: 'diff-grid' },
      section('Assets added', 'diff-assets-added', d.assets.added.map((a) => h('li', { 'data-id': String(a.id) }, nameOf(a)))),
      section('Assets removed', 'diff-assets-removed', d.assets.removed.map((a) => h('li', { 'data-id': String(a.id) }, nameOf(a)))),
      section('Assets changed', 'diff-assets-changed', d.assets.changed.map((a) => h('li', { 'data-id': a.id }, h('strong', {}, fmtValue(a.name) || a.id), changeList(a.changes)))),
      section('Flows added', 'diff-flows-added', d.flows.added.map((f) => h('li', { 'data-id': String(f.id) }, flowName(f)))),
      section('Flows removed', 'diff-flows-removed', d.flows.removed.map((f) => h('li', { 'data-id': String(f.id) }, flowName(f)))),
      section('Flows changed', 'diff-flows-changed', d.flows.changed.map((f) => h('li', { 'data-id': f.id }, h('strong', {}, f.id), changeList(f.changes)))),
      section('Gaps opened', 'diff-gaps-opened', d.gaps.opened.map((g) => h('li', {}, `${g.id}: ${g.gap}`))),
      section('Gaps closed', 'diff-gaps-closed', d.gaps.closed.map((g) => h('li', {}, `${g.id}: ${g.gap}`))),
    ),
  ];
}
