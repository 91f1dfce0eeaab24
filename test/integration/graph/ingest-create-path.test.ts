import { describe, expect, it } from 'vitest';
import { wipeInventory } from '../../../services/core/src/graph/maintenance-repository.js';
import type { Observation } from '../../../services/core/src/domain/observation.js';
import { hostToObservation } from '../../../services/core/src/domain/observation.js';
import { INGEST_STATEMENTS, ingestObservations } from '../../../services/core/src/graph/asset-ingest-repository.js';
import type { GraphClient } from '../../../services/core/src/graph/neo4j-client.js';
import { parseNmapXmlFile } from '../../../services/discovery/src/nmap/nmap-xml-parser.js';
import { fixturePath, useWipedGraph } from './graph-helpers.js';

/**
 * A host the graph has never seen is written by one CREATE statement with every property worked
 * out beforehand; a host it knows is updated part by part with MERGE and conditional SETs. Both
 * must leave the same graph: an asset's properties, its interfaces, services, subnet links and
 * provenance may not depend on which path wrote them.
 */
async function loadHosts(files: string[]): Promise<Observation[]> {
  const out: Observation[] = [];
  for (const f of files) {
    const { hosts } = await parseNmapXmlFile(fixturePath(f));
    for (const h of hosts) {
      if (h.status !== 'up') continue;
      const o = hostToObservation(h);
      if (o) out.push(o);
    }
  }
  return out;
}

/**
 * The same host seen differently: another OS, product version and host name wherever it has one.
 * (A rescan that does not report a property keeps the stored one, so only present values vary.)
 */
function altered(o: Observation): Observation {
  return {
    ...o,
    os: o.os ? 'Altered OS 1.0' : null,
    hostnames: o.hostnames.map((h, i) => (i === 0 && h !== o.fqdn ? 'altered-name' : h)),
    services: o.services.map((s) => ({ ...s, product: s.product ? 'altered' : s.product, version: s.version ? '0.0' : s.version })),
  };
}

/** Everything an ingest writes about each asset, keyed by the asset's first address instead of its random id. */
async function snapshot(graph: GraphClient): Promise<Record<string, unknown>> {
  const rows = await graph.read(
    `MATCH (a:Asset)
     RETURN a.id AS id, properties(a) AS asset,
            [(a)-[r:SEEN_BY]->(src:Source) | {src: src.id, props: properties(r)}] AS seenBy,
            [(a)-[:HAS_INTERFACE]->(i:Interface) | {props: properties(i),
               subnets: [(i)-[:IN_SUBNET]->(sn:Subnet) | sn.cidr],
               seenBy: [(i)-[r:SEEN_BY]->(src:Source) | {src: src.id, props: properties(r)}]}] AS interfaces,
            [(a)-[:HAS_SERVICE]->(s:Service) | properties(s)] AS services`,
  );
  const out: Record<string, unknown> = {};
  for (const r of rows) {
    const id = String(r.id);
    const strip = (v: unknown): unknown => JSON.parse(JSON.stringify(v).replaceAll(id, '<asset>'));
    const byKey = (xs: unknown[], key: (x: Record<string, unknown>) => string) => [...(xs as Record<string, unknown>[])].sort((x, y) => key(x).localeCompare(key(y)));
    // How this observation matched an existing asset (or none) is not a property of the path.
    const { identityKey: _matched, ...asset } = r.asset as Record<string, unknown>;
    const label = `${String((asset.ips as string[] | undefined)?.[0] ?? asset.mac)}`;
    out[label] = strip({
      asset,
      seenBy: r.seenBy,
      interfaces: byKey(r.interfaces as unknown[], (x) => String((x.props as Record<string, unknown>).key)),
      services: byKey(r.services as unknown[], (x) => String(x.key)),
    });
  }
  return out;
}

describe('new assets are created whole (real Neo4j)', () => {
  const t = useWipedGraph();

  it('leaves exactly the graph the part-by-part update path leaves for the same hosts', async () => {
    const hosts = await loadHosts(['public/fullscan.xml', 'public/os_scan6.xml', 'lab/lab-top200-connect.xml', 'lab/lab-arp-sweep.xml']);
    expect(hosts.length).toBeGreaterThan(5);
    expect(hosts.some((h) => h.services.length > 0 && h.mac)).toBe(true);
    const ctx = { runId: 'run-1', sourceId: 'nmap-import', at: '2026-03-01T10:00:00.000Z' };

    // Created in one statement.
    const first = await ingestObservations(t.graph, ctx, hosts);
    expect(first.assetsCreated).toBeGreaterThan(0);
    expect(first.assetsUpdated).toBe(0);
    const created = await snapshot(t.graph);

    // The same hosts, first seen differently, then updated to what they are.
    await wipeInventory(t.graph);
    await ingestObservations(t.graph, ctx, hosts.map(altered));
    const second = await ingestObservations(t.graph, ctx, hosts);
    expect(second.assetsCreated).toBe(0);
    const updated = await snapshot(t.graph);

    expect(Object.keys(created).sort()).toEqual(Object.keys(updated).sort());
    for (const k of Object.keys(created)) expect(created[k], k).toEqual(updated[k]);
  });

  it('plans every batch statement index-backed on an empty graph, where the kept plan is made', async () => {
    expect(Object.keys(INGEST_STATEMENTS).length).toBeGreaterThanOrEqual(10);
    for (const [name, cypher] of Object.entries(INGEST_STATEMENTS)) {
      const ops = await t.graph.explainOperators(cypher);
      expect(ops.length, name).toBeGreaterThan(2);
      // A scan here would read every asset, interface or service once per batch: quadratic in the inventory.
      const scans = ops.filter((o) => /AllNodesScan|NodeByLabelScan|IndexScan|ScanAll/i.test(o.operator) && !/Seek/i.test(o.operator));
      expect(scans, `${name}: ${scans.map((o) => `${o.operator} ${o.details}`).join('; ')}`).toEqual([]);
    }
  });
});
