import { parseArgs } from 'node:util';
import closeWithGrace from 'close-with-grace';
import { ConfigError, loadConfig } from '../../core/src/config.js';
import { startRuntime } from './atlas-runtime.js';

/**
 * Entry point for deployments where Neo4j and Redis run elsewhere (docker-compose): one process
 * per role, `--role api` (HTTP only) or `--role worker` (discovery workers only), or both.
 */
const { values } = parseArgs({ options: { role: { type: 'string', default: 'all' } } });
const role = values.role;
if (!['api', 'worker', 'all'].includes(role ?? '')) {
  console.error('--role must be api, worker or all');
  process.exit(2);
}
let config;
try {
  config = loadConfig();
} catch (err) {
  console.error(err instanceof ConfigError ? err.message : err);
  process.exit(2);
}
if (!config.NEO4J_URI || !config.REDIS_URL) {
  console.error('serve.ts expects NEO4J_URI/NEO4J_PASSWORD and REDIS_URL; use `npm start` for the embedded default');
  process.exit(2);
}
const rt = await startRuntime(config, { api: role !== 'worker', workers: role !== 'api', log: (m) => console.log(`[atlas] ${m}`) });
console.log(`[atlas] ${role} ready`);
closeWithGrace({ delay: 60_000 }, async ({ signal, err }) => {
  if (err) console.error(err);
  console.log(`[atlas] ${signal ?? 'error'}: shutting down`);
  await rt.stop();
});
