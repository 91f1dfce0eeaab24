import { randomUUID, createHash } from 'node:crypto';
import type { NmapHost } from '../../../discovery/src/nmap/nmap-types.js';
import { diffObservation, changeEvent, type ChangeEventRow, type PriorState } from '../domain/changes.js';
import { IdentityIndex, type KnownAsset, type Resolution } from '../domain/identity.js';
import { isStrongMac } from '../domain/mac.js';
import { hostToObservation, type Observation, type ScannedPorts, type ServiceObservation } from '../domain/observation.js';
import { ipFamily, subnetOf } from '../domain/subnet.js';
import type { GraphClient, Row, Tx } from './neo4j-client.js';

/**
 * Loads parsed hosts into the graph: transform (domain/observation) → resolve identity
 * (domain/identity) → derive change events (domain/changes) → one batched UNWIND load.
 *
 * The whole batch runs in one managed write transaction that first takes the write lock of the
 * single (:IngestLock) node. Concurrent imports therefore resolve identities one batch at a
 * time against committed data, so two overlapping files can never both create "the" asset for
 * one MAC. Everything is recomputed inside the transaction, so the driver's retry is safe.
 *
 * Discovery writes observed properties only; `a_*` (asserted) properties are never touched here.
 */
export interface IngestContext {
  runId: string;
  sourceId: string;
  at: string; // ISO time of the observation
  demo?: boolean; // demo data is marked so it can be told apart and removed
  /** Ports the run probed per protocol; a port inside them that a host no longer reports is closed. */
  scanned?: ScannedPorts;
  /** How long an IP address alone keeps identifying the asset last seen on it (default 24 h). */
  ipWindowHours?: number;
}

export interface IngestCounts {
  hosts: number;
  assetsCreated: number;
  assetsUpdated: number;
  services: number;
  changes?: number;
  conflicts?: number;
}

interface AssetRow {
  id: string;
  isNew: boolean;
  /** False when this observation is older than what the graph already has: provenance only. */
  fresh: boolean;
  /** observationDigest of what this row was planned from. */
  digest: string;
  props: Record<string, unknown>;
  search: string;
  interfaces: Record<string, unknown>[];
  services: { key: string; hash: string; props: Record<string, unknown> }[];
}

interface Prior extends PriorState {
  lastSeen: string | null;
  /** The asset's `obsDigest`: the digest of the last fresh observation written to it, if known. */
  digest?: string | null;
  /** Keys of the interfaces the asset already has (their HAS_INTERFACE links exist). */
  interfaceKeys?: string[];
  /** The services the asset already has, by key: what the last write stored and when. */
  serviceState?: Map<string, KnownService>;
}

interface KnownService {
  hash: string | null;
  firstSeen: string | null;
  lastSeen: string | null;
  seenBy: string[];
}

/** A stable digest of a service's observed properties, stored as `obsHash` to skip unchanged writes. */
export function serviceHash(props: Record<string, unknown>): string {
  return createHash('sha1').update(JSON.stringify(props)).digest('base64url').slice(0, 16);
}

const LOCK_ID = 'asset-identity';

export function interfaceKey(assetId: string, mac: string | null, ip: string | null): string {
  return `${assetId}|${mac ?? '-'}|${ip ?? '-'}`;
}

export function serviceKey(assetId: string, protocol: string, port: number): string {
  return `${assetId}|${protocol}/${port}`;
}

function compact(o: Record<string, unknown>): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(o)) {
    if (v === null || v === undefined) continue;
    if (Array.isArray(v) && v.length === 0) continue;
    out[k] = v;
  }
  return out;
}

/** Two records of one asset in one batch (its IPv4 and IPv6 entries) become one observation. */
function mergeObservations(a: Observation, b: Observation): Observation {
  const services = new Map<string, ServiceObservation>();
  for (const s of [...a.services, ...b.services]) services.set(`${s.protocol}/${s.port}`, s);
  const names = [...a.hostnames];
  const types = [...a.hostnameTypes];
  b.hostnames.forEach((n, i) => {
    if (!names.some((x, j) => x === n && types[j] === b.hostnameTypes[i])) {
      names.push(n);
      types.push(b.hostnameTypes[i] ?? '');
    }
  });
  const pick = <K extends keyof Observation>(k: K): Observation[K] => (b[k] ?? a[k]) as Observation[K];
  return {
    ...a,
    ips: [...new Set([...a.ips, ...b.ips])],
    mac: pick('mac'),
    macKind: pick('macKind'),
    macVendor: pick('macVendor'),
    hostnames: names,
    hostnameTypes: types,
    fqdn: pick('fqdn'),
    os: pick('os'),
    osAccuracy: pick('osAccuracy'),
    osMatches: pick('osMatches'),
    osKind: pick('osKind'),
    uptimeSeconds: pick('uptimeSeconds'),
    lastBoot: pick('lastBoot'),
    distance: pick('distance'),
    hostScripts: pick('hostScripts'),
    portsScanned: a.portsScanned || b.portsScanned,
    services: [...services.values()],
  };
}

const LOCK_AND_LOOKUP = `CYPHER replan=skip MERGE (l:IngestLock {id: $lock}) SET l.seq = coalesce(l.seq, 0) + 1
     WITH l
     CALL (l) {
       CALL () {
         UNWIND $macs AS m MATCH (i:Interface {mac: m}) RETURN i
         UNION
         UNWIND $ips AS ip MATCH (i:Interface {ip: ip}) RETURN i
       }
       MATCH (a:Asset)-[:HAS_INTERFACE]->(i) WHERE NOT a:Retired
       RETURN a
       UNION
       UNWIND $fqdns AS f CALL (f) { MATCH (a:Asset {fqdn: f}) RETURN a } WITH a WHERE NOT a:Retired RETURN a
       UNION
       UNWIND $tags AS t CALL (t) { MATCH (a:Asset {assetTag: t}) RETURN a UNION MATCH (a:Asset {serial: t}) RETURN a UNION MATCH (a:Asset {cloudId: t}) RETURN a }
       WITH a WHERE NOT a:Retired RETURN a
     }
     RETURN a.id AS id, a.assetTag AS assetTag, a.serial AS serial, a.cloudId AS cloudId, a.fqdn AS fqdn,
            a.os AS os, coalesce(a.ips, []) AS ips, a.mac AS mac, a.status AS status, toString(a.lastSeen) AS lastSeen,
            a.obsDigest AS digest,
            [(a)-[:HAS_INTERFACE]->(i:Interface) | {key: i.key, ip: i.ip, mac: i.mac, lastSeen: toString(i.lastSeen)}] AS interfaces`;

// The services of the assets whose observation changed (or whose digest is unknown): what change
// detection compares with and what the service statements need to skip unchanged writes.
const PRIOR_SERVICES = `CYPHER replan=skip
UNWIND $ids AS id
MATCH (a:Asset {id: id})
RETURN a.id AS id,
       [(a)-[:HAS_SERVICE]->(s:Service) | {key: s.key, protocol: s.protocol, port: s.port, state: s.state, product: s.product, version: s.version,
                                           hash: s.obsHash, firstSeen: toString(s.firstSeen), lastSeen: toString(s.lastSeen), seenBy: coalesce(s.seenBy, [])}] AS services`;

/**
 * Takes the identity lock and reads, in one statement, every asset an observation of the batch
 * could be (by MAC, IP, FQDN or tag) with what change detection needs. Taking the lock first
 * means the read sees everything committed by imports that ran before this batch. Dates come
 * back as ISO strings (only compared through Date.parse here), which spares the driver building
 * a temporal object for every service's first and last sighting.
 */
async function lockAndLoadKnown(tx: Tx, obs: Observation[]): Promise<{ known: KnownAsset[]; prior: Map<string, Prior> }> {
  const macs = [...new Set(obs.map((o) => o.mac).filter((m): m is string => !!m))];
  const ips = [...new Set(obs.flatMap((o) => o.ips))];
  const fqdns = [...new Set(obs.map((o) => o.fqdn).filter((f): f is string => !!f))];
  const tags = [...new Set(obs.flatMap((o) => [o.assetTag, o.serial, o.cloudId]).filter((t): t is string => !!t))];
  const rows = await tx.run(LOCK_AND_LOOKUP, { lock: LOCK_ID, macs, ips, fqdns, tags });
  const known: KnownAsset[] = [];
  const prior = new Map<string, Prior>();
  for (const r of rows as (Row & Prior & KnownAsset)[]) {
    known.push({ id: r.id, assetTag: r.assetTag, serial: r.serial, cloudId: r.cloudId, fqdn: r.fqdn, interfaces: r.interfaces });
    prior.set(r.id, {
      os: r.os,
      ips: r.ips,
      mac: r.mac,
      status: r.status,
      services: [],
      lastSeen: r.lastSeen,
      digest: (r.digest as string | null) ?? null,
      interfaceKeys: (r.interfaces as unknown as { key: string }[]).map((i) => i.key),
    });
  }
  return { known, prior };
}

/** Completes the prior state of the given assets with their services (see PRIOR_SERVICES). */
async function loadPriorServices(tx: Tx, prior: Map<string, Prior>, ids: string[]): Promise<void> {
  if (ids.length === 0) return;
  const rows = await tx.run(PRIOR_SERVICES, { ids });
  for (const r of rows) {
    const p = prior.get(String(r.id));
    if (!p) continue;
    const services = r.services as unknown as (KnownService & PriorState['services'][number] & { key: string })[];
    p.services = services;
    p.serviceState = new Map(services.map((x) => [x.key, { hash: x.hash ?? null, firstSeen: x.firstSeen ?? null, lastSeen: x.lastSeen ?? null, seenBy: x.seenBy ?? [] }]));
  }
}

/**
 * A digest of everything an ingest derives an asset's observed state from: the observation, the
 * source, the ports the run probed and the demo flag. Stored as `obsDigest` when the asset is
 * written from a fresh observation; a later observation with the same digest (a rescan that saw
 * nothing new) only moves dates. Other writers of observed state (merge, split) remove it.
 */
export function observationDigest(obs: Observation, ctx: IngestContext): string {
  return createHash('sha1').update(JSON.stringify([ctx.sourceId, ctx.demo ?? false, ctx.scanned ?? {}, obs])).digest('base64url').slice(0, 22);
}

interface Plan {
  rows: AssetRow[];
  events: ChangeEventRow[];
  conflicts: { id: string; assetIds: string[]; chosenAssetId: string; keys: string; observed: string }[];
}

/** Pure planning step: decides, for every observation, which asset it is and what changed. */
interface Resolved {
  /** Per asset: its (merged) observation, how it resolved, and the observation's digest once computed. */
  byAsset: Map<string, { obs: Observation; res: Resolution; isNew: boolean; digest?: string }>;
  conflicts: Plan['conflicts'];
}

/** Decides, for every observation, which asset it is (merging two records of one asset). */
export function resolveObservations(observations: Observation[], known: KnownAsset[], prior: Map<string, Prior>, ctx: IngestContext, newId: () => string = randomUUID): Resolved {
  const index = new IdentityIndex(known, { ipWindowMs: (ctx.ipWindowHours ?? 24) * 3_600_000 });
  const byAsset = new Map<string, { obs: Observation; res: Resolution; isNew: boolean }>();
  const conflicts: Plan['conflicts'] = [];
  for (const o of observations) {
    const res = index.resolve(o, ctx.at);
    const isNew = res.assetId === null;
    const id = res.assetId ?? newId();
    index.record(id, o, ctx.at);
    const seen = byAsset.get(id);
    if (seen) seen.obs = mergeObservations(seen.obs, o);
    else byAsset.set(id, { obs: o, res, isNew: isNew && !prior.has(id) });
    if (res.conflict) {
      const assetIds = [...new Set(res.conflict.map((c) => c.assetId))].sort();
      const keys = res.conflict.map((c) => `${c.key}=${c.value}→${c.assetId}`).sort();
      conflicts.push({
        id: 'idc-' + createHash('sha256').update(keys.join('|')).digest('hex').slice(0, 24),
        assetIds,
        chosenAssetId: id,
        keys: JSON.stringify(res.conflict),
        observed: JSON.stringify({ ips: o.ips, mac: o.mac, fqdn: o.fqdn, hostnames: o.hostnames, assetTag: o.assetTag, serial: o.serial }),
      });
    }
  }
  return { byAsset, conflicts };
}

/** Pure planning step: decides, for every resolved asset, what changed and what to write. */
export function planRows({ byAsset, conflicts }: Resolved, prior: Map<string, Prior>, ctx: IngestContext): Plan {
  const rows: AssetRow[] = [];
  const events: ChangeEventRow[] = [];
  for (const [id, { obs, res, isNew, digest }] of byAsset) {
    const p = prior.get(id) ?? null;
    const fresh = !p?.lastSeen || Date.parse(ctx.at) >= Date.parse(p.lastSeen);
    const mine = fresh ? diffObservation(id, p, obs, { at: ctx.at, scanned: ctx.scanned ?? {}, matchedBy: res.matchedBy }) : [];
    events.push(...mine);
    // An address family this observation does not carry keeps its last known address.
    const families = new Set(obs.ips.map(ipFamily));
    const ips = [...obs.ips, ...(p?.ips ?? []).filter((ip) => !families.has(ipFamily(ip)))];
    const services = obs.services.map((s) => {
      const props = compact({ ...s, scriptIds: s.scriptIds });
      return { key: serviceKey(id, s.protocol, s.port), hash: serviceHash(props), props };
    });
    // Ports inside the scanned range that the host stopped reporting are closed now.
    for (const e of mine) {
      if (e.type !== 'port-closed') continue;
      const d = JSON.parse(e.detail) as { port: number; protocol: string; after: string };
      if (d.after !== 'not-reported') continue;
      const props = { protocol: d.protocol, port: d.port, state: 'closed', reason: 'not-reported' };
      services.push({ key: serviceKey(id, d.protocol, d.port), hash: serviceHash(props), props });
    }
    const ifaces = (obs.ips.length ? obs.ips : [null]).map((ip) =>
      compact({
        key: interfaceKey(id, obs.mac, ip),
        ip,
        family: ip ? ipFamily(ip) : null,
        mac: obs.mac,
        macKind: obs.macKind,
        macVendor: obs.macVendor,
        subnet: ip ? subnetOf(ip) : null,
      }),
    );
    const props = compact({
      ips,
      mac: obs.mac ?? p?.mac,
      macVendor: obs.macVendor,
      macKind: obs.macKind,
      hostnames: obs.hostnames,
      hostnameTypes: obs.hostnameTypes,
      fqdn: obs.fqdn,
      os: obs.os,
      osAccuracy: obs.osAccuracy,
      osMatches: obs.osMatches,
      o_kind: obs.osKind,
      uptimeSeconds: obs.uptimeSeconds,
      lastBoot: obs.lastBoot,
      distance: obs.distance,
      hostScripts: obs.hostScripts,
      subnetCidr: ips[0] ? subnetOf(ips[0]) : null,
      identityKey: res.matchedBy ?? (isStrongMac(obs.mac) ? 'mac' : obs.fqdn ? 'fqdn' : 'ip'),
    });
    const search = [...obs.hostnames, ...ips, obs.mac ?? '', obs.macVendor ?? '', obs.os ?? ''].join(' ').toLowerCase();
    rows.push({ id, isNew, fresh, digest: digest ?? observationDigest(obs, ctx), props, search, interfaces: ifaces, services });
  }
  for (const c of conflicts) {
    events.push(changeEvent('identity-conflict', c.chosenAssetId, ctx.at, c.id, `Identity conflict between ${c.assetIds.length} assets`, { conflictId: c.id, assetIds: c.assetIds }));
  }
  return { rows, events, conflicts };
}

// An asset the identity lookup did not find is new, and so is everything keyed under its fresh id
// (interfaces, services, its change events): one statement CREATEs the lot, with every property
// computed beforehand, instead of MERGEing each part and then comparing it with itself.
// Safe because the batch holds the identity lock and the ids are new random UUIDs.
const CREATE_ASSETS = `CYPHER replan=skip
MERGE (src:Source {id: $sourceId})
WITH src, datetime($at) AS at
UNWIND $rows AS row
CREATE (a:Asset)
SET a = row.props, a.firstSeen = at, a.lastSeen = at, a.lastRunId = $runId
CREATE (a)-[:SEEN_BY {firstSeen: at, lastSeen: at, lastRunId: $runId}]->(src)
WITH src, at, row, a
CALL (src, at, row, a) {
  UNWIND row.interfaces AS ifc
  CREATE (i:Interface)
  SET i = ifc.props, i.firstSeen = at, i.lastSeen = at
  CREATE (a)-[:HAS_INTERFACE]->(i)
  CREATE (i)-[:SEEN_BY {firstSeen: at, lastSeen: at, lastRunId: $runId}]->(src)
  WITH i, ifc WHERE ifc.subnet IS NOT NULL
  MATCH (sn:Subnet {cidr: ifc.subnet})
  CREATE (i)-[:IN_SUBNET]->(sn)
}
CALL (at, row, a) {
  UNWIND row.services AS svc
  CREATE (s:Service)
  SET s = svc.props, s.key = svc.key, s.obsHash = svc.hash, s.open = svc.props.state = 'open',
      s.firstSeen = at, s.lastSeen = at, s.lastRunId = $runId, s.seenBy = [$sourceId]
  CREATE (a)-[:HAS_SERVICE]->(s)
}
CALL (row) {
  UNWIND row.events AS e
  CREATE (c:ChangeEvent {id: e.id, type: e.type, assetId: e.assetId, summary: e.summary, detail: e.detail,
                         at: datetime(e.at), runId: $runId, sourceId: $sourceId})
}`;

// Flat UNWIND statements (assets, subnets, interfaces, services) rather than one with per-row
// subqueries: the same writes, planned as simple index-backed MERGE pipelines. Every SET sits
// behind a condition, so a rescan that sees what the graph already holds writes only the
// moved-forward lastSeen and provenance: a SET of an unchanged value still locks and costs.
// Interfaces and services the asset already has (known from the lock-and-load read in the same
// transaction) skip the MERGE of their HAS_* relationship and subnet link.
const LOAD_ASSETS = `CYPHER replan=skip
MERGE (src:Source {id: $sourceId})
WITH src, datetime($at) AS at
UNWIND $rows AS row
MERGE (a:Asset {id: row.id})
  ON CREATE SET a.firstSeen = at, a.lastSeen = at, a.status = 'up', a.kind = 'unknown',
                a.ephiRole = 'unknown', a.isAi = false, a.demo = $demo, a.lastRunId = $runId
WITH src, at, row, a,
     row.fresh AND any(k IN keys(row.props) WHERE a[k] IS NULL OR a[k] <> row.props[k]) AS changed
FOREACH (_ IN CASE WHEN a.firstSeen > at THEN [1] ELSE [] END | SET a.firstSeen = at)
FOREACH (_ IN CASE WHEN a.demo IS NULL OR ($demo AND NOT a.demo) THEN [1] ELSE [] END | SET a.demo = coalesce(a.demo, false) OR $demo)
FOREACH (_ IN CASE WHEN changed THEN [1] ELSE [] END |
  SET a += row.props,
      a.name = coalesce(a.a_name, row.props.fqdn, row.props.hostnames[0], a.fqdn, a.hostnames[0], row.props.ips[0], row.props.mac, a.id),
      a.kind = coalesce(a.a_kind, row.props.o_kind, 'unknown'),
      a.ephiRole = coalesce(a.a_ephiRole, 'unknown'),
      a.searchText = toLower(coalesce(a.a_name, '') + ' ' + coalesce(a.a_assetTag, '') + ' ' + coalesce(a.a_serial, '') + ' ' + row.search)
)
FOREACH (_ IN CASE WHEN row.fresh AND a.lastSeen < at THEN [1] ELSE [] END | SET a.lastSeen = at, a.lastRunId = $runId)
FOREACH (_ IN CASE WHEN row.fresh AND (a.lastRunId IS NULL OR a.lastSeen IS NULL) THEN [1] ELSE [] END | SET a.lastRunId = coalesce(a.lastRunId, $runId), a.lastSeen = coalesce(a.lastSeen, at))
FOREACH (_ IN CASE WHEN row.fresh AND coalesce(a.status, '') <> 'up' THEN [1] ELSE [] END | SET a.status = 'up')
FOREACH (_ IN CASE WHEN row.fresh AND coalesce(a.obsDigest, '') <> row.digest THEN [1] ELSE [] END | SET a.obsDigest = row.digest)
MERGE (a)-[sb:SEEN_BY]->(src)
  ON CREATE SET sb.firstSeen = at, sb.lastSeen = at, sb.lastRunId = $runId
FOREACH (_ IN CASE WHEN sb.lastSeen < at THEN [1] ELSE [] END | SET sb.lastSeen = at, sb.lastRunId = $runId)
FOREACH (_ IN CASE WHEN sb.firstSeen > at THEN [1] ELSE [] END | SET sb.firstSeen = at)`;

const LOAD_SUBNETS = `CYPHER replan=skip
UNWIND $subnets AS x
MERGE (sn:Subnet {cidr: x.cidr}) ON CREATE SET sn.family = x.family, sn.derived = true`;

const INTERFACE_TAIL = `
WITH src, at, ifc, i,
     coalesce(i.ip, '') <> coalesce(ifc.ip, '') OR coalesce(i.family, '') <> coalesce(ifc.family, '') OR
     coalesce(i.mac, '') <> coalesce(ifc.mac, '') OR coalesce(i.macKind, '') <> coalesce(ifc.macKind, '') OR
     (ifc.macVendor IS NOT NULL AND coalesce(i.macVendor, '') <> ifc.macVendor) AS changed
FOREACH (_ IN CASE WHEN changed THEN [1] ELSE [] END |
  SET i.ip = ifc.ip, i.family = ifc.family, i.mac = ifc.mac, i.macKind = ifc.macKind, i.macVendor = coalesce(ifc.macVendor, i.macVendor))
FOREACH (_ IN CASE WHEN i.firstSeen > at THEN [1] ELSE [] END | SET i.firstSeen = at)
FOREACH (_ IN CASE WHEN i.lastSeen < at THEN [1] ELSE [] END | SET i.lastSeen = at)
MERGE (i)-[sb:SEEN_BY]->(src)
  ON CREATE SET sb.firstSeen = at, sb.lastSeen = at, sb.lastRunId = $runId
FOREACH (_ IN CASE WHEN sb.lastSeen < at THEN [1] ELSE [] END | SET sb.lastSeen = at, sb.lastRunId = $runId)
FOREACH (_ IN CASE WHEN sb.firstSeen > at THEN [1] ELSE [] END | SET sb.firstSeen = at)`;

const LOAD_INTERFACES = `CYPHER replan=skip
MATCH (src:Source {id: $sourceId})
WITH src, datetime($at) AS at
UNWIND $ifaces AS ifc
MATCH (a:Asset {id: ifc.assetId})
MERGE (i:Interface {key: ifc.key})
  ON CREATE SET i.firstSeen = at, i.lastSeen = at
MERGE (a)-[:HAS_INTERFACE]->(i)
WITH src, at, ifc, i
OPTIONAL MATCH (sn:Subnet {cidr: ifc.subnet})
FOREACH (x IN CASE WHEN sn IS NULL THEN [] ELSE [sn] END | MERGE (i)-[:IN_SUBNET]->(x))
${INTERFACE_TAIL}`;

const LOAD_KNOWN_INTERFACES = `CYPHER replan=skip
MATCH (src:Source {id: $sourceId})
WITH src, datetime($at) AS at
UNWIND $ifaces AS ifc
MATCH (i:Interface {key: ifc.key})
${INTERFACE_TAIL}`;

// Service provenance lives on the Service (seenBy: the sources that reported it; lastRunId: the
// run that last moved lastSeen forward) rather than in a SEEN_BY relationship per service.
const SERVICE_TAIL = `
WITH at, svc, s, svc.fresh AND coalesce(s.obsHash, '') <> svc.hash AS changed
FOREACH (_ IN CASE WHEN s.firstSeen > at THEN [1] ELSE [] END | SET s.firstSeen = at)
FOREACH (_ IN CASE WHEN changed THEN [1] ELSE [] END | SET s += svc.props, s.open = svc.props.state = 'open', s.obsHash = svc.hash)
FOREACH (_ IN CASE WHEN svc.fresh AND coalesce(svc.props.reason, '') <> 'not-reported' AND s.lastSeen < at THEN [1] ELSE [] END |
  SET s.lastSeen = at, s.lastRunId = $runId)
FOREACH (_ IN CASE WHEN s.lastRunId IS NULL THEN [1] ELSE [] END | SET s.lastRunId = $runId)
FOREACH (_ IN CASE WHEN $sourceId IN coalesce(s.seenBy, []) THEN [] ELSE [1] END | SET s.seenBy = coalesce(s.seenBy, []) + $sourceId)`;

const LOAD_SERVICES = `CYPHER replan=skip
WITH datetime($at) AS at
UNWIND $services AS svc
MATCH (a:Asset {id: svc.assetId})
MERGE (s:Service {key: svc.key})
  ON CREATE SET s.firstSeen = at, s.lastSeen = at
MERGE (a)-[:HAS_SERVICE]->(s)
${SERVICE_TAIL}`;

// Services whose stored digest equals this observation's: only dates and provenance can move.
const TOUCH_SERVICES = `CYPHER replan=skip
WITH datetime($at) AS at
UNWIND $touch AS t
MATCH (s:Service {key: t.key})
FOREACH (_ IN CASE WHEN t.reported AND s.lastSeen < at THEN [1] ELSE [] END | SET s.lastSeen = at, s.lastRunId = $runId)
FOREACH (_ IN CASE WHEN s.firstSeen > at THEN [1] ELSE [] END | SET s.firstSeen = at)
FOREACH (_ IN CASE WHEN $sourceId IN coalesce(s.seenBy, []) THEN [] ELSE [1] END | SET s.seenBy = coalesce(s.seenBy, []) + $sourceId)`;

// Assets whose stored obsDigest equals this observation's: only the dates of the asset, its
// provenance, and the interfaces and services this observation reported move forward.
const TOUCH_ASSETS = `CYPHER replan=skip
MATCH (src:Source {id: $sourceId})
WITH src, datetime($at) AS at
UNWIND $touch AS t
MATCH (a:Asset {id: t.id})
FOREACH (_ IN CASE WHEN a.lastSeen < at THEN [1] ELSE [] END | SET a.lastSeen = at, a.lastRunId = $runId)
WITH src, at, t, a
OPTIONAL MATCH (a)-[sb:SEEN_BY]->(src)
FOREACH (_ IN CASE WHEN sb.lastSeen < at THEN [1] ELSE [] END | SET sb.lastSeen = at, sb.lastRunId = $runId)
WITH src, at, t
CALL (src, at, t) {
  UNWIND t.interfaces AS k
  MATCH (i:Interface {key: k})
  FOREACH (_ IN CASE WHEN i.lastSeen < at THEN [1] ELSE [] END | SET i.lastSeen = at)
  WITH src, at, i
  OPTIONAL MATCH (i)-[isb:SEEN_BY]->(src)
  FOREACH (_ IN CASE WHEN isb.lastSeen < at THEN [1] ELSE [] END | SET isb.lastSeen = at, isb.lastRunId = $runId)
}
CALL (at, t) {
  UNWIND t.services AS k
  MATCH (s:Service {key: k})
  FOREACH (_ IN CASE WHEN s.lastSeen < at THEN [1] ELSE [] END | SET s.lastSeen = at, s.lastRunId = $runId)
}`;

const LOAD_KNOWN_SERVICES = `CYPHER replan=skip
WITH datetime($at) AS at
UNWIND $services AS svc
MATCH (s:Service {key: svc.key})
${SERVICE_TAIL}`;

// A change event names its asset by `assetId` (indexed); every reader finds events that way, so
// there is no ABOUT relationship to write per event (migration 603 removed the old ones).
export const SAVE_EVENTS = `CYPHER replan=skip
UNWIND $events AS e
MERGE (c:ChangeEvent {id: e.id})
  ON CREATE SET c.type = e.type, c.assetId = e.assetId, c.summary = e.summary, c.detail = e.detail,
                c.at = datetime(e.at), c.runId = $runId, c.sourceId = $sourceId
RETURN count(c) AS n`;

const SAVE_CONFLICTS = `CYPHER replan=skip
UNWIND $conflicts AS k
MERGE (c:IdentityConflict {id: k.id})
  ON CREATE SET c.state = 'open', c.detectedAt = datetime($at), c.keys = k.keys, c.observed = k.observed,
                c.chosenAssetId = k.chosenAssetId, c.runId = $runId, c.assetIds = k.assetIds
WITH c, k
UNWIND k.assetIds AS aid
MATCH (a:Asset {id: aid})
MERGE (c)-[:ABOUT]->(a)
RETURN count(DISTINCT c) AS n`;

/**
 * The batch statements, for the check that each is planned index-backed on an empty graph: they
 * run with `replan=skip`, so the plan made at the first batch of a new database (when the graph's
 * statistics say "empty") is kept while the inventory grows, instead of being replanned every
 * few seconds during a large import.
 */
export const INGEST_STATEMENTS: Record<string, string> = {
  LOCK_AND_LOOKUP,
  PRIOR_SERVICES,
  TOUCH_ASSETS,
  CREATE_ASSETS,
  LOAD_ASSETS,
  LOAD_SUBNETS,
  LOAD_INTERFACES,
  LOAD_KNOWN_INTERFACES,
  LOAD_SERVICES,
  LOAD_KNOWN_SERVICES,
  TOUCH_SERVICES,
  SAVE_EVENTS,
  SAVE_CONFLICTS,
};

function partition<T>(xs: T[], pred: (x: T) => boolean): [T[], T[]] {
  const yes: T[] = [];
  const no: T[] = [];
  for (const x of xs) (pred(x) ? yes : no).push(x);
  return [yes, no];
}

/** Every property of an asset the batch creates, as LOAD_ASSETS would leave them (no asserted values yet). */
function createdAssetProps(row: AssetRow, demo: boolean): Record<string, unknown> {
  const p = row.props as { fqdn?: string; hostnames?: string[]; ips?: string[]; mac?: string; o_kind?: string };
  return {
    ...row.props,
    id: row.id,
    status: 'up',
    kind: p.o_kind ?? 'unknown',
    ephiRole: 'unknown',
    isAi: false,
    demo,
    name: p.fqdn ?? p.hostnames?.[0] ?? p.ips?.[0] ?? p.mac ?? row.id,
    searchText: '   ' + row.search,
    obsDigest: row.digest,
  };
}

/**
 * Takes out of the plan every known asset observed exactly as last time (same digest), up and
 * not newer than this observation: it only has dates moved (TOUCH_ASSETS), with no service read,
 * no change detection and no comparisons. Records each remaining asset's digest for its row.
 */
function takeUnchanged(resolved: Resolved, prior: Map<string, Prior>, ctx: IngestContext): { id: string; interfaces: string[]; services: string[] }[] {
  const at = Date.parse(ctx.at);
  const unchanged: { id: string; interfaces: string[]; services: string[] }[] = [];
  for (const [id, entry] of resolved.byAsset) {
    const { obs } = entry;
    entry.digest = observationDigest(obs, ctx);
    const p = prior.get(id);
    if (!p?.digest || p.digest !== entry.digest || p.status !== 'up' || !p.lastSeen || at < Date.parse(p.lastSeen)) continue;
    unchanged.push({
      id,
      interfaces: (obs.ips.length ? obs.ips : [null]).map((ip) => interfaceKey(id, obs.mac, ip)),
      services: obs.services.map((x) => serviceKey(id, x.protocol, x.port)),
    });
    resolved.byAsset.delete(id);
  }
  return unchanged;
}

/** Ingests already-transformed observations (the path other importers use too). */
export async function ingestObservations(graph: GraphClient, ctx: IngestContext, observations: Observation[]): Promise<IngestCounts> {
  if (observations.length === 0) return { hosts: 0, assetsCreated: 0, assetsUpdated: 0, services: 0, changes: 0, conflicts: 0 };
  const demo = ctx.demo ?? false;
  return graph.executeWrite(async (tx) => {
    const { known, prior } = await lockAndLoadKnown(tx, observations);
    const resolved = resolveObservations(observations, known, prior, ctx);
    const unchanged = takeUnchanged(resolved, prior, ctx);
    const unchangedServices = unchanged.reduce((n, u) => n + u.services.length, 0);
    const at = Date.parse(ctx.at);
    await loadPriorServices(tx, prior, [...resolved.byAsset.keys()].filter((id) => prior.has(id)));
    const plan = planRows(resolved, prior, ctx);
    // Each statement gets only the parameters it reads: a batch's rows are large, and every
    // parameter is encoded, sent and decoded again for each statement that receives it.
    const base = { at: ctx.at, runId: ctx.runId, sourceId: ctx.sourceId };
    const [createdRows, knownRows] = partition(plan.rows, (r) => r.isNew);
    const createdIds = new Set(createdRows.map((r) => r.id));
    const [createdEvents, knownEvents] = partition(plan.events, (e) => createdIds.has(e.assetId));
    const eventsOf = new Map<string, ChangeEventRow[]>();
    for (const e of createdEvents) (eventsOf.get(e.assetId) ?? eventsOf.set(e.assetId, []).get(e.assetId)!).push(e);

    const allIfaces: Record<string, unknown>[] = plan.rows.flatMap((r) => r.interfaces);
    const subnets = [...new Map(allIfaces.filter((i) => i.subnet).map((i) => [String(i.subnet), { cidr: i.subnet, family: i.family }])).values()];
    const ifaces: Record<string, unknown>[] = knownRows.flatMap((r) => r.interfaces.map((i) => ({ ...i, assetId: r.id })));
    const services = knownRows.flatMap((r) => r.services.map((x) => ({ ...x, assetId: r.id, fresh: r.fresh })));
    const ifaceKeys = new Set(knownRows.flatMap((r) => prior.get(r.id)?.interfaceKeys ?? []));
    const [knownIfaces, newIfaces] = partition(ifaces, (i) => ifaceKeys.has(String(i.key)));
    const newServices: typeof services = [];
    const knownServices: typeof services = [];
    const touch: { key: string; reported: boolean }[] = [];
    for (const x of services) {
      const known = prior.get(x.assetId)?.serviceState?.get(x.key);
      if (!known) newServices.push(x);
      else if (x.fresh && known.hash !== x.hash) knownServices.push(x);
      else {
        const reported = x.fresh && x.props.reason !== 'not-reported';
        const moves = (reported && (!known.lastSeen || Date.parse(known.lastSeen) < at)) || (!!known.firstSeen && Date.parse(known.firstSeen) > at) || !known.seenBy.includes(ctx.sourceId);
        if (moves) touch.push({ key: x.key, reported });
      }
    }
    const newSubnets = createdRows.some((r) => r.interfaces.length) || newIfaces.length > 0;
    if (subnets.length && newSubnets) await tx.run(LOAD_SUBNETS, { subnets });
    if (createdRows.length) {
      const rows = createdRows.map((r) => ({
        props: createdAssetProps(r, demo),
        interfaces: r.interfaces.map(({ subnet, ...props }) => ({ props, subnet: subnet ?? null })),
        services: r.services,
        events: eventsOf.get(r.id) ?? [],
      }));
      await tx.run(CREATE_ASSETS, { ...base, rows });
    }
    if (unchanged.length) await tx.run(TOUCH_ASSETS, { ...base, touch: unchanged });
    if (knownRows.length) await tx.run(LOAD_ASSETS, { ...base, demo, rows: knownRows.map(({ id, fresh, digest, props, search }) => ({ id, fresh, digest, props, search })) });
    if (newIfaces.length) await tx.run(LOAD_INTERFACES, { ...base, ifaces: newIfaces });
    if (knownIfaces.length) await tx.run(LOAD_KNOWN_INTERFACES, { ...base, ifaces: knownIfaces });
    if (newServices.length) await tx.run(LOAD_SERVICES, { ...base, services: newServices });
    if (knownServices.length) await tx.run(LOAD_KNOWN_SERVICES, { ...base, services: knownServices });
    if (touch.length) await tx.run(TOUCH_SERVICES, { ...base, touch });
    if (knownEvents.length) await tx.run(SAVE_EVENTS, { runId: ctx.runId, sourceId: ctx.sourceId, events: knownEvents });
    if (plan.conflicts.length) await tx.run(SAVE_CONFLICTS, { ...base, conflicts: plan.conflicts });
    const created = createdRows.length;
    return {
      hosts: observations.length,
      assetsCreated: created,
      assetsUpdated: plan.rows.length - created + unchanged.length,
      services: plan.rows.reduce((n, r) => n + r.services.length, 0) + unchangedServices,
      changes: plan.events.length,
      conflicts: plan.conflicts.length,
    };
  });
}

export async function ingestHosts(graph: GraphClient, ctx: IngestContext, hosts: NmapHost[]): Promise<IngestCounts> {
  const observations = hosts.filter((h) => h.status === 'up').map(hostToObservation).filter((o): o is Observation => o !== null);
  return ingestObservations(graph, ctx, observations);
}

export interface Coverage {
  /** Addresses the run reported on, up or down. */
  ips: string[];
  /** Ranges the run's targets named (CIDR or single addresses), when they could be parsed. */
  ranges: string[];
}

/**
 * Missed, never deleted: every asset with an address the run covered that the run did not see
 * (last seen before the run's time) gets status `missed` and one `asset-missed` event.
 * Only call this for complete runs: a truncated file proves nothing about absent hosts.
 */
export async function markMissed(graph: GraphClient, ctx: { runId: string; sourceId: string; at: string }, coverage: Coverage): Promise<number> {
  const { inRange, parseRange } = await import('../domain/subnet.js');
  const ranges = coverage.ranges.map(parseRange).filter((r): r is NonNullable<typeof r> => r !== null);
  if (coverage.ips.length === 0 && ranges.length === 0) return 0;
  return graph.executeWrite(async (tx) => {
    await tx.run('MERGE (l:IngestLock {id: $id}) SET l.seq = coalesce(l.seq, 0) + 1', { id: LOCK_ID });
    // Candidates: assets not seen at or after this run, with their addresses; the range test runs here.
    const rows = await tx.run(
      `MATCH (a:Asset) WHERE NOT a:Retired AND a.lastSeen < datetime($at) AND coalesce(a.status, 'up') <> 'missed'
       RETURN a.id AS id, coalesce(a.name, a.id) AS name, coalesce(a.ips, []) AS ips`,
      { at: ctx.at },
    );
    const direct = new Set(coverage.ips);
    const missed = rows.filter((r) => (r.ips as string[]).some((ip) => direct.has(ip) || ranges.some((rg) => inRange(ip, rg))));
    if (missed.length === 0) return 0;
    const events = missed.map((r) =>
      changeEvent('asset-missed', String(r.id), ctx.at, '', `${String(r.name)} was not seen by a scan that covered its address`, { ips: r.ips, runId: ctx.runId }),
    );
    await tx.run(`UNWIND $ids AS id MATCH (a:Asset {id: id}) SET a.status = 'missed', a.missedAt = datetime($at), a.missedByRunId = $runId`, {
      ids: missed.map((r) => r.id),
      at: ctx.at,
      runId: ctx.runId,
    });
    await tx.run(SAVE_EVENTS, { events, runId: ctx.runId, sourceId: ctx.sourceId });
    return missed.length;
  });
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

export async function finishRun(
  graph: GraphClient,
  id: string,
  outcome: { status: 'completed' | 'incomplete' | 'failed'; counts?: IngestCounts; error?: string; observedAt?: string; missed?: number },
): Promise<void> {
  await graph.write(
    `MATCH (r:ScanRun {id: $id})
     SET r.finishedAt = datetime(), r.status = $status, r.hosts = $hosts, r.assetsCreated = $created, r.assetsUpdated = $updated,
         r.services = $services, r.changes = $changes, r.conflicts = $conflicts, r.missed = $missed, r.error = $error,
         r.observedAt = CASE WHEN $observedAt IS NULL THEN r.observedAt ELSE datetime($observedAt) END`,
    {
      id,
      status: outcome.status,
      hosts: outcome.counts?.hosts ?? 0,
      created: outcome.counts?.assetsCreated ?? 0,
      updated: outcome.counts?.assetsUpdated ?? 0,
      services: outcome.counts?.services ?? 0,
      changes: outcome.counts?.changes ?? 0,
      conflicts: outcome.counts?.conflicts ?? 0,
      missed: outcome.missed ?? 0,
      error: outcome.error ?? null,
      observedAt: outcome.observedAt ?? null,
    },
  );
}
