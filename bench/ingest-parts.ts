/**
 * What each part of a fresh import costs: runs the product's fresh ingest of a generated
 * hospital (10k hosts by default) with one part of what it writes taken out at a time, and
 * prints per variant the best wall time, the CREATE statement's time, the commit's time and the
 * bytes Neo4j wrote meanwhile (mostly its transaction log), next to the raw full-row baseline.
 *
 *   npx tsx bench/ingest-parts.ts [hosts=10000] [rounds=3] [variants=all]
 *
 * A variant edits the text of the product's CREATE statement on its way to the server (through
 * a GraphClient stand-in) or drops indexes for its rounds and recreates them after, so the
 * product code is measured as it is, minus exactly that part. The graphs these variants leave are
 * not the product's: this is a diagnostic, never a test. Uses the bench's ports and data dir:
 * do not run it while `npm run bench` runs.
 */
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { loadConfig } from '../services/core/src/config.js';
import { wipeInventory } from '../services/core/src/graph/maintenance-repository.js';
import type { GraphClient, Tx } from '../services/core/src/graph/neo4j-client.js';
import { connectCore } from '../services/platform/src/atlas-runtime.js';
import { hospitalHosts, planHospital } from '../services/platform/src/generator/hospital-network.js';
import { ingestBatch, observationsOf, productIngest } from './measure-ingest.js';
import { fullRows, rawDriver, rawIngestFull } from './raw-driver.js';

const hosts = Number(process.argv[2] ?? 10_000);
const rounds = Number(process.argv[3] ?? 3);

const ASSET_INDEXES: [string, string][] = [
  ['asset_isAi_idx', 'CREATE INDEX asset_isAi_idx IF NOT EXISTS FOR (x:Asset) ON (x.isAi)'],
  ['asset_demo_idx', 'CREATE INDEX asset_demo_idx IF NOT EXISTS FOR (x:Asset) ON (x.demo)'],
  ['asset_status_idx', 'CREATE INDEX asset_status_idx IF NOT EXISTS FOR (x:Asset) ON (x.status)'],
  ['asset_ephiRole_idx', 'CREATE INDEX asset_ephiRole_idx IF NOT EXISTS FOR (x:Asset) ON (x.ephiRole)'],
  ['asset_searchText_text', 'CREATE TEXT INDEX asset_searchText_text IF NOT EXISTS FOR (x:Asset) ON (x.searchText)'],
];
const noSeenBy = (c: string) => c.replace(/CREATE \(a\)-\[:SEEN_BY[^\n]*\n/, '').replace(/CREATE \(i\)-\[:SEEN_BY[^\n]*\n/, '');
const noEvents = (c: string) => c.replace(/CALL \(row\) \{\n {2}UNWIND row\.events[\s\S]*?\n\}/, 'RETURN 1 AS done');
const noSubnetLink = (c: string) => c.replace(/ {2}WITH i, ifc WHERE ifc\.subnet IS NOT NULL\n[^\n]*\n[^\n]*IN_SUBNET[^\n]*\n/, '');

interface Variant {
  /** Edits the CREATE statement's text (must change it, or the variant measures nothing). */
  cypher?: (c: string) => string;
  /** Indexes dropped for the variant's rounds. */
  dropIndexes?: [string, string][];
}
const variants: Record<string, Variant> = {
  product: {},
  'no change event per new asset': { cypher: noEvents },
  'no SEEN_BY (asset, interface)': { cypher: noSeenBy },
  'no IN_SUBNET link': { cypher: noSubnetLink },
  'no isAi/demo/status/ephiRole/searchText indexes': { dropIndexes: ASSET_INDEXES },
  'none of the above': { cypher: (c) => noSubnetLink(noEvents(noSeenBy(c))), dropIndexes: ASSET_INDEXES },
};
const chosen = process.argv[4] ? process.argv[4].split(',') : Object.keys(variants);

const config = loadConfig({ NEO4J_BOLT_PORT: process.env.BENCH_NEO4J_PORT ?? '17771', REDIS_PORT: process.env.BENCH_REDIS_PORT ?? '17772', ATLAS_DATA_DIR: process.env.BENCH_DATA_DIR ?? '.atlas/bench', ATLAS_WORKERS: '0', NEO4J_PAGECACHE: '1g' });
const core = await connectCore(config, (m) => console.error(m));
const driver = rawDriver(core.services.neo4j.uri, core.services.neo4j.user, core.services.neo4j.password);

// Bytes the server process wrote (write(2) and friends), from /proc: its transaction log mostly.
const pidFile = join(config.ATLAS_DATA_DIR, 'neo4j', 'run', 'atlas-neo4j.pid');
const pid = existsSync(pidFile) ? readFileSync(pidFile, 'utf8').trim() : null;
const written = (): number => (pid ? Number(/wchar: (\d+)/.exec(readFileSync(`/proc/${pid}/io`, 'utf8'))?.[1] ?? NaN) : NaN);

const identity = (c: string) => c;
let rewrite = identity;
let createMs = 0;
let commitMs = 0;
// The product's GraphClient with the CREATE statement rewritten and timed, and the commit timed.
const graph = new Proxy(core.graph, {
  get(target, key) {
    if (key === 'executeWrite') {
      return async <T>(work: (tx: Tx) => Promise<T>): Promise<T> => {
        let workDone = 0;
        const result = await target.executeWrite((tx) =>
          work({
            run: async (cypher, params) => {
              const edited = rewrite(cypher);
              const a = performance.now();
              const rows = await tx.run(edited, params);
              if (cypher.includes('CREATE (a:Asset)')) {
                if (edited === cypher && rewrite !== identity) throw new Error('the variant did not change the CREATE statement');
                createMs += performance.now() - a;
              }
              return rows;
            },
          }).then((x) => ((workDone = performance.now()), x)),
        );
        commitMs += performance.now() - workDone;
        return result;
      };
    }
    const v = (target as unknown as Record<string | symbol, unknown>)[key];
    return typeof v === 'function' ? v.bind(target) : v;
  },
}) as GraphClient;

try {
  const list = [...hospitalHosts(planHospital({ assets: hosts }))];
  const obs = observationsOf(list);
  const rows = fullRows(list);
  const batch = ingestBatch();
  const at = '2026-01-01T00:00:00.000Z';
  // Warm both paths (JIT, query plans) on the whole set once.
  await wipeInventory(core.graph);
  await rawIngestFull(driver, rows, batch, at);
  await wipeInventory(core.graph);
  await productIngest(graph, obs, 'run-parts-warm', at);
  let raw = Infinity;
  const results: { name: string; ms: number; create: number; commit: number; mb: number }[] = [];
  console.log(`${hosts} hosts, batches of ${batch}, best of ${rounds} rounds`);
  for (const name of chosen) {
    const v = variants[name];
    if (!v) throw new Error(`unknown variant ${name}; known: ${Object.keys(variants).join(', ')}`);
    for (const [idx] of v.dropIndexes ?? []) await core.graph.runAutoCommit(`DROP INDEX ${idx} IF EXISTS`);
    rewrite = v.cypher ?? identity;
    let best = { ms: Infinity, create: 0, commit: 0, mb: 0 };
    try {
      for (let r = 1; r <= rounds; r++) {
        await wipeInventory(core.graph);
        const r0 = performance.now();
        await rawIngestFull(driver, rows, batch, at);
        raw = Math.min(raw, performance.now() - r0);
        await wipeInventory(core.graph);
        createMs = 0;
        commitMs = 0;
        const w0 = written();
        const t0 = performance.now();
        await productIngest(graph, obs, `run-parts-${r}`, at);
        const ms = performance.now() - t0;
        if (ms < best.ms) best = { ms, create: createMs, commit: commitMs, mb: (written() - w0) / 1e6 };
      }
    } finally {
      rewrite = identity;
      for (const [, create] of v.dropIndexes ?? []) await core.graph.runAutoCommit(create);
      if (v.dropIndexes) await core.graph.runAutoCommit('CALL db.awaitIndexes(600)');
    }
    results.push({ name, ...best });
    console.error(`${name}: ${Math.round(best.ms)} ms`);
  }
  // Ratios against the raw baseline's best round over the whole run (it ran before every variant round).
  const f = (x: number) => String(Math.round(x)).padStart(5);
  for (const x of results) console.log(`${f(x.ms)} ms (CREATE ${f(x.create)}, commit ${f(x.commit)}, ${x.mb.toFixed(1)} MB written)  ${(raw / x.ms).toFixed(2)}×  ${x.name}`);
  console.log(`${f(raw)} ms raw full rows`);
} finally {
  await driver.close();
  await core.queues.close();
  await core.graph.close();
  await core.services.stop();
}
