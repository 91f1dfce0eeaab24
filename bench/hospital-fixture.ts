/**
 * Loads what a scan cannot know onto assets that an ingest already created: the generator's
 * kinds, ePHI roles, AI flags, staleness, sites, subnets, vendors, ePHI flows and observed
 * connections. It is a bench fixture (raw driver, big batches, not measured), matched by IP
 * through Interface.ip, which is how every ingest path in the product records an address.
 */
import type { Driver } from 'neo4j-driver';
import { hospitalAssets, hospitalConnections, hospitalFlows, type HospitalPlan } from '../services/platform/src/generator/hospital-network.js';

const BATCH = 5000;

async function inBatches<T>(items: Iterable<T>, size: number, run: (batch: T[]) => Promise<void>): Promise<void> {
  let batch: T[] = [];
  for (const item of items) {
    batch.push(item);
    if (batch.length >= size) {
      await run(batch);
      batch = [];
    }
  }
  if (batch.length) await run(batch);
}

export async function loadHospitalFixture(driver: Driver, plan: HospitalPlan, opts: { connectionsPerAsset?: number } = {}): Promise<{ annotated: number; flows: number; connections: number }> {
  const q = (cypher: string, params: Record<string, unknown>) => driver.executeQuery(cypher, params, { database: 'neo4j' });
  await q(
    `UNWIND $sites AS s MERGE (x:Site {id: s.id}) SET x.name = s.name, x.kind = s.kind, x.benchFixture = true`,
    { sites: plan.sites },
  );
  await q(
    `UNWIND $vendors AS v MERGE (x:Vendor {id: v.id})
     SET x.name = v.name, x.isBusinessAssociate = v.isBusinessAssociate, x.baaSigned = v.baaSigned,
         x.baaEffective = CASE WHEN v.baaEffective IS NULL THEN null ELSE date(v.baaEffective) END,
         x.baaExpires = CASE WHEN v.baaExpires IS NULL THEN null ELSE date(v.baaExpires) END,
         x.isAiService = v.isAiService, x.domains = v.domains, x.benchFixture = true`,
    { vendors: plan.vendors.map(({ role: _role, ...v }) => v) },
  );
  await q(`UNWIND $subnets AS s MERGE (x:Subnet {cidr: s.cidr}) SET x.zone = s.zone, x.siteId = s.siteId`, { subnets: plan.subnets });

  let annotated = 0;
  await inBatches(hospitalAssets(plan), BATCH, async (batch) => {
    const res = await q(
      `UNWIND $rows AS r
       MATCH (i:Interface {ip: r.ip})<-[:HAS_INTERFACE]-(a:Asset)
       WITH r, i, a
       SET a.kind = r.kind, a.a_kind = r.kind, a.ephiRole = r.ephiRole, a.a_ephiRole = r.ephiRole, a.isAi = r.isAi,
           a.subnetCidr = r.subnet, a.firstSeen = datetime(r.firstSeen), a.lastSeen = datetime(r.lastSeen),
           a.status = CASE WHEN r.stale THEN 'stale' ELSE 'up' END
       FOREACH (_ IN CASE WHEN r.dataStore THEN [1] ELSE [] END | SET a:DataStore)
       FOREACH (_ IN CASE WHEN r.isAi THEN [1] ELSE [] END | SET a:AISystem)
       WITH r, i, a
       MATCH (site:Site {id: r.siteId}), (net:Subnet {cidr: r.subnet})
       MERGE (a)-[:LOCATED_AT]->(site)
       MERGE (i)-[:IN_SUBNET]->(net)
       WITH r, a
       OPTIONAL MATCH (v:Vendor {id: r.vendorId})
       FOREACH (_ IN CASE WHEN v IS NULL THEN [] ELSE [1] END | MERGE (a)-[:SUPPLIED_BY]->(v))
       RETURN count(DISTINCT a) AS n`,
      { rows: batch.map((a) => ({ ip: a.ip, kind: a.kind, ephiRole: a.ephiRole, isAi: a.isAi, dataStore: a.dataStore, subnet: a.subnet, siteId: a.siteId, vendorId: a.vendorId, firstSeen: a.firstSeen, lastSeen: a.lastSeen, stale: a.stale })) },
    );
    annotated += Number(res.records[0]?.get('n') ?? 0);
  });

  const flows = hospitalFlows(plan);
  const at = plan.options.now;
  for (const [fromKind, toKind] of [['asset', 'asset'], ['asset', 'vendor'], ['vendor', 'asset']] as const) {
    const rows = flows.filter((f) => fromKind in f.from && toKind in f.to).map((f) => ({ ...f, from: Object.values(f.from)[0], to: Object.values(f.to)[0] }));
    const end = (kind: 'asset' | 'vendor', name: string, param: string) =>
      kind === 'asset' ? `MATCH (:Interface {ip: ${param}})<-[:HAS_INTERFACE]-(${name}:Asset)` : `MATCH (${name}:Vendor {id: ${param}})`;
    await inBatches(rows, BATCH, async (batch) => {
      await q(
        `UNWIND $rows AS f
         ${end(fromKind, 'x', 'f.from')}
         ${end(toKind, 'y', 'f.to')}
         MERGE (x)-[e:EPHI_FLOW {id: f.id}]->(y)
         SET e.dataCategories = f.dataCategories, e.protocol = f.protocol, e.port = f.port, e.encryptedInTransit = f.encryptedInTransit,
             e.purpose = f.purpose, e.origin = f.origin, e.createdAt = datetime($at), e.updatedAt = datetime($at)`,
        { rows: batch, at },
      );
    });
  }

  // CREATE, not MERGE: the fixture always runs on a graph an ingest has just rebuilt.
  let connections = 0;
  await inBatches(hospitalConnections(plan, opts.connectionsPerAsset ?? 5), 20_000, async (batch) => {
    const res = await q(
      `UNWIND $rows AS c
       MATCH (:Interface {ip: c.from})<-[:HAS_INTERFACE]-(x:Asset)
       MATCH (:Interface {ip: c.to})<-[:HAS_INTERFACE]-(y:Asset)
       CREATE (x)-[e:CONNECTS_TO {protocol: c.protocol, port: c.port}]->(y)
       SET e.bytes = c.bytes, e.packets = c.packets, e.firstSeen = datetime($at), e.lastSeen = datetime($at), e.source = 'bench'
       RETURN count(*) AS n`,
      { rows: batch, at },
    );
    connections += Number(res.records[0]?.get('n') ?? 0);
  });
  return { annotated, flows: flows.length, connections };
}

/** Asset ids for a few IPs (sources of reach queries). */
export async function assetIdsByIp(driver: Driver, ips: string[]): Promise<string[]> {
  const res = await driver.executeQuery(
    `UNWIND $ips AS ip MATCH (:Interface {ip: ip})<-[:HAS_INTERFACE]-(a:Asset) RETURN DISTINCT a.id AS id`,
    { ips },
    { database: 'neo4j' },
  );
  return res.records.map((r) => String(r.get('id')));
}
