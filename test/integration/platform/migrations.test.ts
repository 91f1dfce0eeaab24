import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { migrate } from '../../../graph-schema/src/migrate.js';
import { MIGRATIONS } from '../../../graph-schema/src/migrations/index.js';
import { NODES } from '../../../graph-schema/src/schema.js';
import type { GraphClient } from '../../../services/core/src/graph/neo4j-client.js';
import { testGraph } from '../../helpers/services.js';

describe('graph schema migrations', () => {
  let graph: GraphClient;
  beforeAll(async () => {
    graph = testGraph();
    await graph.waitUntilReady();
  });
  afterAll(async () => graph.close());

  it('are recorded in the graph and a second run applies nothing', async () => {
    await migrate(graph);
    const again = await migrate(graph);
    expect(again.applied).toEqual([]);
    expect(again.alreadyApplied).toEqual(MIGRATIONS.map((m) => m.version).sort((a, b) => a - b));
    const rows = await graph.read('MATCH (m:SchemaMigration) RETURN m.version AS v ORDER BY v');
    expect(rows.map((r) => r.v)).toEqual(again.alreadyApplied);
  });

  it('create a uniqueness constraint for every declared node key', async () => {
    const rows = await graph.read("SHOW CONSTRAINTS YIELD labelsOrTypes, properties, type WHERE type = 'UNIQUENESS' RETURN labelsOrTypes[0] AS label, properties[0] AS prop");
    const have = new Set(rows.map((r) => `${r.label}.${r.prop}`));
    for (const n of Object.values(NODES)) expect(have, `${n.label}.${n.key}`).toContain(`${n.label}.${n.key}`);
  });

  it('refuse to run when a released migration was edited', async () => {
    const edited = MIGRATIONS.map((m) => (m.version === 2 ? { ...m, data: [...(m.data ?? []), 'RETURN 1'] } : m));
    await expect(migrate(graph, edited)).rejects.toThrow(/migration 2 .* changed after it was applied/);
  });
});
