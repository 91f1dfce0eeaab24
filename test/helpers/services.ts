import { randomUUID } from 'node:crypto';
import { inject } from 'vitest';
import { loadConfig, type AtlasConfig } from '../../services/core/src/config.js';
import { GraphClient } from '../../services/core/src/graph/neo4j-client.js';
import { QueueHub } from '../../services/core/src/queue/queues.js';

/** Real clients for the servers the global setup started. */
export function testConfig(overrides: Record<string, string> = {}): AtlasConfig {
  const redis = new URL(inject('redisUrl'));
  return loadConfig({
    ATLAS_DATA_DIR: inject('dataDir'),
    NEO4J_URI: inject('neo4jUri'),
    NEO4J_USER: inject('neo4jUser'),
    NEO4J_PASSWORD: inject('neo4jPassword'),
    REDIS_URL: inject('redisUrl'),
    REDIS_PORT: redis.port,
    ATLAS_LOG_LEVEL: 'silent',
    // A fresh queue prefix per test file keeps jobs of different files apart (BullMQ's own test habit).
    ATLAS_QUEUE_PREFIX: `t${randomUUID().slice(0, 8)}`,
    ATLAS_WORKERS: '0',
    ...overrides,
  });
}

export function testGraph(): GraphClient {
  return new GraphClient({ uri: inject('neo4jUri'), user: inject('neo4jUser'), password: inject('neo4jPassword') });
}

export function testQueues(prefix = `t${randomUUID().slice(0, 8)}`): QueueHub {
  return new QueueHub(inject('redisUrl'), prefix);
}
