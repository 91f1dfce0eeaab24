import { readdirSync } from 'node:fs';
import { fileURLToPath, pathToFileURL } from 'node:url';
import type { GraphClient } from '../../../core/src/graph/neo4j-client.js';
import { finishRun, ingestHosts, startRun } from '../../../core/src/graph/asset-ingest-repository.js';
import { demoHosts } from './demo-network.js';

/**
 * Loads the demo network through the same ingestion path as a real scan, then every
 * `demo-*.ts` module beside this file (flows, vendors, people, AI systems, alerts …) in name
 * order; each exports `seed(graph)` and must be idempotent.
 */
export async function seedDemo(graph: GraphClient): Promise<{ assets: number }> {
  const runId = 'run-demo-seed';
  const at = new Date().toISOString();
  await startRun(graph, { id: runId, sourceId: 'demo', kind: 'demo-seed' });
  const counts = await ingestHosts(graph, { runId, sourceId: 'demo', at, demo: true }, demoHosts());
  await finishRun(graph, runId, { status: 'completed', counts });
  const dir = fileURLToPath(new URL('.', import.meta.url));
  for (const f of readdirSync(dir).filter((n) => /^demo-.+\.(ts|js)$/.test(n) && !n.startsWith('demo-network')).sort()) {
    const mod = (await import(pathToFileURL(`${dir}/${f}`).href)) as { seed?: (g: GraphClient) => Promise<void> };
    if (mod.seed) await mod.seed(graph);
  }
  return { assets: counts.hosts };
}
