import type { GraphClient } from './neo4j-client.js';

/** Bulk maintenance: removal of demo data, and a full wipe used by tests and `atlas reset`. */
export async function wipeInventory(graph: GraphClient): Promise<void> {
  // Batched so a large graph does not need one huge transaction.
  for (;;) {
    const rows = await graph.write(
      `MATCH (n) WHERE NOT n:SchemaMigration AND NOT n:Source
       WITH n LIMIT 10000 DETACH DELETE n RETURN count(*) AS n`,
    );
    if (Number(rows[0]?.n ?? 0) === 0) return;
  }
}

/** Removes everything the demo seeders created (every node they marked demo: true, with what hangs off demo assets). */
export async function removeDemoData(graph: GraphClient): Promise<{ assets: number; other: number }> {
  const assets = await graph.write(
    `MATCH (a:Asset {demo: true})
     OPTIONAL MATCH (a)-[:HAS_INTERFACE|HAS_SERVICE]->(x)
     OPTIONAL MATCH (e)-[:ABOUT]->(a)
     OPTIONAL MATCH (c:ChangeEvent {assetId: a.id})
     DETACH DELETE a, x, e, c RETURN count(DISTINCT a) AS n`,
  );
  const other = await graph.write('MATCH (n {demo: true}) WHERE NOT n:Asset DETACH DELETE n RETURN count(n) AS n');
  return { assets: Number(assets[0]?.n ?? 0), other: Number(other[0]?.n ?? 0) };
}
