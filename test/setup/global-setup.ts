import { resolve } from 'node:path';
import type { TestProject } from 'vitest/node';
import { loadConfig } from '../../services/core/src/config.js';
import { provideServices, type ProvidedServices } from '../../services/platform/src/services-provider.js';
import { GraphClient } from '../../services/core/src/graph/neo4j-client.js';
import { migrate } from '../../graph-schema/src/migrate.js';

/**
 * Provisions the real Neo4j and Redis once per test run (own ports and data folder, so a
 * running `npm start` is never touched) and hands their addresses to the tests via inject().
 */
declare module 'vitest' {
  export interface ProvidedContext {
    neo4jUri: string;
    neo4jUser: string;
    neo4jPassword: string;
    redisUrl: string;
    dataDir: string;
  }
}

let services: ProvidedServices | undefined;

export default async function setup(project: TestProject) {
  const dataDir = resolve(process.env.ATLAS_TEST_DATA_DIR ?? '.atlas/test');
  const cfg = loadConfig({
    ...process.env,
    ATLAS_DATA_DIR: dataDir,
    NEO4J_BOLT_PORT: process.env.ATLAS_TEST_NEO4J_PORT ?? '17687',
    REDIS_PORT: process.env.ATLAS_TEST_REDIS_PORT ?? '16379',
    NEO4J_HEAP: '1g',
    NEO4J_PAGECACHE: '256m',
  });
  const t0 = Date.now();
  services = await provideServices(cfg, (m) => console.log(`[test-services] ${m}`));
  const graph = new GraphClient(services.neo4j);
  await graph.waitUntilReady(90_000);
  await migrate(graph);
  await graph.close();
  console.log(`[test-services] Neo4j (${services.neo4j.provider}) and Redis (${services.redisProvider}) ready in ${((Date.now() - t0) / 1000).toFixed(1)} s`);
  project.provide('neo4jUri', services.neo4j.uri);
  project.provide('neo4jUser', services.neo4j.user);
  project.provide('neo4jPassword', services.neo4j.password);
  project.provide('redisUrl', services.redisUrl);
  project.provide('dataDir', dataDir);
  return async () => {
    await services?.stop();
  };
}
