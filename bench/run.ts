/**
 * `npm run bench` (full: 10k and 100k assets) and `npm run bench -- --quick` (1k/2k smoke run).
 * Provisions Neo4j and Redis the way the product does (own ports and data dir), serves the API,
 * runs every measure with its baseline in the same run, prints one JSON line per measure on
 * stdout and writes BENCHMARKS.md. Options: --only=parse,ingest,reach,map,api,ui,worker;
 * --reuse-graph (with --only, no worker) measures on the big graph an earlier run left behind.
 */
import { createWriteStream, existsSync, statSync } from 'node:fs';
import { loadavg } from 'node:os';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { loadConfig } from '../services/core/src/config.js';
import { randomPassword } from '../services/core/src/auth/secrets.js';
import { AuthRepository } from '../services/core/src/graph/auth-repository.js';
import { parseNmapXmlFile } from '../services/discovery/src/nmap/nmap-xml-parser.js';
import { spawnSync } from 'node:child_process';
import type { AtlasConfig } from '../services/core/src/config.js';
import { buildServer } from '../services/api/src/server.js';
import { connectCore } from '../services/platform/src/atlas-runtime.js';
import { DEFAULT_SEED, GENERATOR_VERSION, hospitalHosts, planHospital, type HospitalPlan } from '../services/platform/src/generator/hospital-network.js';
import { writeNmapXml } from '../services/platform/src/generator/nmap-xml-writer.js';
import { assetIdsByIp, loadHospitalFixture } from './hospital-fixture.js';
import { Api } from './http.js';
import { log, round, type Measure } from './lib.js';
import { measureApi } from './measure-api.js';
import { measureIngest } from './measure-ingest.js';
import { measureMap } from './measure-map.js';
import { measureParse } from './measure-parse.js';
import { measureReach } from './measure-reach.js';
import { measureUi } from './measure-ui.js';
import { measureWorker } from './measure-worker.js';
import { rawDriver } from './raw-driver.js';
import { writeReport } from './report.js';

const argv = process.argv.slice(2);
const quick = argv.includes('--quick');
const only = argv.find((a) => a.startsWith('--only='))?.slice(7).split(',');
/** Reuse the big graph a previous run left in .atlas/bench (skips the worker import and fixture). */
const reuseGraph = argv.includes('--reuse-graph');
const wants = (m: string) => !only || only.includes(m);
const seed = DEFAULT_SEED;

/** Ports and data folder can be moved (BENCH_API_PORT, BENCH_NEO4J_PORT, BENCH_REDIS_PORT, BENCH_DATA_DIR) to run two benches side by side. */
const PORTS = {
  api: Number(process.env.BENCH_API_PORT ?? 18771),
  neo4j: Number(process.env.BENCH_NEO4J_PORT ?? 17771),
  redis: Number(process.env.BENCH_REDIS_PORT ?? 17772),
};
const root = resolve(fileURLToPath(new URL('..', import.meta.url)));
// A quick run keeps its own folder so it never replaces the 100k graph a full run leaves for --reuse-graph.
const dataDir = resolve(root, process.env.BENCH_DATA_DIR ?? (quick ? '.atlas/bench-quick' : '.atlas/bench'));
const sizes = quick
  ? { parse: [2000], ingest: 1000, ingestRounds: 1, again: false, big: 2000, ui: [2000], apiSeconds: 3, mapRuns: 5 }
  : { parse: [10_000, 100_000], ingest: 10_000, ingestRounds: 3, again: true, big: 100_000, ui: [2000, 10_000], apiSeconds: 10, mapRuns: 20 };
const label = (n: number) => (n >= 1000 ? `${n / 1000}k` : String(n));

const measures: Measure[] = [];
const runStarted = { at: new Date().toISOString(), ms: Date.now(), neo4jVersion: 'unknown' };
const reportPath = quick || only ? join(dataDir, 'BENCHMARKS-quick.md') : join(root, 'BENCHMARKS.md');
/** Prints the measure and rewrites the report, so a run cut short still leaves what it measured. */
function record(m: Measure | Measure[]): void {
  for (const x of Array.isArray(m) ? m : [m]) {
    measures.push(x);
    console.log(JSON.stringify(x));
  }
  report(false);
}
function report(finished: boolean): void {
  const minutes = round((Date.now() - runStarted.ms) / 60_000, 1);
  writeReport(
    reportPath,
    measures,
    { mode: quick ? 'quick' : 'full', startedAt: runStarted.at, minutes, neo4jVersion: runStarted.neo4jVersion, seed, command: `npm run bench${argv.length ? ` -- ${argv.join(' ')}` : ''}`, finished, loadavg: loadavg() },
    join(root, 'bench/ANALYSIS.md'),
  );
}

async function scanFile(plan: HospitalPlan): Promise<string> {
  const path = join(dataDir, `hospital-${label(plan.size)}-seed${seed}-v${GENERATOR_VERSION}.xml`);
  if (!existsSync(path) || statSync(path).size === 0) {
    const t0 = performance.now();
    const w = await writeNmapXml(path, hospitalHosts(plan));
    log(`wrote ${path}: ${w.hosts} hosts, ${round(w.bytes / 2 ** 20, 1)} MiB in ${Math.round(performance.now() - t0)} ms`);
  }
  return path;
}

async function main(): Promise<void> {
  const config = loadConfig({
    ATLAS_HOST: '127.0.0.1',
    ATLAS_PORT: String(PORTS.api),
    NEO4J_BOLT_PORT: String(PORTS.neo4j),
    REDIS_PORT: String(PORTS.redis),
    ATLAS_DATA_DIR: dataDir,
    ATLAS_WORKERS: '0',
    ATLAS_DEMO: '0',
    ATLAS_LOG_LEVEL: 'warn',
    ATLAS_QUEUE_PREFIX: 'bench',
    NEO4J_HEAP: process.env.BENCH_NEO4J_HEAP ?? '1g',
    NEO4J_PAGECACHE: process.env.BENCH_NEO4J_PAGECACHE ?? '1g',
  });
  const plans = new Map<number, HospitalPlan>();
  const plan = (n: number) => plans.get(n) ?? plans.set(n, planHospital({ assets: n, seed })).get(n)!;

  // 1. Parsing needs no servers.
  if (wants('parse')) for (const n of sizes.parse) record(await measureParse(await scanFile(plan(n)), `${label(n)} hosts`));

  log('starting Neo4j, Redis and the API…');
  const webRoot = wants('ui') ? buildUi() : undefined;
  const rt = await startBenchRuntime(config, webRoot);
  const { neo4j } = rt.services;
  const driver = rawDriver(neo4j.uri, neo4j.user, neo4j.password);
  const auth = new AuthRepository(rt.graph);
  const base = `http://127.0.0.1:${PORTS.api}`;
  // wipeInventory removes users and tokens too: credentials are made after the last wipe.
  const credentials = async () => {
    const token = (await auth.createToken(`bench-${Date.now()}`, 'security', 1, 'bench')).token;
    const user = { username: `bench-ui-${Date.now()}`, password: randomPassword() };
    await auth.createUser(user.username, user.password, 'viewer');
    return { api: new Api(base, token), user };
  };
  runStarted.neo4jVersion = String((await rt.graph.read('CALL dbms.components() YIELD versions RETURN versions[0] AS v'))[0]?.v ?? 'unknown');
  try {
    // 2. Ingestion ratio at the medium size; the product-ingested graph it leaves serves reach
    // at that size (3) once the fixture adds roles, flows and connections.
    if (wants('ingest') && !reuseGraph) {
      const parsed = await parseNmapXmlFile(await scanFile(plan(sizes.ingest)));
      record(await measureIngest(rt.graph, driver, parsed.hosts, label(sizes.ingest), { rounds: sizes.ingestRounds, again: sizes.again }));
      if (wants('reach') && !quick) {
        const f = await loadHospitalFixture(driver, plan(sizes.ingest));
        log(`fixture ${label(sizes.ingest)}: ${JSON.stringify(f)}`);
        const { api } = await credentials();
        record(await measureReach(api, driver, await reachSources(driver, plan(sizes.ingest)), label(sizes.ingest)));
      }
    }
    // 7. The big graph is loaded by the import worker from the scan file, then reused by the
    // reach, map, API and UI measures.
    const big = plan(sizes.big);
    let bigLoaded = false;
    if (reuseGraph && !wants('worker')) {
      const rows = await driver.executeQuery("MATCH (a:Asset) WITH count(a) AS n MATCH ()-[c:CONNECTS_TO {source: 'bench'}]->() RETURN n, count(c) AS c", {}, { database: 'neo4j' });
      const n = Number(rows.records[0]?.get('n') ?? 0);
      bigLoaded = n === big.size && Number(rows.records[0]?.get('c') ?? 0) > 0;
      log(bigLoaded ? `reusing the ${label(n)}-asset graph left by an earlier run` : `no reusable ${label(big.size)} graph (found ${n} assets): loading it`);
    }
    if (!bigLoaded && (wants('worker') || wants('reach') || wants('map') || wants('api') || wants('ui'))) {
      const parseBig = measures.find((m) => m.id === 'parse' && m.size?.startsWith(label(big.size)));
      const nodeNmapPeak = parseBig?.baseline?.peakRssMiB;
      record(
        await measureWorker(config, { neo4jUri: neo4j.uri, neo4jUser: neo4j.user, neo4jPassword: neo4j.password, redisUrl: rt.services.redisUrl }, rt.graph, rt.queues, await scanFile(big), label(big.size), typeof nodeNmapPeak === 'number' ? nodeNmapPeak : null),
      );
      const t = performance.now();
      const f = await loadHospitalFixture(driver, big);
      log(`fixture ${label(big.size)}: ${JSON.stringify(f)} in ${Math.round(performance.now() - t)} ms`);
      bigLoaded = true;
      // The fixture's flows and connections start a background refresh of the map aggregates
      // (about a minute of CPU at 100k): measured alone, so no measure below shares the cores with it.
      const since = new Date().toISOString();
      const t1 = performance.now();
      const { api } = await credentials();
      for (;;) {
        const r = await api.get('/api/v1/map/overview');
        const b = (r.body as { budget?: { source?: string; aggregatedAt?: string } }).budget;
        // A graph below ATLAS_MAP_AGGREGATE_ABOVE_ASSETS is always computed live: nothing to wait for.
        if (b?.source === 'live' || (b?.source === 'aggregate' && b.aggregatedAt && b.aggregatedAt > since)) break;
        if (performance.now() - t1 > 600_000) throw new Error('the map aggregates were not refreshed within 10 minutes of the fixture');
        await new Promise((r2) => setTimeout(r2, 2000));
      }
      log(`map aggregates refreshed after the fixture in ${Math.round(performance.now() - t1)} ms`);
    }
    if (bigLoaded) {
      const { api, user } = await credentials();
      if (wants('reach')) record(await measureReach(api, driver, await reachSources(driver, big), label(big.size)));
      if (wants('map')) record(await measureMap(api, driver, label(big.size), sizes.mapRuns));
      if (wants('api')) record(await measureApi(api, driver, label(big.size), sizes.apiSeconds));
      if (wants('ui')) record(await measureUi(join(dataDir, 'ui'), sizes.ui, { base, user, assets: label(big.size) }));
    } else if (wants('ui')) {
      record(await measureUi(join(dataDir, 'ui'), sizes.ui, null));
    }
  } finally {
    await driver.close();
    await rt.stop();
  }
  report(true);
  log(`done in ${round((Date.now() - runStarted.ms) / 60_000, 1)} min; wrote ${reportPath}`);
}

/**
 * The UI is built into the bench's own directory: web/dist is rebuilt by anyone working on the
 * UI, and a static server started before a rebuild would answer 404 for the new asset names.
 */
function buildUi(): string {
  const outDir = join(dataDir, 'web-dist');
  const r = spawnSync(process.execPath, [join(root, 'node_modules/vite/bin/vite.js'), 'build', '--config', 'web/vite.config.ts', '--outDir', outDir, '--emptyOutDir', '--logLevel', 'warn'], { cwd: root, stdio: ['ignore', 'ignore', 'inherit'] });
  if (r.status !== 0) throw new Error(`UI build failed (${r.status ?? r.signal})`);
  return outDir;
}

/** connectCore (the product's provisioning and schema) + the API on the bench port, no workers. */
async function startBenchRuntime(config: AtlasConfig, webRoot: string | undefined) {
  const core = await connectCore(config, log);
  // Warnings and errors (a 500's stack) go to a file, so a failing route can be diagnosed.
  const logStream = createWriteStream(join(dataDir, 'api.log'), { flags: 'a' });
  const server = await buildServer({ config, graph: core.graph, queues: core.queues, logStream, ...(webRoot ? { webRoot } : {}) });
  await server.listen({ host: config.ATLAS_HOST, port: config.ATLAS_PORT });
  return {
    ...core,
    async stop() {
      await server.close().catch(() => {});
      await core.queues.close().catch(() => {});
      await core.graph.close().catch(() => {});
      await core.services.stop();
    },
  };
}

/** Sources of reach queries: 50 clinical workstations and 10 bedside devices, spread over the estate. */
async function reachSources(driver: ReturnType<typeof rawDriver>, plan: HospitalPlan): Promise<string[]> {
  const spread = (ids: number[], n: number) => Array.from({ length: Math.min(n, ids.length) }, (_, k) => ids[Math.floor((k * ids.length) / Math.min(n, ids.length))]!);
  const idx = [...spread(plan.indexesOf('clinical-workstation'), 50), ...spread(plan.indexesOf('bedside-device'), 10)];
  return assetIdsByIp(driver, idx.map((i) => plan.assetAt(i).ip));
}

main().catch((err) => {
  console.error(`[bench] failed: ${(err as Error).stack ?? err}`);
  process.exit(1);
});
