/**
 * The discovery workers alone, in their own process, on servers that already run (NEO4J_URI,
 * NEO4J_PASSWORD, REDIS_URL in the environment): what `npm start` runs, minus the API, so the
 * bench can read this process's RSS while it ingests. Prints "ready" once consuming.
 */
import { loadConfig } from '../services/core/src/config.js';
import { startRuntime } from '../services/platform/src/atlas-runtime.js';

const rt = await startRuntime(loadConfig(), { api: false, workers: true });
console.log('ready');
const stop = async () => {
  await rt.stop();
  process.exit(0);
};
process.on('SIGTERM', () => void stop());
process.on('SIGINT', () => void stop());
