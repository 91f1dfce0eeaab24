import type { AtlasConfig } from '../../core/src/config.js';
import { startNeo4j } from './neo4j-server.js';
import { startRedis } from './redis-server.js';

/**
 * Where Neo4j and Redis come from: the URIs in the environment when set; testcontainers when a
 * Docker engine exists and ATLAS_TEST_SERVICES=testcontainers; otherwise the embedded default,
 * real servers started as child processes from the project's own provisioning.
 */
export interface ProvidedServices {
  neo4j: { uri: string; user: string; password: string; provider: string };
  redisUrl: string;
  redisProvider: string;
  neo4jPid?: number;
  redisPid?: number;
  stop(): Promise<void>;
}

export async function provideServices(cfg: AtlasConfig, log: (m: string) => void = () => {}): Promise<ProvidedServices> {
  const stops: (() => Promise<void>)[] = [];
  const stopAll = async () => {
    for (const s of stops.reverse()) await s().catch(() => {});
  };
  try {
    let neo4j: ProvidedServices['neo4j'];
    let neo4jPid: number | undefined;
    let redisUrl: string;
    let redisProvider: string;
    let redisPid: number | undefined;
    if (cfg.NEO4J_URI) {
      neo4j = { uri: cfg.NEO4J_URI, user: cfg.NEO4J_USER, password: cfg.NEO4J_PASSWORD!, provider: 'external' };
    } else if (cfg.ATLAS_TEST_SERVICES === 'testcontainers') {
      const { Neo4jContainer } = await import('@testcontainers/neo4j');
      const c = await new Neo4jContainer('neo4j:5.26-community').withPassword('atlas-test-password').start();
      stops.push(async () => void (await c.stop()));
      neo4j = { uri: c.getBoltUri(), user: c.getUsername(), password: c.getPassword(), provider: 'testcontainers' };
    } else {
      const n = await startNeo4j({
        cacheDir: cfg.ATLAS_CACHE_DIR,
        dataDir: cfg.ATLAS_DATA_DIR,
        boltPort: cfg.NEO4J_BOLT_PORT,
        heap: cfg.NEO4J_HEAP,
        pageCache: cfg.NEO4J_PAGECACHE,
        log,
      });
      stops.push(() => n.stop());
      neo4j = { uri: n.uri, user: n.user, password: n.password, provider: 'embedded' };
      neo4jPid = n.pid;
    }
    if (cfg.REDIS_URL) {
      redisUrl = cfg.REDIS_URL;
      redisProvider = 'external';
    } else if (cfg.ATLAS_TEST_SERVICES === 'testcontainers') {
      const { RedisContainer } = await import('@testcontainers/redis');
      const c = await new RedisContainer('redis:7').withCommand(['redis-server', '--appendonly', 'yes', '--maxmemory-policy', 'noeviction']).start();
      stops.push(async () => void (await c.stop()));
      redisUrl = c.getConnectionUrl();
      redisProvider = 'testcontainers';
    } else {
      const r = await startRedis({ dataDir: cfg.ATLAS_DATA_DIR, port: cfg.REDIS_PORT, log });
      stops.push(() => r.stop());
      redisUrl = r.url;
      redisProvider = 'embedded';
      redisPid = r.pid;
    }
    return { neo4j, redisUrl, redisProvider, neo4jPid, redisPid, stop: stopAll };
  } catch (err) {
    await stopAll();
    throw err;
  }
}
