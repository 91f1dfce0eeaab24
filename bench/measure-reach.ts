import type { Driver } from 'neo4j-driver';
import { findPath, type Api } from './http.js';
import { log, round, summarize, type Measure } from './lib.js';
import { RAW_REACH } from './raw-driver.js';

/**
 * Measure 3: ePHI reach from compromised-workstation style sources, k = 6. Through the API
 * route when the server declares one, and the raw Cypher baseline (var-length over
 * CONNECTS_TO|EPHI_FLOW to assets whose ePHI role is `stores`) on the same sources.
 */
export async function measureReach(api: Api, driver: Driver, sources: string[], label: string): Promise<Measure> {
  const paths = await api.paths();
  const route = findPath(paths, /\/reach\/from\/\{[^}]+\}$/);
  const notes: string[] = [];
  const raw: number[] = [];
  let rawStores = 0;
  for (const [i, id] of [...sources.slice(0, 5), ...sources].entries()) {
    const t0 = performance.now();
    const res = await driver.executeQuery(RAW_REACH, { id }, { database: 'neo4j' });
    if (i >= 5) {
      raw.push(performance.now() - t0);
      rawStores += Number(res.records[0]?.get('stores') ?? 0);
    }
  }
  const rawStats = summarize(raw);
  let product: Measure['product'] = { route: 'missing' };
  let ratio: number | null = null;
  let met: boolean | null = null;
  if (route) {
    const op = paths[route]?.get;
    const qnames = (op?.parameters ?? []).filter((p) => p.in === 'query').map((p) => p.name);
    const hops = qnames.find((n) => /^(k|hops|maxHops|depth|maxDepth|max_hops)$/i.test(n));
    const url = (id: string) => route.replace(/\{[^}]+\}/, encodeURIComponent(id)) + (hops ? `?${hops}=6` : '');
    const times: number[] = [];
    const bytes: number[] = [];
    const statuses = new Map<number, number>();
    for (const [i, id] of [...sources.slice(0, 5), ...sources].entries()) {
      const r = await api.get(url(id));
      statuses.set(r.status, (statuses.get(r.status) ?? 0) + 1);
      if (i >= 5) {
        times.push(r.ms);
        bytes.push(r.bytes);
      }
    }
    const s = summarize(times);
    product = { route: `GET ${route}${hops ? `?${hops}=6` : ''}`, p50Ms: s.p50, p95Ms: s.p95, maxMs: s.max, meanBytes: Math.round(bytes.reduce((a, b) => a + b, 0) / bytes.length), statuses: JSON.stringify(Object.fromEntries(statuses)) };
    ratio = round(rawStats.p95 / s.p95);
    met = s.p95 < 100 && (statuses.get(200) ?? 0) === times.length + 5;
    if (!hops) notes.push(`route declares no hop-limit parameter (query params: ${qnames.join(', ') || 'none'}); measured with its default`);
  } else {
    notes.push('GET /api/v1/reach/from/{id} is not declared by the server in this run: only the raw baseline was measured');
  }
  log(`reach ${label}: raw p95 ${rawStats.p95} ms; product ${JSON.stringify(product)}`);
  return {
    id: 'reach',
    title: 'ePHI reach from an asset (k ≤ 6)',
    size: `${label} assets, ${sources.length} sources`,
    product,
    baseline: { name: 'raw Cypher var-length *1..6 + count(DISTINCT ePHI-bearing asset), no paths', p50Ms: rawStats.p50, p95Ms: rawStats.p95, maxMs: rawStats.max, meanReached: round(rawStores / sources.length, 1) },
    ratio,
    target: 'p95 < 100 ms at 100k assets',
    met,
    notes,
  };
}
