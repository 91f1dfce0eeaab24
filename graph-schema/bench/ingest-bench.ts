import { ingestHosts } from '../../services/core/src/graph/asset-ingest-repository.js';
import type { GraphClient } from '../../services/core/src/graph/neo4j-client.js';
import type { NmapHost } from '../../services/discovery/src/nmap/nmap-types.js';

/**
 * Ingest throughput against its own baseline, measured in the same run on the same server: a
 * raw `UNWIND … MERGE` of the same rows (host + 3 services + relationships, constraint-backed)
 * versus the full ingest path (identity resolution, provenance, subnets, change events).
 * Target: ingest ≥ 0.8× the raw rate. Uses labels of its own for the baseline and cleans up.
 */
export function syntheticHosts(n: number): NmapHost[] {
  const hosts: NmapHost[] = [];
  for (let i = 0; i < n; i++) {
    const b = [(i >> 16) & 255, (i >> 8) & 255, i & 255];
    hosts.push({
      status: 'up',
      addresses: [
        { addr: `10.${b[0]}.${b[1]}.${b[2]}`, addrtype: 'ipv4' },
        { addr: `00:1B:21:${b.map((x) => x.toString(16).padStart(2, '0').toUpperCase()).join(':')}`, addrtype: 'mac' },
      ],
      hostnames: [{ name: `host-${i}.bench.example`, type: 'PTR' }],
      ports: [22, 80, 443].map((portid) => ({ protocol: 'tcp' as const, portid, state: 'open', service: { name: 'svc', product: 'prod', version: '1.0', cpe: [] }, scripts: [] })),
      extraPorts: [],
      os: { matches: [], portsUsed: [] },
      hostScripts: [],
    });
  }
  return hosts;
}

async function timed(f: () => Promise<void>): Promise<number> {
  const t0 = performance.now();
  await f();
  return performance.now() - t0;
}

export async function runIngestBench(graph: GraphClient, n = 10_000, batch = 500) {
  const hosts = syntheticHosts(n);
  const at = new Date().toISOString();
  await graph.runAutoCommit('CREATE CONSTRAINT bench_asset_id IF NOT EXISTS FOR (x:BenchAsset) REQUIRE x.id IS UNIQUE');
  await graph.runAutoCommit('CREATE CONSTRAINT bench_service_key IF NOT EXISTS FOR (x:BenchService) REQUIRE x.key IS UNIQUE');
  const rows = hosts.map((h) => ({
    id: h.addresses[1]!.addr,
    ip: h.addresses[0]!.addr,
    name: h.hostnames[0]!.name,
    services: h.ports.map((p) => ({ key: `${h.addresses[1]!.addr}|tcp/${p.portid}`, port: p.portid, product: p.service?.product, version: p.service?.version })),
  }));
  const raw = async () => {
    for (let i = 0; i < rows.length; i += batch) {
      await graph.write(
        `UNWIND $rows AS row
         MERGE (a:BenchAsset {id: row.id}) SET a.ip = row.ip, a.name = row.name, a.lastSeen = datetime($at)
         WITH a, row UNWIND row.services AS s
         MERGE (x:BenchService {key: s.key}) SET x.port = s.port, x.product = s.product, x.version = s.version, x.lastSeen = datetime($at)
         MERGE (a)-[:BENCH_HAS]->(x)`,
        { rows: rows.slice(i, i + batch), at },
      );
    }
  };
  const ours = async () => {
    for (let i = 0; i < hosts.length; i += batch) await ingestHosts(graph, { runId: 'bench', sourceId: 'nmap', at }, hosts.slice(i, i + batch));
  };
  const rawFresh = await timed(raw);
  const rawAgain = await timed(raw);
  const ingestFresh = await timed(ours);
  const ingestAgain = await timed(ours);
  for (;;) {
    const r = await graph.write('MATCH (n) WHERE n:BenchAsset OR n:BenchService WITH n LIMIT 10000 DETACH DELETE n RETURN count(*) AS n');
    if (Number(r[0]?.n ?? 0) === 0) break;
  }
  await graph.runAutoCommit('DROP CONSTRAINT bench_asset_id IF EXISTS');
  await graph.runAutoCommit('DROP CONSTRAINT bench_service_key IF EXISTS');
  return {
    hosts: n,
    batch,
    rawFreshMs: Math.round(rawFresh),
    rawAgainMs: Math.round(rawAgain),
    ingestFreshMs: Math.round(ingestFresh),
    ingestAgainMs: Math.round(ingestAgain),
    ratioFresh: +(rawFresh / ingestFresh).toFixed(2),
    ratioAgain: +(rawAgain / ingestAgain).toFixed(2),
  };
}
