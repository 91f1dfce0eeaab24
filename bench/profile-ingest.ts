/**
 * Where the product's ingest time goes: runs `ingestHosts` on the bench servers through a
 * GraphClient stand-in that sends every statement with PROFILE via the raw driver, then prints
 * per statement its time, rows and db hits, and the operators with the most db hits.
 *
 *   npx tsx bench/profile-ingest.ts [hosts=2000] [batches-to-profile=2]
 *
 * Uses the bench's ports and data dir: do not run it while `npm run bench` runs.
 */
import type { Driver, ManagedTransaction, ProfiledPlan } from 'neo4j-driver';
import { loadConfig } from '../services/core/src/config.js';
import { ingestHosts } from '../services/core/src/graph/asset-ingest-repository.js';
import { wipeInventory } from '../services/core/src/graph/maintenance-repository.js';
import type { GraphClient } from '../services/core/src/graph/neo4j-client.js';
import { connectCore } from '../services/platform/src/atlas-runtime.js';
import { hospitalHosts, planHospital } from '../services/platform/src/generator/hospital-network.js';
import { ingestBatch } from './measure-ingest.js';
import { rawDriver } from './raw-driver.js';

const hosts = Number(process.argv[2] ?? 2000);
const profileBatches = Number(process.argv[3] ?? 2);

interface Stat {
  ms: number;
  calls: number;
  dbHits: number;
  ops: Map<string, number>;
}
const stats = new Map<string, Stat>();

function walk(plan: ProfiledPlan, ops: Map<string, number>): number {
  const hits = Number(plan.dbHits ?? 0);
  const name = `${plan.operatorType}${plan.arguments?.Details ? ` ${String(plan.arguments.Details).slice(0, 90)}` : ''}`;
  ops.set(name, (ops.get(name) ?? 0) + hits);
  return hits + plan.children.reduce((n, c) => n + walk(c, ops), 0);
}

function profilingGraph(driver: Driver, profile: () => boolean): GraphClient {
  const run = async (tx: ManagedTransaction, cypher: string, params: Record<string, unknown> = {}) => {
    const key = cypher.trim().replace(/\s+/g, ' ').slice(0, 70);
    const st = stats.get(key) ?? stats.set(key, { ms: 0, calls: 0, dbHits: 0, ops: new Map() }).get(key)!;
    const t0 = performance.now();
    const res = await tx.run((profile() ? 'PROFILE ' : '') + cypher, params);
    st.ms += performance.now() - t0;
    st.calls += 1;
    if (res.summary.profile) st.dbHits += walk(res.summary.profile, st.ops);
    return res.records.map((r) => r.toObject());
  };
  const fake = {
    executeWrite: async <T>(work: (tx: { run: (c: string, p?: Record<string, unknown>) => Promise<Record<string, unknown>[]> }) => Promise<T>) => {
      const session = driver.session({ database: 'neo4j' });
      try {
        return await session.executeWrite((tx) => work({ run: (c, p) => run(tx, c, p) }));
      } finally {
        await session.close();
      }
    },
  };
  fake.executeWrite.bind(fake);
  return new Proxy(fake, { get: (t, k) => (k in t ? (t as Record<string | symbol, unknown>)[k] : () => Promise.resolve([])) }) as unknown as GraphClient;
}

const config = loadConfig({ NEO4J_BOLT_PORT: process.env.BENCH_NEO4J_PORT ?? '17771', REDIS_PORT: process.env.BENCH_REDIS_PORT ?? '17772', ATLAS_DATA_DIR: process.env.BENCH_DATA_DIR ?? '.atlas/bench', ATLAS_WORKERS: '0', NEO4J_PAGECACHE: '1g' });
const core = await connectCore(config, (m) => console.error(m));
const driver = rawDriver(core.services.neo4j.uri, core.services.neo4j.user, core.services.neo4j.password);
try {
  await wipeInventory(core.graph);
  const list = [...hospitalHosts(planHospital({ assets: hosts }))];
  const batch = ingestBatch();
  let n = 0;
  let profiling = false;
  const graph = profilingGraph(driver, () => profiling);
  for (let i = 0; i < list.length; i += batch) {
    // The last batches are profiled: by then the graph holds what earlier batches wrote.
    profiling = i >= list.length - profileBatches * batch;
    const t0 = performance.now();
    await ingestHosts(graph, { runId: 'run-profile', sourceId: 'bench-profile', at: '2026-01-01T00:00:00.000Z' }, list.slice(i, i + batch));
    n += 1;
    console.error(`batch ${n}: ${Math.round(performance.now() - t0)} ms${profiling ? ' (profiled)' : ''}`);
  }
  for (const [key, st] of [...stats].sort((a, b) => b[1].ms - a[1].ms)) {
    console.log(`\n${Math.round(st.ms)} ms in ${st.calls} calls, ${st.dbHits} db hits (profiled batches): ${key}`);
    for (const [op, hits] of [...st.ops].sort((a, b) => b[1] - a[1]).slice(0, 6)) if (hits) console.log(`   ${hits.toString().padStart(9)}  ${op}`);
  }
} finally {
  await driver.close();
  await core.queues.close();
  await core.graph.close();
  await core.services.stop();
}
