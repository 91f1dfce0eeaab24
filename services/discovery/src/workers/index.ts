import type { AtlasConfig } from '../../../core/src/config.js';
import type { GraphClient } from '../../../core/src/graph/neo4j-client.js';
import type { QueueHub } from '../../../core/src/queue/queues.js';
import { startClassificationWorker } from './classification-worker.js';
import { startImportWorker } from './import-worker.js';

export interface RunningWorkers {
  close(): Promise<void>;
}

/** Starts every discovery worker this process runs. Schedules are NOT upserted here (see DESIGN.md). */
export function startWorkers(queues: QueueHub, graph: GraphClient, config: AtlasConfig): RunningWorkers {
  const workers = [startImportWorker(queues, graph, config.ATLAS_WORKER_CONCURRENCY)];
  workers.push(startClassificationWorker(queues, graph, config) as unknown as (typeof workers)[number]);
  return {
    async close() {
      await Promise.allSettled(workers.map((w) => w.close()));
    },
  };
}
