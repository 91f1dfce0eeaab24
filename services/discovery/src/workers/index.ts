import type { AtlasConfig } from '../../../core/src/config.js';
import type { GraphClient } from '../../../core/src/graph/neo4j-client.js';
import type { QueueHub } from '../../../core/src/queue/queues.js';
import { AlertNotifier, parseWebhookUrls } from '../alerts/alert-notifier.js';
import { startClassificationWorker } from './classification-worker.js';
import { startImportWorker } from './import-worker.js';
import { startMaintenanceWorker } from './maintenance-worker.js';
import { startScanWorker, type ScanWorkerOptions } from './scan-worker.js';

export interface RunningWorkers {
  close(): Promise<void>;
}

export function alertNotifier(graph: GraphClient, queues: QueueHub, config: AtlasConfig): AlertNotifier {
  return new AlertNotifier(graph, queues, { urls: parseWebhookUrls(config.ATLAS_ALERT_WEBHOOKS), secret: config.ATLAS_ALERT_WEBHOOK_SECRET });
}

/** Starts every discovery worker this process runs. Schedules are NOT upserted here (see DESIGN.md). */
export function startWorkers(queues: QueueHub, graph: GraphClient, config: AtlasConfig, scan: ScanWorkerOptions = {}): RunningWorkers {
  const notifier = alertNotifier(graph, queues, config);
  const scanWorker = startScanWorker(queues, graph, config, notifier, { concurrency: config.ATLAS_WORKER_CONCURRENCY, ...scan });
  const workers = [startImportWorker(queues, graph, config.ATLAS_WORKER_CONCURRENCY, config.ATLAS_IDENTITY_IP_WINDOW_HOURS), startMaintenanceWorker(queues, graph, config, notifier)];
  workers.push(startClassificationWorker(queues, graph, config) as unknown as (typeof workers)[number]);
  return {
    async close() {
      // Scan first: it kills its nmap children so the other workers are not kept waiting.
      await scanWorker.close();
      await Promise.allSettled(workers.map((w) => w.close()));
    },
  };
}
