import type { FastifyInstance } from 'fastify';
import { buildServer } from '../../services/api/src/server.js';
import { AuthRepository } from '../../services/core/src/graph/auth-repository.js';
import { wipeInventory } from '../../services/core/src/graph/maintenance-repository.js';
import type { GraphClient } from '../../services/core/src/graph/neo4j-client.js';
import type { QueueHub } from '../../services/core/src/queue/queues.js';
import type { AtlasConfig } from '../../services/core/src/config.js';
import type { Role } from '../../services/core/src/auth/roles.js';
import { ROLES } from '../../services/core/src/auth/roles.js';
import { testConfig, testGraph, testQueues } from './services.js';

/**
 * A ready app on the real Neo4j and Redis, with an empty inventory and one API token per role.
 * Mirrors fastify/demo's build() helper: call close() in afterAll.
 */
export interface TestApp {
  app: FastifyInstance;
  graph: GraphClient;
  queues: QueueHub;
  config: AtlasConfig;
  tokens: Record<Role, string>;
  auth(role: Role): { authorization: string };
  close(): Promise<void>;
}

export async function buildTestApp(overrides: Record<string, string> = {}, opts: { wipe?: boolean } = {}): Promise<TestApp> {
  const config = testConfig(overrides);
  const graph = testGraph();
  await graph.waitUntilReady();
  if (opts.wipe ?? true) await wipeInventory(graph);
  const queues = testQueues(config.ATLAS_QUEUE_PREFIX);
  const app = await buildServer({ config, graph, queues, logger: false });
  const repo = new AuthRepository(graph);
  const tokens = {} as Record<Role, string>;
  for (const role of ROLES) tokens[role] = (await repo.createToken(`test-${role}`, role, 1, 'test')).token;
  return {
    app,
    graph,
    queues,
    config,
    tokens,
    auth: (role) => ({ authorization: `Bearer ${tokens[role]}` }),
    async close() {
      await app.close();
      await queues.close();
      await graph.close();
    },
  };
}
