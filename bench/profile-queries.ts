/**
 * PROFILE of the read paths the bench found slow, on the graph the last bench run left in
 * .atlas/bench (no wipe): the product repositories are called through a GraphClient stand-in
 * that runs each statement with PROFILE on the raw driver and prints time, rows, db hits and
 * the heaviest operators. Also times candidate rewrites beside them.
 *
 *   npx tsx bench/profile-queries.ts
 *
 * Uses the bench's ports and data dir: do not run it while `npm run bench` runs.
 */
import type { Driver, ProfiledPlan } from 'neo4j-driver';
import { loadConfig } from '../services/core/src/config.js';
import { AssetRepository } from '../services/core/src/graph/asset-repository.js';
import { MapRepository } from '../services/core/src/graph/map-repository.js';
import type { GraphClient } from '../services/core/src/graph/neo4j-client.js';
import { ReachRepository } from '../services/core/src/graph/reach-repository.js';
import { connectCore } from '../services/platform/src/atlas-runtime.js';
import { summarize } from './lib.js';
import { rawDriver } from './raw-driver.js';

function walk(plan: ProfiledPlan, ops: Map<string, number>): number {
  const hits = Number(plan.dbHits ?? 0);
  const name = `${plan.operatorType}${plan.arguments?.Details ? ` ${String(plan.arguments.Details).replace(/\s+/g, ' ').slice(0, 110)}` : ''}`;
  ops.set(name, (ops.get(name) ?? 0) + hits);
  return hits + plan.children.reduce((n, c) => n + walk(c, ops), 0);
}

function toPlain(v: unknown): unknown {
  if (v && typeof v === 'object') {
    if ('toNumber' in v && typeof (v as { toNumber: unknown }).toNumber === 'function') return (v as { toNumber(): number }).toNumber();
    if ('toString' in v && v.constructor?.name?.match(/DateTime|Date|Time|Duration/)) return String(v);
    if (Array.isArray(v)) return v.map(toPlain);
    if ('properties' in v && 'labels' in v) return toPlain((v as { properties: unknown }).properties);
    return Object.fromEntries(Object.entries(v).map(([k, x]) => [k, toPlain(x)]));
  }
  return v;
}

function profilingGraph(driver: Driver, label: string): GraphClient {
  const run = async (cypher: string, params: Record<string, unknown> = {}) => {
    const t0 = performance.now();
    const res = await driver.executeQuery(`PROFILE ${cypher}`, params, { database: 'neo4j' });
    const ms = performance.now() - t0;
    const ops = new Map<string, number>();
    const hits = res.summary.profile ? walk(res.summary.profile, ops) : 0;
    console.log(`\n[${label}] ${Math.round(ms)} ms, ${res.records.length} rows, ${hits} db hits: ${cypher.trim().replace(/\s+/g, ' ').slice(0, 160)}`);
    for (const [op, n] of [...ops].sort((a, b) => b[1] - a[1]).slice(0, 5)) if (n) console.log(`   ${String(n).padStart(10)}  ${op}`);
    return res.records.map((r) => toPlain(r.toObject()) as Record<string, unknown>);
  };
  const tx = { run };
  return {
    read: run,
    write: run,
    executeRead: <T>(work: (t: typeof tx) => Promise<T>) => work(tx),
    executeWrite: <T>(work: (t: typeof tx) => Promise<T>) => work(tx),
  } as unknown as GraphClient;
}

async function time(driver: Driver, label: string, cypher: string, params: (i: number) => Record<string, unknown>, n: number): Promise<void> {
  const times: number[] = [];
  for (let i = 0; i < n + 2; i++) {
    const t0 = performance.now();
    await driver.executeQuery(cypher, params(i), { database: 'neo4j' });
    if (i >= 2) times.push(performance.now() - t0);
  }
  console.log(`[${label}] ${JSON.stringify(summarize(times))}`);
}

const config = loadConfig({ NEO4J_BOLT_PORT: process.env.BENCH_NEO4J_PORT ?? '17771', REDIS_PORT: process.env.BENCH_REDIS_PORT ?? '17772', ATLAS_DATA_DIR: process.env.BENCH_DATA_DIR ?? '.atlas/bench', ATLAS_WORKERS: '0', NEO4J_PAGECACHE: '1g' });
const core = await connectCore(config, (m) => console.error(m));
const driver = rawDriver(core.services.neo4j.uri, core.services.neo4j.user, core.services.neo4j.password);
try {
  const count = await driver.executeQuery('MATCH (a:Asset) RETURN count(a) AS n', {}, { database: 'neo4j' });
  console.log(`assets in the graph: ${count.records[0]?.get('n')}`);
  const src = await driver.executeQuery("MATCH (a:Asset {kind: 'workstation'}) RETURN a.id AS id ORDER BY a.id LIMIT 20", {}, { database: 'neo4j' });
  const ids = src.records.map((r) => String(r.get('id')));

  await new AssetRepository(profilingGraph(driver, 'assets.list')).list({ limit: 50 } as never);
  await new AssetRepository(profilingGraph(driver, 'assets.list kind')).list({ limit: 50, kind: 'medical-device' } as never);
  await new AssetRepository(profilingGraph(driver, 'assets.list q')).list({ limit: 50, q: 'pacs' } as never);
  await time(driver, 'asset page, index-backed ORDER BY a.name', "MATCH (a:Asset) WHERE a.name >= '' AND NOT a:Retired RETURN a.id, a.name ORDER BY a.name, a.id LIMIT 51", () => ({}), 10);
  await time(driver, 'asset page, ORDER BY coalesce(a.name, \'\') (as the repository)', "MATCH (a:Asset) WHERE NOT a:Retired WITH a, coalesce(a.name, '') AS k ORDER BY k, a.id LIMIT 51 RETURN a.id, a.name", () => ({}), 10);

  await new ReachRepository(profilingGraph(driver, 'reach.from k=6')).from(ids[0]!, { k: 6, limit: 50, paths: 3 });
  await time(driver, 'reach: SHORTEST 3 to every ePHI-bearing asset, then LIMIT (as the repository)',
    `MATCH (a:Asset {id: $id}) MATCH p = SHORTEST 3 (a)-[:CONNECTS_TO|EPHI_FLOW]->{1,6}(s:Asset WHERE s <> a AND (s.ephiRole IN ['stores', 'processes'] OR EXISTS { ()-[:EPHI_FLOW]->(s) }))
     WITH s, collect(p) AS ps, min(length(p)) AS hops ORDER BY hops, s.name, s.id LIMIT 51 RETURN s.id, hops, size(ps)`, (i) => ({ id: ids[i % ids.length] }), 10);
  await time(driver, 'reach rewrite: SHORTEST 1 to pick the 51 nearest, then SHORTEST 3 for those only',
    `MATCH (a:Asset {id: $id}) MATCH p = SHORTEST 1 (a)-[:CONNECTS_TO|EPHI_FLOW]->{1,6}(s:Asset WHERE s <> a AND (s.ephiRole IN ['stores', 'processes'] OR EXISTS { ()-[:EPHI_FLOW]->(s) }))
     WITH a, s, length(p) AS hops ORDER BY hops, s.name, s.id LIMIT 51
     MATCH q = SHORTEST 3 (a)-[:CONNECTS_TO|EPHI_FLOW]->{1,6}(s)
     WITH s, hops, collect(q) AS ps RETURN s.id, hops, size(ps)`, (i) => ({ id: ids[i % ids.length] }), 10);

  const map = new MapRepository(profilingGraph(driver, 'map'));
  const ov = await map.overview('subnet' as never, {} as never);
  const first = (ov as unknown as { nodes?: { id: string }[] }).nodes?.find((n) => n.id.startsWith('subnet:'))?.id;
  if (first) await map.group(first);
} finally {
  await driver.close();
  await core.queues.close();
  await core.graph.close();
  await core.services.stop();
}
