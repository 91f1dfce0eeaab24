import type { GraphClient } from './neo4j-client.js';

/**
 * Observed connections (flow logs) as CONNECTS_TO edges between assets, keyed by protocol and
 * destination port. Each import id is remembered on the edge (last 50), so a retried import job
 * does not add its bytes twice.
 */
export interface ConnectionRow {
  src: string;
  dst: string;
  protocol: string;
  port: number;
  service: string | null;
  bytes: number;
  packets: number;
  flows: number;
  firstSeen: string;
  lastSeen: string;
}

export async function upsertConnections(graph: GraphClient, importId: string, source: string, edges: ConnectionRow[]): Promise<{ edges: number; skipped: number }> {
  if (edges.length === 0) return { edges: 0, skipped: 0 };
  const rows = await graph.write(
    `UNWIND $edges AS e
     CALL (e) {
       MATCH (a:Asset)-[:HAS_INTERFACE]->(:Interface {ip: e.src}) WHERE NOT a:Retired
       RETURN a ORDER BY a.lastSeen DESC LIMIT 1
     }
     CALL (e) {
       MATCH (b:Asset)-[:HAS_INTERFACE]->(:Interface {ip: e.dst}) WHERE NOT b:Retired
       RETURN b ORDER BY b.lastSeen DESC LIMIT 1
     }
     MERGE (a)-[c:CONNECTS_TO {protocol: e.protocol, port: e.port}]->(b)
       ON CREATE SET c.bytes = 0, c.packets = 0, c.flows = 0, c.firstSeen = datetime(e.firstSeen), c.lastSeen = datetime(e.lastSeen), c.importIds = []
     WITH c, e, $importId IN c.importIds AS seen
     SET c.bytes = c.bytes + CASE WHEN seen THEN 0 ELSE e.bytes END,
         c.packets = c.packets + CASE WHEN seen THEN 0 ELSE e.packets END,
         c.flows = c.flows + CASE WHEN seen THEN 0 ELSE e.flows END,
         c.firstSeen = CASE WHEN datetime(e.firstSeen) < c.firstSeen THEN datetime(e.firstSeen) ELSE c.firstSeen END,
         c.lastSeen = CASE WHEN datetime(e.lastSeen) > c.lastSeen THEN datetime(e.lastSeen) ELSE c.lastSeen END,
         c.service = coalesce(c.service, e.service), c.source = $source,
         c.importIds = CASE WHEN seen THEN c.importIds ELSE (c.importIds + $importId)[-50..] END
     RETURN sum(CASE WHEN seen THEN 0 ELSE 1 END) AS written, sum(CASE WHEN seen THEN 1 ELSE 0 END) AS skipped`,
    { edges, importId, source },
  );
  return { edges: Number(rows[0]?.written ?? 0), skipped: Number(rows[0]?.skipped ?? 0) };
}

export interface ConnectionView {
  src: string;
  dst: string;
  protocol: string;
  port: number;
  bytes: number;
  packets: number;
  flows: number;
  firstSeen: string;
  lastSeen: string;
}

/** Connections touching an address (for tests and the CLI). */
export async function connectionsOf(graph: GraphClient, ip: string): Promise<ConnectionView[]> {
  const rows = await graph.read(
    `MATCH (a:Asset)-[:HAS_INTERFACE]->(:Interface {ip: $ip})
     MATCH (x:Asset)-[c:CONNECTS_TO]->(y:Asset) WHERE x = a OR y = a
     RETURN x.ips[0] AS src, y.ips[0] AS dst, c.protocol AS protocol, c.port AS port, c.bytes AS bytes, c.packets AS packets, c.flows AS flows,
            c.firstSeen AS firstSeen, c.lastSeen AS lastSeen
     ORDER BY src, dst, port`,
    { ip },
  );
  return rows as unknown as ConnectionView[];
}
