import cytoscape from 'cytoscape';
import './style.css';

interface Asset {
  id: string;
  name: string;
  kind: string;
  ips: string[];
  ephiRole: string;
  isAi: boolean;
  status: string;
}

const app = document.getElementById('app')!;

function el<K extends keyof HTMLElementTagNameMap>(tag: K, attrs: Record<string, string> = {}, text?: string): HTMLElementTagNameMap[K] {
  const e = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs)) e.setAttribute(k, v);
  if (text !== undefined) e.textContent = text; // always text, never HTML: names come from scans
  return e;
}

async function api<T>(path: string, init?: RequestInit): Promise<T> {
  const res = await fetch(`/api/v1${path}`, { credentials: 'same-origin', ...init, headers: { 'content-type': 'application/json', ...(init?.headers ?? {}) } });
  if (!res.ok) {
    const body = (await res.json().catch(() => ({}))) as { error?: { message?: string } };
    throw Object.assign(new Error(body.error?.message ?? res.statusText), { status: res.status });
  }
  return (await res.json()) as T;
}

function showLogin(message?: string): void {
  app.replaceChildren();
  const form = el('form', { class: 'login', 'aria-label': 'Sign in' });
  form.append(el('h1', {}, 'ePHI Atlas'));
  const user = el('input', { name: 'username', autocomplete: 'username', placeholder: 'user', 'aria-label': 'user name', required: '' });
  const pass = el('input', { name: 'password', type: 'password', autocomplete: 'current-password', placeholder: 'password', 'aria-label': 'password', required: '' });
  const msg = el('p', { role: 'alert', class: 'error' }, message ?? '');
  form.append(user, pass, el('button', { type: 'submit' }, 'Sign in'), msg);
  form.addEventListener('submit', async (ev) => {
    ev.preventDefault();
    try {
      await api('/auth/login', { method: 'POST', body: JSON.stringify({ username: user.value, password: pass.value }) });
      await showMap();
    } catch (err) {
      msg.textContent = (err as Error).message;
    }
  });
  app.append(form);
  user.focus();
}

function subnetOf(ip: string | undefined): string {
  if (!ip) return 'no address';
  const p = ip.split('.');
  return p.length === 4 ? `${p[0]}.${p[1]}.${p[2]}.0/24` : ip.split(':').slice(0, 4).join(':') + '::/64';
}

async function showMap(): Promise<void> {
  const assets: Asset[] = [];
  let cursor: string | null = null;
  do {
    const page: { items: Asset[]; nextCursor: string | null } = await api(`/assets?limit=500${cursor ? `&cursor=${encodeURIComponent(cursor)}` : ''}`);
    assets.push(...page.items);
    cursor = page.nextCursor;
  } while (cursor && assets.length < 2000);
  app.replaceChildren();
  const header = el('header');
  header.append(el('h1', {}, 'ePHI Atlas'), el('span', { class: 'count' }, `${assets.length} assets`));
  const map = el('div', { id: 'map', role: 'img', 'aria-label': 'network map' });
  app.append(header, map);
  const groups = new Map<string, Asset[]>();
  for (const a of assets) {
    const g = subnetOf(a.ips[0]);
    groups.set(g, [...(groups.get(g) ?? []), a]);
  }
  const elements: cytoscape.ElementDefinition[] = [];
  for (const [g, members] of groups) {
    elements.push({ data: { id: `subnet:${g}`, label: g, type: 'subnet' } });
    for (const a of members) elements.push({ data: { id: a.id, parent: `subnet:${g}`, label: a.name, kind: a.kind, type: 'asset' } });
  }
  const cy = cytoscape({
    container: map,
    elements,
    layout: { name: 'grid', avoidOverlap: true, padding: 20 },
    style: [
      { selector: 'node[type="asset"]', style: { label: 'data(label)', 'font-size': 9, 'background-color': '#4477aa', width: 18, height: 18, 'text-valign': 'bottom' } },
      { selector: 'node[type="subnet"]', style: { label: 'data(label)', 'text-valign': 'top', 'background-color': '#eeeeee', 'border-color': '#999', 'border-width': 1, 'font-weight': 'bold' } },
    ],
  });
  (window as unknown as { __atlasCy: cytoscape.Core }).__atlasCy = cy;
  document.body.dataset.mapReady = 'true';
}

api('/auth/me')
  .then(() => showMap())
  .catch(() => showLogin());
