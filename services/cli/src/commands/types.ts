import type { AtlasConfig } from '../../../core/src/config.js';
import type { GraphClient } from '../../../core/src/graph/neo4j-client.js';
import type { QueueHub } from '../../../core/src/queue/queues.js';

export interface CliContext {
  config: AtlasConfig;
  graph: GraphClient;
  queues: QueueHub;
}

export interface CliCommand {
  group: string;
  name: string;
  summary: string;
  usage: string;
  options?: Record<string, { type: 'string' | 'boolean'; short?: string }>;
  run(ctx: CliContext, opts: Record<string, string | boolean | undefined>, args: string[]): Promise<number>;
}
