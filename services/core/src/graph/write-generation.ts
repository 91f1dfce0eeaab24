import { GraphClient, type Params, type Tx } from './neo4j-client.js';

/**
 * A process-wide counter of graph writes that may change what the inventory shows, so a cache of
 * inventory reads can tell, without asking Neo4j, whether anything was written since it read.
 *
 * Every write transaction and auto-commit statement of every GraphClient in this process bumps the
 * counter once before its first statement that could touch the inventory and once more after it
 * ends (committed, rolled back or failed). A reader takes the counter before it queries and keeps
 * its result only while the counter is unchanged: a write that started before or during the read
 * makes the result unusable, and a write that committed before a request arrived has already
 * moved the counter past every entry read before it.
 *
 * Statements whose every label and relationship type is one that no inventory page shows
 * (API tokens' lastUsedAt on each request, the audit chain, runs, sources, schema records) do not
 * bump it. The check is conservative: anything it cannot classify counts as an inventory write.
 *
 * Writes made by another process (a separate worker role, the CLI) are not seen here; caches bound
 * how long they may go unseen with a maximum age.
 */
const NEUTRAL_LABELS = new Set([
  'ApiToken',
  'User',
  'AuditEntry',
  'AuditHead',
  'Source',
  'ScanRun',
  'FROM_SOURCE',
  'ScanDefinition',
  'ScanScope',
  'SchemaMigration',
  'MapAggregate',
  'Snapshot',
  'IngestLock',
]);

let generation = 0;

/** The current write generation of this process. */
export function inventoryGeneration(): number {
  return generation;
}

/** True when the statement names only labels/types outside the inventory (so it cannot change a page). */
export function isInventoryNeutral(cypher: string): boolean {
  const tokens = cypher.match(/:\s*`?[A-Za-z_][A-Za-z0-9_]*/g);
  if (!tokens) return false;
  return tokens.every((t) => NEUTRAL_LABELS.has(t.replace(/^:\s*`?/, '')));
}

type Proto = {
  executeWrite<T>(work: (tx: Tx) => Promise<T>): Promise<T>;
  runAutoCommit(cypher: string, params?: Params): Promise<Record<string, unknown>[]>;
  __inventoryGeneration?: boolean;
};

function install(): void {
  const proto = GraphClient.prototype as unknown as Proto;
  if (proto.__inventoryGeneration) return;
  proto.__inventoryGeneration = true;
  const executeWrite = proto.executeWrite;
  proto.executeWrite = async function <T>(this: GraphClient, work: (tx: Tx) => Promise<T>): Promise<T> {
    let touched = false;
    try {
      return (await executeWrite.call(this, (tx: Tx) =>
        work({
          run(cypher: string, params?: Params) {
            if (!touched && !isInventoryNeutral(cypher)) {
              touched = true;
              generation += 1;
            }
            return tx.run(cypher, params);
          },
        }),
      )) as T;
    } finally {
      if (touched) generation += 1;
    }
  } as Proto['executeWrite'];
  const runAutoCommit = proto.runAutoCommit;
  proto.runAutoCommit = async function (this: GraphClient, cypher: string, params?: Params) {
    const touched = !isInventoryNeutral(cypher);
    if (touched) generation += 1;
    try {
      return await runAutoCommit.call(this, cypher, params);
    } finally {
      if (touched) generation += 1;
    }
  };
}

install();
