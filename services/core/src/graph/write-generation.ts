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

/**
 * One write's mark on the counter (a write transaction, with its retries, or an auto-commit
 * statement): `see` each statement before it runs, `end` once it is over, whatever the outcome.
 * GraphClient does this for every write, so no caller has to remember it.
 */
export class WriteMark {
  private touched = false;

  see(cypher: string): void {
    if (!this.touched && !isInventoryNeutral(cypher)) {
      this.touched = true;
      generation += 1;
    }
  }

  end(): void {
    if (this.touched) generation += 1;
  }
}
