import { randomUUID } from 'node:crypto';
import { changeEvent } from '../domain/changes.js';
import { ConflictError, NotFoundError, ValidationError } from '../errors.js';
import { interfaceKey, SAVE_EVENTS, serviceKey } from './asset-ingest-repository.js';
import { int, type GraphClient, type Tx } from './neo4j-client.js';

/**
 * People correct identity: merge two assets into one, split interfaces off into a new asset,
 * and look at the conflicts ingestion recorded. Both operations keep history: a merged asset
 * stays as `:Retired` with MERGED_INTO, a split-off asset points back with SPLIT_FROM, and both
 * sides get a change event. They take the same lock as ingestion so a scan cannot interleave.
 */
export interface ConflictView {
  id: string;
  state: string;
  detectedAt: string | null;
  assetIds: string[];
  chosenAssetId: string | null;
  keys: unknown;
  observed: unknown;
  runId: string | null;
  resolution: string | null;
}

const LOCK = "MERGE (l:IngestLock {id: 'asset-identity'}) SET l.seq = coalesce(l.seq, 0) + 1";

/** Moves relationships of the asserted/observed kinds from one asset to another (no APOC needed). */
const MOVE_FLOWS = ['EPHI_FLOW', 'CONNECTS_TO'].flatMap((t) => [
  `MATCH (o:Asset {id: $from})-[r:${t}]->(y) WHERE y.id <> $to
   MATCH (s:Asset {id: $to}) CREATE (s)-[r2:${t}]->(y) SET r2 = properties(r) DELETE r`,
  `MATCH (y)-[r:${t}]->(o:Asset {id: $from}) WHERE y.id <> $to
   MATCH (s:Asset {id: $to}) CREATE (y)-[r2:${t}]->(s) SET r2 = properties(r) DELETE r`,
]);

async function moveInterfaces(tx: Tx, fromId: string, toId: string, keys: string[] | null): Promise<string[]> {
  const rows = await tx.run(
    `MATCH (:Asset {id: $from})-[:HAS_INTERFACE]->(i:Interface) WHERE $keys IS NULL OR i.key IN $keys
     RETURN i.key AS key, i.mac AS mac, i.ip AS ip`,
    { from: fromId, keys },
  );
  const moves = rows.map((r) => ({ old: String(r.key), key: interfaceKey(toId, (r.mac as string) ?? null, (r.ip as string) ?? null) }));
  await tx.run(
    `UNWIND $moves AS m
     MATCH (i:Interface {key: m.old})
     MATCH (s:Asset {id: $to})
     // Copy, then delete the old node before the new key is written (the key is unique).
     WITH m, s, i, properties(i) AS p, [(i)-[:IN_SUBNET]->(sn:Subnet) | sn] AS subnets,
          [(i)-[r:SEEN_BY]->(src:Source) | {id: src.id, props: properties(r)}] AS seen
     DETACH DELETE i
     WITH m, s, p, subnets, seen
     MERGE (n:Interface {key: m.key})
       ON CREATE SET n += p, n.key = m.key
     SET n.firstSeen = CASE WHEN p.firstSeen < n.firstSeen THEN p.firstSeen ELSE n.firstSeen END,
         n.lastSeen = CASE WHEN p.lastSeen > n.lastSeen THEN p.lastSeen ELSE n.lastSeen END
     MERGE (s)-[:HAS_INTERFACE]->(n)
     FOREACH (sn IN subnets | MERGE (n)-[:IN_SUBNET]->(sn))
     WITH n, seen
     CALL (n, seen) { UNWIND seen AS x MATCH (src:Source {id: x.id}) MERGE (n)-[r2:SEEN_BY]->(src) ON CREATE SET r2 += x.props RETURN count(*) AS c }
     RETURN count(n) AS moved`,
    { moves, to: toId },
  );
  return moves.map((m) => m.old);
}

export class IdentityRepository {
  constructor(private readonly graph: GraphClient) {}

  async merge(survivorId: string, otherId: string, by: string): Promise<{ survivorId: string; retiredId: string; interfaces: number; services: number }> {
    if (survivorId === otherId) throw new ValidationError('SAME_ASSET', 'otherId: an asset cannot be merged into itself', { field: 'otherId' });
    const at = new Date().toISOString();
    return this.graph.executeWrite(async (tx) => {
      await tx.run(LOCK);
      const found = await tx.run('UNWIND $ids AS id MATCH (a:Asset {id: id}) RETURN a.id AS id, a:Retired AS retired', { ids: [survivorId, otherId] });
      const byId = new Map(found.map((r) => [String(r.id), Boolean(r.retired)]));
      if (!byId.has(survivorId)) throw new NotFoundError('asset', survivorId);
      if (!byId.has(otherId)) throw new ValidationError('UNKNOWN_REFERENCE', `otherId: no asset with id ${otherId}`, { field: 'otherId', id: otherId });
      if (byId.get(survivorId) || byId.get(otherId)) throw new ConflictError('ASSET_RETIRED', 'a retired asset cannot take part in a merge', { ids: [survivorId, otherId] });
      const moved = await moveInterfaces(tx, otherId, survivorId, null);
      const svc = await tx.run(`MATCH (:Asset {id: $from})-[:HAS_SERVICE]->(s:Service) RETURN s.key AS key, s.protocol AS protocol, s.port AS port`, { from: otherId });
      const smoves = svc.map((r) => ({ old: String(r.key), key: serviceKey(survivorId, String(r.protocol), Number(r.port)) }));
      await tx.run(
        `UNWIND $moves AS m
         MATCH (s:Service {key: m.old})
         MATCH (a:Asset {id: $to})
         WITH m, a, s, properties(s) AS p, [(s)-[r:SEEN_BY]->(src:Source) | {id: src.id, props: properties(r)}] AS seen
         DETACH DELETE s
         WITH m, a, p, seen
         MERGE (n:Service {key: m.key})
           ON CREATE SET n += p, n.key = m.key
         WITH m, a, p, seen, n, CASE WHEN p.firstSeen < n.firstSeen THEN p.firstSeen ELSE n.firstSeen END AS first
         // The later observation of the port wins; the earliest first-seen is kept.
         FOREACH (_ IN CASE WHEN p.lastSeen > n.lastSeen THEN [1] ELSE [] END | SET n += p, n.key = m.key)
         SET n.firstSeen = first
         MERGE (a)-[:HAS_SERVICE]->(n)
         WITH n, seen
         CALL (n, seen) { UNWIND seen AS x MATCH (src:Source {id: x.id}) MERGE (n)-[r2:SEEN_BY]->(src) ON CREATE SET r2 += x.props RETURN count(*) AS c }
         RETURN count(n) AS moved`,
        { moves: smoves, to: survivorId },
      );
      for (const q of MOVE_FLOWS) await tx.run(q, { from: otherId, to: survivorId });
      // Asserted facts of the retired asset fill gaps on the survivor; the survivor's own win.
      const both = await tx.run(
        `UNWIND $ids AS id MATCH (a:Asset {id: id})
         RETURN a.id AS id, properties(a) AS p, [(a)-[r:OWNED_BY|LOCATED_AT|SUPPLIED_BY]->(x) | [type(r), x.id]] AS links`,
        { ids: [survivorId, otherId] },
      );
      const sp = both.find((r) => r.id === survivorId)!;
      const op = both.find((r) => r.id === otherId)!;
      const sProps = sp.p as Record<string, unknown>;
      const fill: Record<string, unknown> = {};
      for (const [k, v] of Object.entries(op.p as Record<string, unknown>)) if (k.startsWith('a_') && (sProps[k] === undefined || sProps[k] === null)) fill[k] = v;
      const sLinks = new Set((sp.links as [string, string][]).map(([t]) => t));
      for (const [t, x] of op.links as [string, string][]) {
        if (sLinks.has(t)) continue;
        const label = t === 'OWNED_BY' ? 'Person' : t === 'LOCATED_AT' ? 'Site' : 'Vendor';
        await tx.run(`MATCH (s:Asset {id: $to}), (x:${label} {id: $x}) MERGE (s)-[:${t}]->(x)`, { to: survivorId, x });
      }
      await tx.run(
        `MATCH (s:Asset {id: $to}), (o:Asset {id: $from})
         WITH s, o, o.assetTag AS tag, o.serial AS serial, o.cloudId AS cloud
         REMOVE o.assetTag, o.serial, o.cloudId
         SET s += $fill
         WITH s, o, tag, serial, cloud
         CALL (s, o) {
           MATCH (o)-[r:SEEN_BY]->(src:Source)
           MERGE (s)-[r2:SEEN_BY]->(src) ON CREATE SET r2 = properties(r)
           SET r2.firstSeen = CASE WHEN r.firstSeen < r2.firstSeen THEN r.firstSeen ELSE r2.firstSeen END,
               r2.lastSeen = CASE WHEN r.lastSeen > r2.lastSeen THEN r.lastSeen ELSE r2.lastSeen END
           RETURN count(*) AS m
         }
         SET s.firstSeen = CASE WHEN o.firstSeen < s.firstSeen THEN o.firstSeen ELSE s.firstSeen END,
             s.lastSeen = CASE WHEN o.lastSeen > s.lastSeen THEN o.lastSeen ELSE s.lastSeen END,
             s.ips = reduce(acc = coalesce(s.ips, []), ip IN coalesce(o.ips, []) | CASE WHEN ip IN acc THEN acc ELSE acc + ip END),
             s.hostnames = reduce(acc = coalesce(s.hostnames, []), h IN coalesce(o.hostnames, []) | CASE WHEN h IN acc THEN acc ELSE acc + h END),
             s.mac = coalesce(s.mac, o.mac), s.macVendor = coalesce(s.macVendor, o.macVendor), s.os = coalesce(s.os, o.os), s.fqdn = coalesce(s.fqdn, o.fqdn),
             s.status = CASE WHEN s.status = 'up' OR o.status = 'up' THEN 'up' ELSE s.status END,
             s.demo = coalesce(s.demo, false) AND coalesce(o.demo, false)
         SET s.assetTag = coalesce(s.a_assetTag, tag), s.serial = coalesce(s.a_serial, serial), s.cloudId = coalesce(s.a_cloudId, cloud),
             s.name = coalesce(s.a_name, s.fqdn, s.hostnames[0], s.ips[0], s.mac, s.id),
             s.kind = coalesce(s.a_kind, s.o_kind, 'unknown'), s.ephiRole = coalesce(s.a_ephiRole, 'unknown'), s.isAi = coalesce(s.a_isAi, s.o_isAi, false),
             s.searchText = toLower(coalesce(s.a_name, '') + ' ' + coalesce(s.a_assetTag, '') + ' ' + reduce(t = '', h IN s.hostnames | t + ' ' + h) + ' ' + reduce(t = '', x IN s.ips | t + ' ' + x) + ' ' + coalesce(s.mac, ''))
         SET o:Retired, o.status = 'retired', o.retiredAt = datetime($at), o.retiredBy = $by
         // The survivor's observed state is now a union: the next scan must compare, not skip.
         REMOVE s.obsDigest, o.obsDigest
         CREATE (o)-[:MERGED_INTO {at: datetime($at), by: $by}]->(s)`,
        { to: survivorId, from: otherId, at, by, fill },
      );
      await tx.run(
        `MATCH (k:IdentityConflict {state: 'open'}) WHERE $a IN k.assetIds AND $b IN k.assetIds
         SET k.state = 'resolved', k.resolution = 'merged', k.resolvedAt = datetime($at), k.resolvedBy = $by`,
        { a: survivorId, b: otherId, at, by },
      );
      const events = [
        changeEvent('asset-merged', survivorId, at, otherId, `Asset ${otherId} merged into this asset`, { survivorId, retiredId: otherId, interfaces: moved, services: smoves.length, by }),
        changeEvent('asset-merged', otherId, at, survivorId, `Merged into asset ${survivorId}`, { survivorId, retiredId: otherId, by }),
      ];
      await tx.run(SAVE_EVENTS, { events, runId: null, sourceId: 'manual' });
      return { survivorId, retiredId: otherId, interfaces: moved.length, services: smoves.length };
    });
  }

  async split(id: string, interfaceKeys: string[], by: string): Promise<{ originalId: string; newId: string; interfaces: string[] }> {
    const at = new Date().toISOString();
    const newId = randomUUID();
    return this.graph.executeWrite(async (tx) => {
      await tx.run(LOCK);
      const cur = await tx.run('MATCH (a:Asset {id: $id}) RETURN a:Retired AS retired, [(a)-[:HAS_INTERFACE]->(i) | i.key] AS keys', { id });
      if (!cur[0]) throw new NotFoundError('asset', id);
      if (cur[0].retired) throw new ConflictError('ASSET_RETIRED', `asset ${id} is retired`, { id });
      const have = new Set(cur[0].keys as string[]);
      const unknown = interfaceKeys.filter((k) => !have.has(k));
      if (unknown.length) throw new ValidationError('UNKNOWN_INTERFACE', `interfaceKeys: ${unknown.join(', ')} not an interface of asset ${id}`, { field: 'interfaceKeys', keys: unknown });
      const keys = [...new Set(interfaceKeys)];
      if (keys.length >= have.size) throw new ValidationError('SPLIT_ALL', 'interfaceKeys: at least one interface must stay with the asset', { field: 'interfaceKeys' });
      await tx.run(
        `MATCH (o:Asset {id: $id})
         CREATE (n:Asset {id: $newId, status: 'up', kind: 'unknown', ephiRole: 'unknown', isAi: false, demo: coalesce(o.demo, false), identityKey: 'split'})
         CREATE (n)-[:SPLIT_FROM {at: datetime($at), by: $by, interfaceKeys: $keys}]->(o)
         WITH o, n
         MATCH (o)-[r:SEEN_BY]->(src:Source) MERGE (n)-[r2:SEEN_BY]->(src) ON CREATE SET r2 = properties(r)`,
        { id, newId, at, by, keys },
      );
      await moveInterfaces(tx, id, newId, keys);
      // Both sides recompute their observed addresses from the interfaces they now hold.
      await tx.run(
        `UNWIND [$id, $newId] AS aid
         MATCH (a:Asset {id: aid})-[:HAS_INTERFACE]->(i:Interface)
         WITH a, i ORDER BY i.lastSeen DESC
         WITH a, collect(i) AS ifs
         SET a.ips = [x IN ifs WHERE x.ip IS NOT NULL | x.ip],
             a.mac = head([x IN ifs WHERE x.mac IS NOT NULL | x.mac]),
             a.macVendor = head([x IN ifs WHERE x.macVendor IS NOT NULL | x.macVendor]),
             a.firstSeen = CASE WHEN a.id = $newId THEN reduce(m = null, x IN ifs | CASE WHEN m IS NULL OR x.firstSeen < m THEN x.firstSeen ELSE m END) ELSE a.firstSeen END,
             a.lastSeen = CASE WHEN a.id = $newId THEN reduce(m = null, x IN ifs | CASE WHEN m IS NULL OR x.lastSeen > m THEN x.lastSeen ELSE m END) ELSE a.lastSeen END
         REMOVE a.obsDigest
         SET a.name = coalesce(a.a_name, CASE WHEN a.id = $newId THEN null ELSE a.fqdn END, CASE WHEN a.id = $newId THEN null ELSE a.hostnames[0] END, a.ips[0], a.mac, a.id),
             a.searchText = toLower(coalesce(a.a_name, '') + ' ' + reduce(t = '', h IN coalesce(a.hostnames, []) | t + ' ' + h) + ' ' + reduce(t = '', x IN a.ips | t + ' ' + x) + ' ' + coalesce(a.mac, ''))`,
        { id, newId },
      );
      const events = [
        changeEvent('asset-split', id, at, newId, `Interfaces split off into asset ${newId}`, { originalId: id, newId, interfaceKeys: keys, by }),
        changeEvent('asset-split', newId, at, id, `Split off asset ${id}`, { originalId: id, newId, interfaceKeys: keys, by }),
      ];
      await tx.run(SAVE_EVENTS, { events, runId: null, sourceId: 'manual' });
      return { originalId: id, newId, interfaces: keys };
    });
  }

  async conflicts(state: 'open' | 'resolved' | undefined, limit: number): Promise<ConflictView[]> {
    const rows = await this.graph.read(
      `MATCH (k:IdentityConflict) WHERE $state IS NULL OR k.state = $state
       RETURN k {.id, .state, .detectedAt, .assetIds, .chosenAssetId, .keys, .observed, .runId, .resolution} AS k
       ORDER BY k.detectedAt DESC, k.id LIMIT $limit`,
      { state: state ?? null, limit: int(limit) },
    );
    return rows.map((r) => {
      const k = r.k as Record<string, unknown>;
      const parse = (v: unknown) => (typeof v === 'string' ? (JSON.parse(v) as unknown) : null);
      return {
        id: String(k.id),
        state: String(k.state),
        detectedAt: (k.detectedAt as string) ?? null,
        assetIds: (k.assetIds as string[]) ?? [],
        chosenAssetId: (k.chosenAssetId as string) ?? null,
        keys: parse(k.keys),
        observed: parse(k.observed),
        runId: (k.runId as string) ?? null,
        resolution: (k.resolution as string) ?? null,
      };
    });
  }

  /** Closes a conflict without merging ("these really are two machines"). */
  async dismissConflict(id: string, by: string): Promise<void> {
    const rows = await this.graph.write(
      `MATCH (k:IdentityConflict {id: $id}) SET k.state = 'resolved', k.resolution = coalesce(k.resolution, 'dismissed'), k.resolvedAt = coalesce(k.resolvedAt, datetime()), k.resolvedBy = coalesce(k.resolvedBy, $by) RETURN k.id AS id`,
      { id, by },
    );
    if (!rows[0]) throw new NotFoundError('identity conflict', id);
  }
}
