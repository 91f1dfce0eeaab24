import { loadConfig } from '../../services/core/src/config.js';
import { GraphClient } from '../../services/core/src/graph/neo4j-client.js';
import { QueueHub } from '../../services/core/src/queue/queues.js';
import { startWorkers } from '../../services/discovery/src/workers/index.js';

/**
 * A discovery worker in its own process, for the fault tests: configured from the environment
 * like the real one; SIGTERM closes it gracefully (kills its nmap children, hands jobs back).
 */
const config = loadConfig(process.env);
const graph = new GraphClient({ uri: config.NEO4J_URI!, user: config.NEO4J_USER, password: config.NEO4J_PASSWORD! });
const queues = new QueueHub(config.REDIS_URL!, config.ATLAS_QUEUE_PREFIX);
const workers = startWorkers(queues, graph, config, { lockDuration: Number(process.env.LAB_LOCK_MS ?? 30_000), concurrency: 1 });
process.on('SIGTERM', () => {
  const t0 = Date.now();
  void (async () => {
    await workers.close();
    await queues.close();
    await graph.close();
    process.stdout.write(`closed in ${Date.now() - t0} ms\n`);
    process.exit(0);
  })();
});
process.stdout.write('ready\n');
