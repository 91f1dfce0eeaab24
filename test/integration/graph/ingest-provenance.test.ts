import { describe, expect, it } from 'vitest';
import { MIGRATIONS } from '../../../graph-schema/src/migrations/index.js';
import { ingestObservations } from '../../../services/core/src/graph/asset-ingest-repository.js';
import type { Observation } from '../../../services/core/src/domain/observation.js';
import { assetByIp, dumpGraph, importFixture, observation, useWipedGraph } from './graph-helpers.js';

/** One host with nginx on the given ports; only the fields a test varies are given. */
function host(ip: string, ports: number[], extra: Partial<Observation> = {}): Observation {
  return observation(ip, {
    services: ports.map((port) => ({ protocol: 'tcp', port, state: 'open', name: 'http', product: 'nginx', version: '1.24', cpe: [], scriptIds: [] })),
    ...extra,
  } as unknown as Partial<Observation>);
}

describe('ingest provenance and rescans (real Neo4j)', () => {
  const t = useWipedGraph();

  it('records service provenance on the service: the sources that reported it and the run that last saw it', async () => {
    const r1 = await importFixture(t.graph, 'public/2_hosts_version.xml'); // Feb 24 2013 21:28
    const r2 = await importFixture(t.graph, 'public/2_tcp_hosts.xml'); // Feb 24 2013 21:44, same host, later
    const [scanme] = await assetByIp(t.graph, '74.207.244.221');
    const svc = await t.graph.read(
      'MATCH (:Asset {id: $id})-[:HAS_SERVICE]->(s:Service {port: 22}) RETURN s.seenBy AS seenBy, s.lastRunId AS run, s.firstSeen AS first, s.lastSeen AS last, COUNT { (s)-[:SEEN_BY]->() } AS rels',
      { id: scanme!.id },
    );
    expect(svc).toEqual([{ seenBy: ['nmap-import'], run: r2.runId, first: '2013-02-24T20:28:09.000Z', last: '2013-02-24T20:44:46.000Z', rels: 0 }]);
    expect(r1.runId).not.toBe(r2.runId);
  });

  it('a second source adds itself to the service provenance without moving what the first one saw', async () => {
    const at = '2026-03-01T10:00:00.000Z';
    await ingestObservations(t.graph, { runId: 'run-a', sourceId: 'nmap-import', at }, [host('10.9.0.5', [80, 443])]);
    await ingestObservations(t.graph, { runId: 'run-b', sourceId: 'csv-import', at: '2026-03-01T09:00:00.000Z' }, [host('10.9.0.5', [80])]);
    const rows = await t.graph.read("MATCH (a:Asset)-[:HAS_SERVICE]->(s:Service) WHERE '10.9.0.5' IN a.ips RETURN s.port AS port, s.seenBy AS seenBy, s.lastRunId AS run, s.firstSeen AS first, s.lastSeen AS last ORDER BY port");
    expect(rows).toEqual([
      { port: 80, seenBy: ['nmap-import', 'csv-import'], run: 'run-a', first: '2026-03-01T09:00:00.000Z', last: at },
      { port: 443, seenBy: ['nmap-import'], run: 'run-a', first: at, last: at },
    ]);
    const perSource = await t.graph.read("MATCH (a:Asset)-[r:SEEN_BY]->(src:Source) WHERE '10.9.0.5' IN a.ips RETURN src.id AS src, r.lastRunId AS run ORDER BY src");
    expect(perSource).toEqual([{ src: 'csv-import', run: 'run-b' }, { src: 'nmap-import', run: 'run-a' }]);
  });

  it('a later rescan of identical hosts moves only lastSeen and the run that last saw them', async () => {
    const hosts = [host('10.9.0.7', [22, 80], { hostnames: ['pacs-01'] } as Partial<Observation>), host('10.9.0.8', [443])];
    await ingestObservations(t.graph, { runId: 'run-1', sourceId: 'nmap-import', at: '2026-03-01T10:00:00.000Z' }, hosts);
    const before = await dumpGraph(t.graph);
    const counts = await ingestObservations(t.graph, { runId: 'run-2', sourceId: 'nmap-import', at: '2026-03-02T10:00:00.000Z' }, hosts);
    expect(counts).toMatchObject({ assetsCreated: 0, assetsUpdated: 2, changes: 0 });
    const after = await dumpGraph(t.graph);
    // Undo exactly the expected moves; everything else must be byte-identical.
    const normalise = (s: string) => s.replaceAll('2026-03-02T10:00:00.000Z', '2026-03-01T10:00:00.000Z').replaceAll('run-2', 'run-1');
    expect(after.nodes.map(normalise).sort()).toEqual(before.nodes);
    expect(after.rels.map(normalise).sort()).toEqual(before.rels);
    expect(after.nodes.filter((n) => n.includes('2026-03-02T10:00:00.000Z')).length).toBe(2 + 2 + 3); // assets, interfaces, services
    const [pacs] = await assetByIp(t.graph, '10.9.0.7');
    expect(pacs).toMatchObject({ name: 'pacs-01', lastSeen: '2026-03-02T10:00:00.000Z', lastRunId: 'run-2', firstSeen: '2026-03-01T10:00:00.000Z' });
  });

  it('a rescan after an asset was marked missed brings it back up', async () => {
    await ingestObservations(t.graph, { runId: 'run-1', sourceId: 'nmap-import', at: '2026-03-01T10:00:00.000Z' }, [host('10.9.0.9', [80])]);
    await t.graph.write("MATCH (a:Asset) WHERE '10.9.0.9' IN a.ips SET a.status = 'missed'");
    await ingestObservations(t.graph, { runId: 'run-2', sourceId: 'nmap-import', at: '2026-03-01T10:00:00.000Z' }, [host('10.9.0.9', [80])]);
    const [a] = await assetByIp(t.graph, '10.9.0.9');
    expect(a!.status).toBe('up');
  });

  it('migration 602 turns SEEN_BY relationships of services into properties, keeping the latest run', async () => {
    await ingestObservations(t.graph, { runId: 'run-1', sourceId: 'nmap-import', at: '2026-03-01T10:00:00.000Z' }, [host('10.9.0.10', [80])]);
    // The shape an older version wrote: one SEEN_BY per service and source, no properties.
    await t.graph.write(
      `MATCH (s:Service) WHERE s.key ENDS WITH '|tcp/80' REMOVE s.seenBy, s.lastRunId
       WITH s MATCH (a:Source {id: 'nmap-import'}), (b:Source {id: 'csv-import'})
       CREATE (s)-[:SEEN_BY {firstSeen: datetime('2026-01-01T00:00:00Z'), lastSeen: datetime('2026-03-01T10:00:00Z'), lastRunId: 'run-new'}]->(a)
       CREATE (s)-[:SEEN_BY {firstSeen: datetime('2026-01-01T00:00:00Z'), lastSeen: datetime('2026-02-01T10:00:00Z'), lastRunId: 'run-old'}]->(b)`,
    );
    const migration = MIGRATIONS.find((m) => m.version === 602)!;
    for (const s of migration.schema ?? []) await t.graph.runAutoCommit(s);
    for (const s of migration.schema ?? []) await t.graph.runAutoCommit(s); // idempotent
    const rows = await t.graph.read("MATCH (s:Service) WHERE s.key ENDS WITH '|tcp/80' RETURN s.seenBy AS seenBy, s.lastRunId AS run, COUNT { (s)-[:SEEN_BY]->() } AS rels");
    expect(rows).toEqual([{ seenBy: ['csv-import', 'nmap-import'], run: 'run-new', rels: 0 }]);
  });

  it('migration 603 removes the ABOUT links older versions wrote per change event; the asset history still lists the events', async () => {
    await ingestObservations(t.graph, { runId: 'run-1', sourceId: 'nmap-import', at: '2026-03-01T10:00:00.000Z' }, [host('10.9.0.11', [80])]);
    await ingestObservations(t.graph, { runId: 'run-2', sourceId: 'nmap-import', at: '2026-03-02T10:00:00.000Z' }, [host('10.9.0.11', [80, 443])]);
    // The shape an older version wrote: each event linked to its asset.
    await t.graph.write("MATCH (c:ChangeEvent), (a:Asset) WHERE c.assetId = a.id AND '10.9.0.11' IN a.ips CREATE (c)-[:ABOUT]->(a)");
    expect((await t.graph.read('MATCH (:ChangeEvent)-[r:ABOUT]->() RETURN count(r) AS n'))[0]!.n).toBe(2);
    const migration = MIGRATIONS.find((m) => m.version === 603)!;
    for (const s of migration.schema ?? []) await t.graph.runAutoCommit(s);
    expect((await t.graph.read('MATCH (:ChangeEvent)-[r:ABOUT]->() RETURN count(r) AS n'))[0]!.n).toBe(0);
    const events = await t.graph.read("MATCH (a:Asset) WHERE '10.9.0.11' IN a.ips MATCH (c:ChangeEvent {assetId: a.id}) RETURN c.type AS type ORDER BY c.at");
    expect(events.map((e) => e.type)).toEqual(['asset-new', 'port-opened']);
  });
});
