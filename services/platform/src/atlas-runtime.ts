import type { FastifyInstance } from 'fastify';
import type { AtlasConfig } from '../../core/src/config.js';
import { GraphClient } from '../../core/src/graph/neo4j-client.js';
import { QueueHub } from '../../core/src/queue/queues.js';
import { migrate } from '../../../graph-schema/src/migrate.js';
import { buildServer } from '../../api/src/server.js';
import { startWorkers, type RunningWorkers } from '../../discovery/src/workers/index.js';
import { provideServices, type ProvidedServices } from './services-provider.js';

/**
 * Composition root: provisions (or connects to) Neo4j and Redis, applies the graph schema, then
 * starts the API and the discovery workers. Stop order is the reverse: stop taking requests,
 * let workers finish or hand back their jobs, close clients, then stop the servers we started.
 */
export interface Runtime {
  config: AtlasConfig;
  services: ProvidedServices;
  graph: GraphClient;
  queues: QueueHub;
  server?: FastifyInstance;
  workers?: RunningWorkers;
  stop(): Promise<void>;
}

export interface RuntimeOptions {
  api?: boolean;
  workers?: boolean;
  log?: (m: string) => void;
  logger?: boolean | object;
}

export async function connectCore(config: AtlasConfig, log: (m: string) => void = () => {}): Promise<Pick<Runtime, 'config' | 'services' | 'graph' | 'queues'>> {
  const services = await provideServices(config, log);
  const graph = new GraphClient(services.neo4j);
  try {
    await graph.waitUntilReady(90_000);
    const m = await migrate(graph);
    if (m.applied.length) log(`graph schema: applied migrations ${m.applied.join(', ')}`);
  } catch (err) {
    await graph.close();
    await services.stop();
    throw err;
  }
  const queues = new QueueHub(services.redisUrl, config.ATLAS_QUEUE_PREFIX);
  return { config, services, graph, queues };
}

export async function startRuntime(config: AtlasConfig, opts: RuntimeOptions = {}): Promise<Runtime> {
  const log = opts.log ?? (() => {});
  const core = await connectCore(config, log);
  let server: FastifyInstance | undefined;
  let workers: RunningWorkers | undefined;
  let stopping: Promise<void> | undefined;
  const stop = () =>
    (stopping ??= (async () => {
      if (server) await server.close().catch(() => {});
      if (workers) await workers.close().catch(() => {});
      await core.queues.close().catch(() => {});
      await core.graph.close().catch(() => {});
      await core.services.stop();
    })());
  try {
    if (opts.workers ?? config.ATLAS_WORKERS) workers = startWorkers(core.queues, core.graph, config);
    if (opts.api ?? true) {
      server = await buildServer({ config, graph: core.graph, queues: core.queues, logger: opts.logger });
      await server.listen({ host: config.ATLAS_HOST, port: config.ATLAS_PORT });
    }
  } catch (err) {
    await stop();
    throw err;
  }
  return { ...core, server, workers, stop };
}
