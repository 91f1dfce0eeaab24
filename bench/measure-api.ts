import { createRequire } from 'node:module';
import type { Driver } from 'neo4j-driver';
import type { Api } from './http.js';
import { log, round, summarize, type Measure } from './lib.js';
import { RAW_ASSET_PAGE } from './raw-driver.js';

interface AutocannonResult {
  requests: { average: number; total: number };
  latency: { p50: number; p90: number; p99: number; max: number; average: number };
  errors: number;
  timeouts: number;
  non2xx: number;
  '2xx': number;
}
type Autocannon = (opts: Record<string, unknown>, cb: (err: Error | null, res: AutocannonResult) => void) => unknown;
const autocannon = createRequire(import.meta.url)('autocannon') as Autocannon;

function cannon(opts: Record<string, unknown>): Promise<AutocannonResult> {
  return new Promise((resolve, reject) => autocannon(opts, (err, res) => (err ? reject(err) : resolve(res))));
}

/**
 * Measure 5: GET /api/v1/assets pages under 50 concurrent clients (autocannon, loopback, bounded
 * duration). Requests cycle through the first page, a kind filter and a text search. Baseline:
 * the same number of concurrent raw-driver sessions running an index-friendly page query.
 */
export async function measureApi(api: Api, driver: Driver, label: string, seconds: number): Promise<Measure> {
  const paths = ['/api/v1/assets?limit=50', '/api/v1/assets?limit=50&kind=medical-device', '/api/v1/assets?limit=50&q=pacs'];
  const requests = paths.map((path) => ({ method: 'GET', path }));
  await cannon({ url: api.base, connections: 10, duration: 1, headers: api.headers, requests }); // warm-up
  const r = await cannon({ url: api.base, connections: 50, duration: seconds, headers: api.headers, requests });

  const lat: number[] = [];
  let errors = 0;
  const stopAt = performance.now() + seconds * 1000;
  await Promise.all(
    Array.from({ length: 50 }, async () => {
      while (performance.now() < stopAt) {
        const t0 = performance.now();
        try {
          await driver.executeQuery(RAW_ASSET_PAGE, {}, { database: 'neo4j' });
        } catch {
          errors += 1;
        }
        lat.push(performance.now() - t0);
      }
    }),
  );
  const raw = summarize(lat);
  const errs = r.errors + r.timeouts + r.non2xx;
  log(`api ${label}: ${round(r.requests.average)} req/s, p99 ${r.latency.p99} ms, errors ${errs}; raw ${round(lat.length / seconds)} q/s p99 ${raw.p99}`);
  const rawRps = round(lat.length / seconds);
  return {
    id: 'api-assets',
    title: 'GET /api/v1/assets pages, 50 concurrent clients',
    size: `${label} assets, ${seconds} s`,
    product: { reqPerSec: round(r.requests.average), p50Ms: r.latency.p50, p99Ms: r.latency.p99, maxMs: r.latency.max, requests: r.requests.total, errors: errs },
    baseline: { name: 'raw driver, 50 concurrent sessions, page query (ORDER BY name LIMIT 50)', qPerSec: rawRps, p50Ms: raw.p50, p99Ms: raw.p99, errors },
    ratio: round(r.requests.average / rawRps),
    target: 'p99 < 50 ms with 0 errors',
    met: r.latency.p99 < 50 && errs === 0,
    notes: [`requests cycle through: ${paths.join(', ')}`],
  };
}
