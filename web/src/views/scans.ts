import { api, ApiError, API, can } from '../lib/api.js';
import { isMissing } from '../lib/assets.js';
import { requireOffered } from '../lib/openapi.js';
import { fmtValue, h } from '../lib/dom.js';

/** Scan definitions, run now, cancel, and live progress bars fed by server-sent events. */
type Scan = Record<string, unknown> & { id: string; name?: string; targets?: string[]; profile?: string };

const live = new Map<string, EventSource>();

export function progressBar(jobId: string, onEnd?: (state: string) => void): HTMLElement {
  const bar = h('progress', { max: 100, value: 0, id: `progress-${jobId}`, 'aria-label': `Scan job ${jobId} progress` });
  const label = h('span', { class: 'progress-label', 'aria-live': 'polite' }, 'waiting');
  const cancel = h('button', { type: 'button', class: 'cancel' }, 'Cancel');
  cancel.addEventListener('click', async () => {
    try {
      await api(`/jobs/${encodeURIComponent(jobId)}/cancel`, { method: 'POST', json: {} });
    } catch (err) {
      label.textContent = (err as Error).message;
    }
  });
  const box = h('div', { class: 'progress', 'data-job': jobId }, bar, ' ', label, ' ', cancel);
  live.get(jobId)?.close();
  const es = new EventSource(`${API}/jobs/${encodeURIComponent(jobId)}/events`, { withCredentials: true });
  live.set(jobId, es);
  let state = 'waiting';
  type Progress = { percent?: number; hosts?: number; hostsFound?: number } | number | null | undefined;
  const showProgress = (pr: Progress) => {
    const o = typeof pr === 'number' ? { percent: pr } : pr ?? {};
    if (typeof o.percent === 'number') bar.value = Math.max(0, Math.min(100, o.percent));
    const hosts = o.hosts ?? o.hostsFound;
    label.textContent = `${state}${typeof o.percent === 'number' ? ` ${Math.round(o.percent)}%` : ''}${hosts !== undefined ? ` · ${hosts} hosts` : ''}`;
  };
  const finish = (final: string) => {
    state = final;
    if (final === 'completed') bar.value = 100;
    label.textContent = final;
    es.close();
    live.delete(jobId);
    cancel.remove();
    box.dataset.state = final;
    onEnd?.(final);
  };
  const parse = (ev: MessageEvent<string>): unknown => {
    try {
      return JSON.parse(ev.data);
    } catch {
      return undefined;
    }
  };
  // The server names its events (state, progress, end); a plain message carries {state, progress}.
  es.addEventListener('state', ((ev: MessageEvent<string>) => {
    const d = parse(ev) as { state?: string } | undefined;
    if (d?.state) state = d.state;
    box.dataset.state = state;
    if (['completed', 'failed', 'cancelled'].includes(state)) finish(state);
    else showProgress(null);
  }) as EventListener);
  es.addEventListener('progress', ((ev: MessageEvent<string>) => showProgress(parse(ev) as Progress)) as EventListener);
  es.addEventListener('end', ((ev: MessageEvent<string>) => {
    const d = parse(ev) as { state?: string; progress?: Progress } | undefined;
    showProgress(d?.progress);
    finish(d?.state ?? 'completed');
  }) as EventListener);
  es.addEventListener('message', (ev) => {
    const d = parse(ev) as { state?: string; progress?: Progress } | undefined;
    if (d?.state) state = d.state;
    showProgress(d?.progress);
    if (['completed', 'failed', 'cancelled'].includes(state)) finish(state);
  });
  es.addEventListener('error', () => {
    if (es.readyState === EventSource.CLOSED) label.textContent += ' (live updates stopped)';
  });
  return box;
}

export async function renderScans(root: HTMLElement): Promise<void> {
  for (const es of live.values()) es.close();
  live.clear();
  const status = h('p', { class: 'status', role: 'status', 'aria-live': 'polite', id: 'scans-status' }, 'Loading…');
  const list = h('div', { id: 'scan-list' });
  const page = h('section', { class: 'page' }, h('h1', {}, 'Scans'), status, list);
  root.replaceChildren(page);
  let scans: Scan[];
  try {
    await requireOffered('/scans');
    const r = await api<Scan[] | { items: Scan[] }>('/scans');
    scans = Array.isArray(r) ? r : r.items;
  } catch (err) {
    status.textContent = isMissing(err) ? 'This server has no scans endpoint yet.' : (err as Error).message;
    return;
  }
  status.textContent = `${scans.length} scan definitions`;
  const table = h('table', { class: 'records' }, h('thead', {}, h('tr', {}, ...['name', 'targets', 'profile', 'schedule', 'last run', 'run'].map((c) => h('th', { scope: 'col' }, c)))));
  const body = h('tbody');
  for (const s of scans) {
    const cell = h('td');
    if (can('security')) {
      const run = h('button', { type: 'button', 'data-scan': s.id }, 'Run now');
      run.addEventListener('click', async () => {
        try {
          const r = await api<{ jobId: string }>(`/scans/${encodeURIComponent(s.id)}/run`, { method: 'POST', json: {} });
          cell.append(progressBar(r.jobId));
        } catch (err) {
          cell.append(h('span', { class: 'error' }, (err as Error).message));
        }
      });
      cell.append(run);
    }
    body.append(h('tr', {}, h('td', {}, s.name ?? s.id), h('td', {}, fmtValue(s.targets)), h('td', {}, fmtValue(s.profile)), h('td', {}, fmtValue(s.schedule)), h('td', {}, fmtValue(s.lastRunAt ?? s.lastRun)), cell));
  }
  table.append(body);
  list.append(table);
  if (can('security')) {
    const profiles = await api<{ items: { id: string; description: string }[] }>('/scans/profiles').then((r) => r.items).catch(() => []);
    page.append(createForm(profiles, () => void renderScans(root)));
  }
}

function createForm(profiles: { id: string; description: string }[], onCreated: () => void): HTMLElement {
  const name = h('input', { id: 'scan-name', required: true, maxlength: 100 });
  const targets = h('input', { id: 'scan-targets', required: true, placeholder: '127.0.0.1, 127.0.0.0/29' });
  const profile: HTMLInputElement | HTMLSelectElement = profiles.length
    ? h('select', { id: 'scan-profile' }, ...profiles.map((p) => h('option', { value: p.id }, `${p.id} — ${p.description}`)))
    : h('input', { id: 'scan-profile', value: 'discovery' });
  const schedule = h('input', { id: 'scan-schedule', placeholder: 'optional, e.g. 0 2 * * 0' });
  const msg = h('p', { role: 'alert', class: 'error', id: 'scan-error' });
  const form = h(
    'form',
    { class: 'card', 'aria-label': 'New scan' },
    h('h2', {}, 'New scan'),
    h('label', { for: 'scan-name' }, 'Name'), name,
    h('label', { for: 'scan-targets' }, 'Targets (comma separated; must be inside the authorised scope)'), targets,
    h('label', { for: 'scan-profile' }, 'Profile'), profile,
    h('label', { for: 'scan-schedule' }, 'Schedule'), schedule,
    h('button', { type: 'submit', class: 'primary' }, 'Create'),
    msg,
  );
  form.addEventListener('submit', async (ev) => {
    ev.preventDefault();
    msg.textContent = '';
    try {
      await api('/scans', {
        method: 'POST',
        json: { name: name.value, targets: targets.value.split(/[\s,]+/).filter(Boolean), profile: profile.value, ...(schedule.value ? { schedule: schedule.value } : {}) },
      });
      onCreated();
    } catch (err) {
      msg.textContent = err instanceof ApiError ? `${err.message}${err.details ? ` ${JSON.stringify(err.details)}` : ''}` : String(err);
    }
  });
  return form;
}
