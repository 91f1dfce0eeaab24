import type { Job } from 'bullmq';
import { afterAll, beforeAll, beforeEach } from 'vitest';
import { wipeInventory } from '../../../services/core/src/graph/maintenance-repository.js';
import { testGraph } from '../../helpers/services.js';
import { fileURLToPath } from 'node:url';
import type { GraphClient } from '../../../services/core/src/graph/neo4j-client.js';
import type { NmapImportJobData } from '../../../services/discovery/src/imports/nmap-import.js';
import { processNmapImport, type ImportResult } from '../../../services/discovery/src/workers/import-worker.js';
import type { Observation } from '../../../services/core/src/domain/observation.js';

export const FIXTURES = new URL('../../../../shared/fixtures/nmap/', import.meta.url);
export const fixturePath = (p: string) => fileURLToPath(new URL(p, FIXTURES));

let seq = 0;
/** Runs the import worker's processing function on a file, as the queue would. */
export async function importFile(graph: GraphClient, path: string, sourceId = 'nmap-import'): Promise<ImportResult> {
  const job = {
    id: `graph-test-${process.pid}-${++seq}-${Date.now()}`,
    data: { kind: 'nmap', path, sourceId, filename: path.split('/').pop() } satisfies NmapImportJobData,
    updateProgress: async () => {},
  } as unknown as Job<NmapImportJobData>;
  return processNmapImport(job, graph);
}

export const importFixture = (graph: GraphClient, name: string) => importFile(graph, fixturePath(name));

/** Every Asset/Interface/Service/Subnet/ChangeEvent/IdentityConflict with all properties, and their relationships, sorted. */
export async function dumpGraph(graph: GraphClient): Promise<{ nodes: string[]; rels: string[] }> {
  const nodes = await graph.read(
    `MATCH (n) WHERE n:Asset OR n:Interface OR n:Service OR n:Subnet OR n:ChangeEvent OR n:IdentityConflict
     RETURN labels(n) AS labels, properties(n) AS props`,
  );
  const rels = await graph.read(
    `MATCH (x)-[r]->(y) WHERE (x:Asset OR x:Interface OR x:Service OR x:ChangeEvent OR x:IdentityConflict) AND NOT y:ScanRun
     RETURN coalesce(x.id, x.key) AS from, type(r) AS type, properties(r) AS props, coalesce(y.id, y.key, y.cidr) AS to`,
  );
  const stable = (v: unknown) => JSON.stringify(v, (_k, val) => (val && typeof val === 'object' && !Array.isArray(val) ? Object.fromEntries(Object.entries(val).sort()) : val));
  return { nodes: nodes.map(stable).sort(), rels: rels.map(stable).sort() };
}

export async function counts(graph: GraphClient): Promise<Record<string, number>> {
  const rows = await graph.read(
    `CALL () { MATCH (a:Asset) WHERE NOT a:Retired RETURN 'assets' AS k, count(a) AS n
       UNION ALL MATCH (i:Interface) RETURN 'interfaces' AS k, count(i) AS n
       UNION ALL MATCH (s:Service) RETURN 'services' AS k, count(s) AS n
       UNION ALL MATCH (c:ChangeEvent) RETURN 'changes' AS k, count(c) AS n
       UNION ALL MATCH (c:IdentityConflict) RETURN 'conflicts' AS k, count(c) AS n }
     RETURN k, n`,
  );
  return Object.fromEntries(rows.map((r) => [String(r.k), Number(r.n)]));
}

export async function assetByIp(graph: GraphClient, ip: string): Promise<Record<string, unknown>[]> {
  return graph.read('MATCH (a:Asset) WHERE $ip IN a.ips AND NOT a:Retired RETURN properties(a) AS a ORDER BY a.firstSeen', { ip }).then((r) => r.map((x) => x.a as Record<string, unknown>));
}

/** One host as an importer hands it over: an IPv4 address, nothing else observed but what `extra` gives. */
export function observation(ip: string, extra: Partial<Observation> = {}): Observation {
  return {
    ips: [ip],
    mac: null,
    macKind: null,
    macVendor: null,
    hostnames: [],
    hostnameTypes: [],
    fqdn: null,
    os: null,
    osAccuracy: null,
    osMatches: null,
    osKind: null,
    uptimeSeconds: null,
    lastBoot: null,
    distance: null,
    hostScripts: null,
    portsScanned: true,
    assetTag: null,
    serial: null,
    cloudId: null,
    services: [],
    ...extra,
  } as unknown as Observation;
}

/** A graph client for the enclosing describe block, with the inventory wiped before each test. */
export function useWipedGraph(): { readonly graph: GraphClient } {
  const ctx = {} as { graph: GraphClient };
  beforeAll(async () => {
    ctx.graph = testGraph();
    await ctx.graph.waitUntilReady();
  });
  beforeEach(async () => wipeInventory(ctx.graph));
  afterAll(async () => ctx.graph.close());
  return ctx;
}
