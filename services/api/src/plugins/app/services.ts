import fp from 'fastify-plugin';
import type { AtlasConfig } from '../../../../core/src/config.js';
import { UnavailableError } from '../../../../core/src/errors.js';
import type { GraphClient } from '../../../../core/src/graph/neo4j-client.js';
import { AssetRepository } from '../../../../core/src/graph/asset-repository.js';
import { AuthRepository } from '../../../../core/src/graph/auth-repository.js';
import type { QueueHub } from '../../../../core/src/queue/queues.js';

export interface AtlasDeps {
  config: AtlasConfig;
  graph: GraphClient;
  queues: QueueHub;
}

export interface DependencyStatus {
  neo4j: { ok: boolean; latencyMs: number; error?: string; checkedAt: string };
  redis: { ok: boolean; latencyMs: number; error?: string; checkedAt: string };
}

declare module 'fastify' {
  interface FastifyInstance {
    config: AtlasConfig;
    graph: GraphClient;
    queues: QueueHub;
    repos: { assets: AssetRepository; auth: AuthRepository };
    dependencyStatus(): DependencyStatus;
  }
}

/**
 * Decorates the app with its dependencies and repositories, and watches Neo4j and Redis so
 * that requests fail fast with 503 while either is down and recover as soon as it returns.
 */
export default fp(
  async (app, deps: AtlasDeps) => {
    app.decorate('config', deps.config);
    app.decorate('graph', deps.graph);
    app.decorate('queues', deps.queues);
    app.decorate('repos', { assets: new AssetRepository(deps.graph), auth: new AuthRepository(deps.graph) });

    // The first probe waits a little for connections that are still being opened, so a freshly
    // started API does not answer 503 for its first second.
    const settleBy = Date.now() + 5_000;
    let status: DependencyStatus = await probe(deps, 1_000);
    while (!(status.neo4j.ok && status.redis.ok) && Date.now() < settleBy) {
      await new Promise((r) => setTimeout(r, 250));
      status = await probe(deps, 1_000);
    }
    let timer: NodeJS.Timeout | undefined;
    const loop = async () => {
      status = await probe(deps);
      timer = setTimeout(loop, status.neo4j.ok && status.redis.ok ? 2_000 : 500);
      timer.unref();
    };
    timer = setTimeout(loop, 1_000);
    timer.unref();
    app.decorate('dependencyStatus', () => status);
    app.addHook('onClose', async () => clearTimeout(timer));

    app.addHook('onRequest', async (req) => {
      if (!req.url.startsWith('/api/') || req.routeOptions.config?.skipDependencyCheck) return;
      if (!status.neo4j.ok) throw new UnavailableError('neo4j', 'The graph database is unavailable; try again shortly');
      if (!status.redis.ok) throw new UnavailableError('redis', 'The job queue (Redis) is unavailable; try again shortly');
    });
  },
  { name: 'services' },
);

async function probe(deps: AtlasDeps, timeoutMs = 5_000): Promise<DependencyStatus> {
  // Generous timeouts: the probe runs in the background, and a slow but working server is up.
  const [n, r] = await Promise.all([deps.graph.ping(timeoutMs), deps.queues.ping(timeoutMs)]);
  const checkedAt = new Date().toISOString();
  return { neo4j: { ...n, checkedAt }, redis: { ...r, checkedAt } };
}
