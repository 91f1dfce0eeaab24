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

export async function removeDemoData(graph: GraphClient): Promise<number> {
  const rows = await graph.write('MATCH (a:Asset {demo: true}) OPTIONAL MATCH (a)-[:HAS_INTERFACE|HAS_SERVICE]->(x) DETACH DELETE a, x RETURN count(DISTINCT a) AS n');
  return Number(rows[0]?.n ?? 0);
}
