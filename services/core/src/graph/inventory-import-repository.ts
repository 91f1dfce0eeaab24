import { randomUUID } from 'node:crypto';
import { interfaceKey } from './asset-ingest-repository.js';
import type { GraphClient } from './neo4j-client.js';

/**
 * CSV inventory rows as assertions (a_* properties). All rows are written in ONE transaction:
 * an import either lands whole or not at all. Rows are matched to assets by asset tag, serial,
 * IP address or MAC (in that order); unmatched rows create assets.
 */
export const INVENTORY_ASSERTED = ['name', 'kind', 'ephiRole', 'encryptionAtRest', 'encryptionInTransit', 'mfa', 'criticality', 'notes', 'assetTag', 'serial', 'version', 'vendorModel'] as const;
export type InventoryField = (typeof INVENTORY_ASSERTED)[number];

export interface InventoryRow {
  row: number;
  ip: string | null;
  mac: string | null;
  hostname: string | null;
  set: Partial<Record<InventoryField, string>>;
}

export interface InventoryPlanRow {
  row: number;
  assetId: string | null;
  matchedBy: 'assetTag' | 'serial' | 'ip' | 'mac' | null;
  changes: Record<string, { before: unknown; after: string }>;
}

const MATCH = `
  OPTIONAL MATCH (t:Asset) WHERE r.set.assetTag IS NOT NULL AND t.a_assetTag = r.set.assetTag
  OPTIONAL MATCH (s:Asset) WHERE r.set.serial IS NOT NULL AND s.a_serial = r.set.serial
  OPTIONAL MATCH (i:Asset)-[:HAS_INTERFACE]->(:Interface {ip: r.ip})
  OPTIONAL MATCH (m:Asset)-[:HAS_INTERFACE]->(:Interface {mac: r.mac})
  WITH r, head(collect(DISTINCT t)) AS t, head(collect(DISTINCT s)) AS s, head(collect(DISTINCT i)) AS i, head(collect(DISTINCT m)) AS m
  WITH r, coalesce(t, s, i, m) AS a,
       CASE WHEN t IS NOT NULL THEN 'assetTag' WHEN s IS NOT NULL THEN 'serial' WHEN i IS NOT NULL THEN 'ip' WHEN m IS NOT NULL THEN 'mac' END AS matchedBy`;

/** What an import would change, row by row (the dry run). */
export async function planInventory(graph: GraphClient, rows: InventoryRow[]): Promise<InventoryPlanRow[]> {
  const res = await graph.read(
    `UNWIND $rows AS r ${MATCH}
     RETURN r.row AS row, a.id AS assetId, matchedBy, CASE WHEN a IS NULL THEN {} ELSE properties(a) END AS props`,
    { rows },
  );
  return res.map((x) => {
    const props = x.props as Record<string, unknown>;
    const row = rows.find((r) => r.row === x.row)!;
    const changes: InventoryPlanRow['changes'] = {};
    for (const [f, v] of Object.entries(row.set)) if (props[`a_${f}`] !== v) changes[f] = { before: props[`a_${f}`] ?? null, after: v };
    return { row: Number(x.row), assetId: (x.assetId as string | null) ?? null, matchedBy: (x.matchedBy as InventoryPlanRow['matchedBy']) ?? null, changes };
  });
}

export async function applyInventory(graph: GraphClient, rows: InventoryRow[], by: string): Promise<{ created: number; updated: number }> {
  const withIds = rows.map((r) => {
    const id = randomUUID();
    return { ...r, newId: id, ifKey: r.ip || r.mac ? interfaceKey(id, r.mac, r.ip) : null, set: Object.fromEntries(Object.entries(r.set).map(([k, v]) => [`a_${k}`, v])) };
  });
  return graph.executeWrite(async (tx) => {
    let created = 0;
    let updated = 0;
    // Row by row inside the one transaction, so two rows about the same new asset find each other.
    for (const r of withIds) {
      const res = await tx.run(
        `WITH $r AS r
         OPTIONAL MATCH (t:Asset) WHERE r.set.a_assetTag IS NOT NULL AND t.a_assetTag = r.set.a_assetTag
         OPTIONAL MATCH (s:Asset) WHERE r.set.a_serial IS NOT NULL AND s.a_serial = r.set.a_serial
         OPTIONAL MATCH (i:Asset)-[:HAS_INTERFACE]->(:Interface {ip: r.ip})
         OPTIONAL MATCH (m:Asset)-[:HAS_INTERFACE]->(:Interface {mac: r.mac})
         WITH r, coalesce(head(collect(DISTINCT t)), head(collect(DISTINCT s)), head(collect(DISTINCT i)), head(collect(DISTINCT m))) AS found
         CALL (r, found) {
           WITH r, found WHERE found IS NULL
           CREATE (a:Asset {id: r.newId, kind: 'unknown', ephiRole: 'unknown', isAi: false, status: 'up', demo: false,
                            ips: CASE WHEN r.ip IS NULL THEN [] ELSE [r.ip] END, mac: r.mac,
                            hostnames: CASE WHEN r.hostname IS NULL THEN [] ELSE [r.hostname] END, firstSeen: datetime(), lastSeen: datetime()})
           FOREACH (_ IN CASE WHEN r.ifKey IS NULL THEN [] ELSE [1] END |
             CREATE (a)-[:HAS_INTERFACE]->(:Interface {key: r.ifKey, ip: r.ip, mac: r.mac, firstSeen: datetime(), lastSeen: datetime()}))
           RETURN a, true AS isNew
           UNION
           WITH r, found WHERE found IS NOT NULL
           RETURN found AS a, false AS isNew
         }
         SET a += r.set, a.assertedAt = datetime(), a.assertedBy = $by
         SET a.name = coalesce(a.a_name, a.fqdn, a.hostnames[0], a.ips[0], a.mac, a.id),
             a.kind = coalesce(a.a_kind, a.o_kind, 'unknown'),
             a.ephiRole = coalesce(a.a_ephiRole, 'unknown'),
             a.assetTag = a.a_assetTag, a.serial = a.a_serial,
             a.searchText = toLower(coalesce(a.a_name, '') + ' ' + coalesce(a.a_assetTag, '') + ' ' + coalesce(a.a_serial, '') + ' ' +
               reduce(t = '', h IN coalesce(a.hostnames, []) | t + ' ' + h) + ' ' + reduce(t = '', x IN coalesce(a.ips, []) | t + ' ' + x) + ' ' + coalesce(a.mac, ''))
         MERGE (src:Source {id: 'csv-import'})
         MERGE (a)-[sb:SEEN_BY]->(src) ON CREATE SET sb.firstSeen = datetime()
         SET sb.lastSeen = datetime()
         RETURN isNew`,
        { r, by },
      );
      if (res[0]?.isNew) created++;
      else updated++;
    }
    return { created, updated };
  });
}
