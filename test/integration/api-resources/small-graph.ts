import type { NmapHost } from '../../../services/discovery/src/nmap/nmap-types.js';
import { finishRun, ingestHosts, startRun } from '../../../services/core/src/graph/asset-ingest-repository.js';
import { assertDemoAssetFacts, assetIdsByHostname, mergeConnections } from '../../../services/core/src/graph/flow-repository.js';
import type { GraphClient } from '../../../services/core/src/graph/neo4j-client.js';
import type { TestApp } from '../../helpers/app.js';

/**
 * A small network with known answers for reach and map tests:
 *
 *   laptop ─▶ web  ─▶ app ─▶ db (stores) ══flow══▶ backup
 *      │  └─▶ web2 ─┘    └─▶ files (stores)
 *      └─▶ printer                     island (stores, unconnected)
 *
 * 10.9.1.0/24: laptop, web, web2, printer · 10.9.2.0/24: app, db, files, backup · 10.9.3.0/24: island
 */
export const HOSTS: [string, string][] = [
  ['laptop', '10.9.1.10'],
  ['web', '10.9.1.11'],
  ['web2', '10.9.1.12'],
  ['printer', '10.9.1.13'],
  ['app', '10.9.2.20'],
  ['db', '10.9.2.21'],
  ['files', '10.9.2.22'],
  ['backup', '10.9.2.23'],
  ['island', '10.9.3.30'],
];

const CONNECTIONS: [string, string, number][] = [
  ['laptop', 'web', 443],
  ['laptop', 'web2', 443],
  ['laptop', 'printer', 9100],
  ['web', 'app', 8080],
  ['web2', 'app', 8080],
  ['app', 'db', 5432],
  ['app', 'files', 445],
];

/** A host with an IPv4 address and a PTR name under t.example, nothing else observed. */
export function host(name: string, ip: string): NmapHost {
  return {
    status: 'up',
    addresses: [{ addr: ip, addrtype: 'ipv4' }],
    hostnames: [{ name: `${name}.t.example`, type: 'PTR' }],
    ports: [],
    extraPorts: [],
    os: { matches: [], portsUsed: [] },
    hostScripts: [],
  };
}

export async function buildSmallGraph(graph: GraphClient): Promise<Record<string, string>> {
  await startRun(graph, { id: 'run-small-graph', sourceId: 'demo', kind: 'test' });
  const counts = await ingestHosts(graph, { runId: 'run-small-graph', sourceId: 'demo', at: new Date().toISOString(), demo: true }, HOSTS.map(([n, ip]) => host(n, ip)));
  await finishRun(graph, 'run-small-graph', { status: 'completed', counts });
  const byName = await assetIdsByHostname(graph, HOSTS.map(([n]) => n));
  const ids = Object.fromEntries(HOSTS.map(([n]) => [n, byName.get(n)!]));
  await assertDemoAssetFacts(graph, [
    { assetId: ids.db!, kind: 'database', ephiRole: 'stores' },
    { assetId: ids.files!, kind: 'server', ephiRole: 'stores' },
    { assetId: ids.island!, kind: 'server', ephiRole: 'stores' },
    { assetId: ids.laptop!, kind: 'workstation', ephiRole: 'none' },
    { assetId: ids.app!, kind: 'application' },
  ]);
  await mergeConnections(
    graph,
    CONNECTIONS.map(([a, b, port]) => ({ sourceId: ids[a]!, targetId: ids[b]!, protocol: 'tcp', port, bytes: 1000, packets: 10, source: 'test', at: new Date().toISOString() })),
  );
  return ids;
}

export async function call(t: TestApp, method: 'GET' | 'POST' | 'PATCH' | 'DELETE', url: string, role: 'viewer' | 'analyst' | 'security' | 'admin', body?: unknown) {
  const res = await t.app.inject({ method, url, headers: t.auth(role), ...(body === undefined ? {} : { payload: body as object }) });
  return { status: res.statusCode, body: res.body ? safeJson(res.body) : null, raw: res };
}

function safeJson(s: string): any {
  try {
    return JSON.parse(s);
  } catch {
    return s;
  }
}
