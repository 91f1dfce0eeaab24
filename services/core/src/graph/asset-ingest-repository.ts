import type { NmapHost } from '../../../discovery/src/nmap/nmap-types.js';
import type { GraphClient } from './neo4j-client.js';

/**
 * Loads parsed nmap hosts into the graph (transform → batched UNWIND load).
 * Identity (first slice): a universally administered MAC, else the IP address.
 */
export interface IngestContext {
  runId: string;
  sourceId: string;
  at: string; // ISO time of the observation
  demo?: boolean; // demo data is marked so it can be told apart and removed
}

export interface IngestCounts {
  hosts: number;
  assetsCreated: number;
  assetsUpdated: number;
  services: number;
}

interface HostRow {
  identity: string;
  ips: { ip: string; family: string }[];
  mac: string | null;
  macVendor: string | null;
  hostnames: string[];
  os: string | null;
  services: { key: string; protocol: string; port: number; state: string; name: string | null; product: string | null; version: string | null }[];
}

export function toHostRows(hosts: NmapHost[]): HostRow[] {
  const rows: HostRow[] = [];
  for (const h of hosts) {
    if (h.status !== 'up') continue;
    const ips = h.addresses.filter((a) => a.addrtype !== 'mac').map((a) => ({ ip: a.addr, family: a.addrtype }));
    const macAddr = h.addresses.find((a) => a.addrtype === 'mac');
    const mac = macAddr ? macAddr.addr.toUpperCase() : null;
    const identity = mac ? `mac:${mac}` : ips[0] ? `ip:${ips[0].ip}` : null;
    if (!identity) continue;
    rows.push({
      identity,
      ips,
      mac,
      macVendor: macAddr?.vendor ?? null,
      hostnames: h.hostnames.map((n) => n.name),
      os: h.os.matches[0]?.name ?? null,
      services: h.ports.map((p) => ({
        key: `${identity}|${p.protocol}/${p.portid}`,
        protocol: p.protocol,
        port: p.portid,
        state: p.state,
        name: p.service?.name ?? null,
        product: p.service?.product ?? null,
        version: p.service?.version ?? null,
      })),
    });
  }
  return rows;
}

export async function ingestHosts(graph: GraphClient, ctx: IngestContext, hosts: NmapHost[]): Promise<IngestCounts> {
  const rows = toHostRows(hosts);
  if (rows.length === 0) return { hosts: 0, assetsCreated: 0, assetsUpdated: 0, services: 0 };
  const res = await graph.executeWrite((tx) =>
    tx.run(
      `UNWIND $rows AS row
       MERGE (i:Interface {key: row.identity})
         ON CREATE SET i.firstSeen = datetime($at)
       SET i.lastSeen = datetime($at), i.mac = row.mac, i.macVendor = row.macVendor, i.ip = row.ips[0].ip
       WITH row, i
       OPTIONAL MATCH (existing:Asset)-[:HAS_INTERFACE]->(i)
       WITH row, i, existing, existing IS NULL AS isNew
       CALL (row, i, existing) {
         WITH row, i, existing WHERE existing IS NULL
         CREATE (a:Asset {id: randomUUID(), firstSeen: datetime($at), kind: 'unknown', status: 'up'})
         CREATE (a)-[:HAS_INTERFACE]->(i)
         RETURN a
         UNION
         WITH existing WHERE existing IS NOT NULL
         RETURN existing AS a
       }
       SET a.lastSeen = datetime($at), a.status = 'up', a.hostnames = row.hostnames, a.os = row.os,
           a.ips = [x IN row.ips | x.ip], a.mac = row.mac, a.macVendor = row.macVendor, a.demo = coalesce(a.demo, false) OR $demo,
           a.name = coalesce(a.a_name, row.hostnames[0], row.ips[0].ip, row.mac),
           a.searchText = toLower(coalesce(a.a_name, '') + ' ' + reduce(s = '', h IN row.hostnames | s + ' ' + h) + ' ' + reduce(s = '', x IN row.ips | s + ' ' + x.ip) + ' ' + coalesce(row.mac, ''))
       WITH row, a, isNew
       CALL (row, a) {
         UNWIND row.services AS svc
         MERGE (s:Service {key: svc.key})
           ON CREATE SET s.firstSeen = datetime($at)
         SET s += svc, s.lastSeen = datetime($at)
         MERGE (a)-[:HAS_SERVICE]->(s)
         RETURN count(s) AS n
       }
       RETURN sum(CASE WHEN isNew THEN 1 ELSE 0 END) AS created, sum(CASE WHEN isNew THEN 0 ELSE 1 END) AS updated, sum(n) AS services`,
      { rows, at: ctx.at, demo: ctx.demo ?? false },
    ),
  );
  const r = res[0] ?? {};
  return { hosts: rows.length, assetsCreated: Number(r.created ?? 0), assetsUpdated: Number(r.updated ?? 0), services: Number(r.services ?? 0) };
}

export interface RunStart {
  id: string;
  sourceId: string;
  kind: string;
  args?: string;
  scanner?: string;
  scannerVersion?: string;
  filename?: string;
}

/** Records a scan or import run (provenance). Idempotent: a retried job reuses its run id. */
export async function startRun(graph: GraphClient, run: RunStart): Promise<void> {
  await graph.write(
    `MERGE (src:Source {id: $run.sourceId})
     MERGE (r:ScanRun {id: $run.id})
       ON CREATE SET r.startedAt = datetime()
     SET r.kind = $run.kind, r.args = $run.args, r.scanner = $run.scanner, r.scannerVersion = $run.scannerVersion,
         r.filename = $run.filename, r.status = 'running'
     MERGE (r)-[:FROM_SOURCE]->(src)`,
    { run: { args: null, scanner: null, scannerVersion: null, filename: null, ...run } },
  );
}

export async function finishRun(graph: GraphClient, id: string, outcome: { status: 'completed' | 'incomplete' | 'failed'; counts?: IngestCounts; error?: string }): Promise<void> {
  await graph.write(
    `MATCH (r:ScanRun {id: $id})
     SET r.finishedAt = datetime(), r.status = $status, r.hosts = $hosts, r.assetsCreated = $created, r.assetsUpdated = $updated,
         r.services = $services, r.error = $error`,
    {
      id,
      status: outcome.status,
      hosts: outcome.counts?.hosts ?? 0,
      created: outcome.counts?.assetsCreated ?? 0,
      updated: outcome.counts?.assetsUpdated ?? 0,
      services: outcome.counts?.services ?? 0,
      error: outcome.error ?? null,
    },
  );
}
