/**
 * The raw-driver baselines. This is the one place outside services/core/src/graph/neo4j-client.ts
 * that imports neo4j-driver, on purpose: a baseline must not go through the product's client,
 * so the ratio shows what the product's own layers (identity resolution, provenance,
 * conversion to plain JSON) cost. Nothing in the product imports this file.
 */
import neo4j, { type Driver } from 'neo4j-driver';
import { hostToObservation } from '../services/core/src/domain/observation.js';
import type { NmapHost } from '../services/discovery/src/nmap/nmap-types.js';

export function rawDriver(uri: string, user: string, password: string): Driver {
  return neo4j.driver(uri, neo4j.auth.basic(user, password), { maxConnectionPoolSize: 60, disableLosslessIntegers: true, logging: { level: 'error', logger: () => {} } });
}

export interface RawRow {
  identity: string;
  ip: string | null;
  mac: string | null;
  macVendor: string | null;
  hostnames: string[];
  ips: string[];
  os: string | null;
  services: { key: string; protocol: string; port: number; state: string; name: string | null; product: string | null; version: string | null }[];
}

/** The same transform any ingester needs: identity = MAC when seen, else the first IP. */
export function rawRows(hosts: NmapHost[]): RawRow[] {
  const rows: RawRow[] = [];
  for (const h of hosts) {
    if (h.status !== 'up') continue;
    const ips = h.addresses.filter((a) => a.addrtype !== 'mac').map((a) => a.addr);
    const m = h.addresses.find((a) => a.addrtype === 'mac');
    const mac = m ? m.addr.toUpperCase() : null;
    const identity = mac ? `mac:${mac}` : ips[0] ? `ip:${ips[0]}` : null;
    if (!identity) continue;
    rows.push({
      identity,
      ip: ips[0] ?? null,
      mac,
      macVendor: m?.vendor ?? null,
      hostnames: h.hostnames.map((n) => n.name),
      ips,
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

/** The link to the interface and the services of a row: the same in both raw baselines. */
const RAW_SERVICES_TAIL = `MERGE (a)-[:HAS_INTERFACE]->(i)
WITH a, row
CALL (a, row) {
  UNWIND row.services AS svc
  MERGE (s:Service {key: svc.key})
    ON CREATE SET s.firstSeen = datetime($at)
  SET s += svc, s.lastSeen = datetime($at)
  MERGE (a)-[:HAS_SERVICE]->(s)
  RETURN count(*) AS n
}
RETURN sum(n) AS services`;

/**
 * UNWIND … MERGE of the same rows into the same labels, keys and indexes (Interface.key,
 * Asset.id, Service.key are constraint-backed by the product's migrations): the floor any
 * ingester on this server pays. The asset id is the identity here (no resolution step).
 */
const RAW_INGEST = `
UNWIND $rows AS row
MERGE (i:Interface {key: row.identity})
  ON CREATE SET i.firstSeen = datetime($at)
SET i.lastSeen = datetime($at), i.ip = row.ip, i.mac = row.mac, i.macVendor = row.macVendor
MERGE (a:Asset {id: row.identity})
  ON CREATE SET a.firstSeen = datetime($at), a.kind = 'unknown'
SET a.lastSeen = datetime($at), a.status = 'up', a.ips = row.ips, a.mac = row.mac, a.macVendor = row.macVendor,
    a.hostnames = row.hostnames, a.os = row.os, a.name = coalesce(row.hostnames[0], row.ip, row.mac)
${RAW_SERVICES_TAIL}`;

/** Runs one ingest statement batch by batch, each batch its own auto-committed query. */
async function inBatches(driver: Driver, cypher: string, rows: unknown[], batch: number, at: string): Promise<number> {
  let services = 0;
  for (let i = 0; i < rows.length; i += batch) {
    const res = await driver.executeQuery(cypher, { rows: rows.slice(i, i + batch), at }, { database: 'neo4j' });
    services += Number(res.records[0]?.get('services') ?? 0);
  }
  return services;
}

export const rawIngest = (driver: Driver, rows: RawRow[], batch: number, at: string): Promise<number> => inBatches(driver, RAW_INGEST, rows, batch, at);

/** Drops nulls and empty lists, as any loader would before `SET … +=` (Neo4j stores neither). */
function compact(o: Record<string, unknown>): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(o)) if (v !== null && v !== undefined && !(Array.isArray(v) && v.length === 0)) out[k] = v;
  return out;
}

export interface FullRow {
  identity: string;
  ip: string | null;
  props: Record<string, unknown>;
  iface: Record<string, unknown>;
  services: Record<string, unknown>[];
}

/**
 * The same rows the product stores: every observed property of the host and of each service,
 * from the same field extraction (`hostToObservation`), but with none of the product's own
 * logic — identity is the MAC or first IP, no lookup, no provenance, no change events, no
 * derived search or grouping fields.
 */
export function fullRows(hosts: NmapHost[]): FullRow[] {
  const rows: FullRow[] = [];
  for (const h of hosts) {
    if (h.status !== 'up') continue;
    const o = hostToObservation(h);
    if (!o) continue;
    const identity = o.mac ? `mac:${o.mac}` : o.ips[0] ? `ip:${o.ips[0]}` : null;
    if (!identity) continue;
    const { services, portsScanned: _p, assetTag: _t, serial: _s, cloudId: _c, osKind, ...host } = o;
    rows.push({
      identity,
      ip: o.ips[0] ?? null,
      props: compact({ ...host, o_kind: osKind }),
      iface: compact({ ip: o.ips[0] ?? null, mac: o.mac, macKind: o.macKind, macVendor: o.macVendor }),
      services: services.map((x) => ({ ...compact({ ...x }), key: `${identity}|${x.protocol}/${x.port}` })),
    });
  }
  return rows;
}

const RAW_INGEST_FULL = `
UNWIND $rows AS row
MERGE (i:Interface {key: row.identity})
  ON CREATE SET i.firstSeen = datetime($at)
SET i += row.iface, i.lastSeen = datetime($at)
MERGE (a:Asset {id: row.identity})
  ON CREATE SET a.firstSeen = datetime($at), a.kind = 'unknown'
SET a += row.props, a.lastSeen = datetime($at), a.status = 'up',
    a.name = coalesce(row.props.fqdn, row.props.hostnames[0], row.ip, row.props.mac)
${RAW_SERVICES_TAIL}`;

/** UNWIND … MERGE of the full rows. */
export const rawIngestFull = (driver: Driver, rows: FullRow[], batch: number, at: string): Promise<number> => inBatches(driver, RAW_INGEST_FULL, rows, batch, at);

/**
 * Reach baseline: the distinct ePHI-bearing assets (role stores/processes, or the target of an
 * ePHI flow, as the product defines it) within 6 hops over observed connections and ePHI flows.
 * The set only: no shortest paths, no ordering, no names.
 */
export const RAW_REACH = `
MATCH (x:Asset {id: $id})
OPTIONAL MATCH (x)-[:CONNECTS_TO|EPHI_FLOW*1..6]->(s:Asset)
WHERE s <> x AND (s.ephiRole IN ['stores', 'processes'] OR EXISTS { ()-[:EPHI_FLOW]->(s) })
RETURN count(DISTINCT s) AS stores`;

/** Overview baseline: group + count computed on the fly over all assets and connections. */
export const RAW_OVERVIEW_GROUPS = `
MATCH (a:Asset) RETURN a.subnetCidr AS grp, count(*) AS assets, sum(CASE WHEN a.ephiRole = 'stores' THEN 1 ELSE 0 END) AS stores`;
export const RAW_OVERVIEW_EDGES = `
MATCH (a:Asset)-[c:CONNECTS_TO]->(b:Asset) WHERE a.subnetCidr <> b.subnetCidr
RETURN a.subnetCidr AS src, b.subnetCidr AS dst, count(*) AS n`;
export const RAW_GROUP_EXPAND = `
MATCH (a:Asset {subnetCidr: $cidr})
OPTIONAL MATCH (a)-[c:CONNECTS_TO]->(b:Asset {subnetCidr: $cidr})
RETURN a.id AS id, a.name AS name, a.kind AS kind, collect(b.id) AS targets`;
/** `a.name IS NOT NULL` lets the planner walk the Asset(name) range index in order and stop at 50. */
export const RAW_ASSET_PAGE = `
MATCH (a:Asset) WHERE a.name IS NOT NULL
RETURN a.id AS id, a.name AS name, a.kind AS kind, a.ips AS ips, a.status AS status, a.lastSeen AS lastSeen
ORDER BY a.name LIMIT 50`;
