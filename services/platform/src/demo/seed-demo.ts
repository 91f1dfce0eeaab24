import type { GraphClient } from '../../../core/src/graph/neo4j-client.js';
import { finishRun, ingestHosts, startRun } from '../../../core/src/graph/asset-ingest-repository.js';
import { demoHosts } from './demo-network.js';

/** Loads the demo network through the same ingestion path as a real scan. Idempotent. */
export async function seedDemo(graph: GraphClient): Promise<{ assets: number }> {
  const runId = 'run-demo-seed';
  const at = new Date().toISOString();
  await startRun(graph, { id: runId, sourceId: 'demo', kind: 'demo-seed' });
  const counts = await ingestHosts(graph, { runId, sourceId: 'demo', at, demo: true }, demoHosts());
  await finishRun(graph, runId, { status: 'completed', counts });
  return { assets: counts.hosts };
}
