import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { AtlasConfig } from '../../core/src/config.js';
import { portOpen } from '../../platform/src/process-util.js';
import { connectCore } from '../../platform/src/atlas-runtime.js';

/**
 * The operator CLI talks to the same Neo4j and Redis as the running product: the URIs in the
 * environment, else the embedded servers of `npm start` (credentials read from the data folder),
 * else it starts the embedded servers itself for the duration of the command.
 */
export async function connectForCli(config: AtlasConfig) {
  const log = (m: string) => process.stderr.write(`[atlas] ${m}\n`);
  let cfg = config;
  if (!cfg.NEO4J_URI && (await portOpen('127.0.0.1', cfg.NEO4J_BOLT_PORT))) {
    const pw = join(cfg.ATLAS_DATA_DIR, 'neo4j', 'neo4j-password');
    if (existsSync(pw)) cfg = { ...cfg, NEO4J_URI: `bolt://127.0.0.1:${cfg.NEO4J_BOLT_PORT}`, NEO4J_PASSWORD: readFileSync(pw, 'utf8').trim() };
  }
  if (!cfg.REDIS_URL && (await portOpen('127.0.0.1', cfg.REDIS_PORT))) {
    const pw = join(cfg.ATLAS_DATA_DIR, 'redis', 'redis-password');
    if (existsSync(pw)) cfg = { ...cfg, REDIS_URL: `redis://:${encodeURIComponent(readFileSync(pw, 'utf8').trim())}@127.0.0.1:${cfg.REDIS_PORT}` };
  }
  const core = await connectCore(cfg, log);
  return {
    ...core,
    async close() {
      await core.queues.close();
      await core.graph.close();
      await core.services.stop();
    },
  };
}
