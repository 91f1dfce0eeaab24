import { createHash } from 'node:crypto';
import { MIGRATIONS, type Migration } from './migrations/index.js';
import { schemaStatements } from './schema.js';

/** The minimal surface the runner needs, so graph-schema does not depend on the driver. */
export interface MigrationTarget {
  runAutoCommit(cypher: string, params?: Record<string, unknown>): Promise<Record<string, unknown>[]>;
  write(cypher: string, params?: Record<string, unknown>): Promise<Record<string, unknown>[]>;
  read(cypher: string, params?: Record<string, unknown>): Promise<Record<string, unknown>[]>;
}

export function checksum(m: Migration): string {
  return createHash('sha256')
    .update(JSON.stringify({ schema: m.schema ?? [], data: m.data ?? [] }))
    .digest('hex')
    .slice(0, 16);
}

export interface MigrationReport {
  applied: number[];
  alreadyApplied: number[];
  /** Constraint/index statements of the declared model that were (re)asserted after the migrations. */
  declaredSchema: number;
}

/**
 * Applies every migration not yet recorded. The record is written after the statements, so a
 * crash between them re-runs idempotent statements rather than skipping them. A recorded
 * migration whose checksum changed stops the start: released migrations are immutable.
 */
export async function migrate(db: MigrationTarget, migrations: Migration[] = MIGRATIONS): Promise<MigrationReport> {
  // The constraint on SchemaMigration.version is itself part of migration 1; make sure the label exists first.
  const rows = await db.read('MATCH (m:SchemaMigration) RETURN m.version AS version, m.checksum AS checksum');
  const done = new Map(rows.map((r) => [Number(r.version), String(r.checksum)]));
  const report: MigrationReport = { applied: [], alreadyApplied: [], declaredSchema: 0 };
  for (const m of [...migrations].sort((a, b) => a.version - b.version)) {
    const sum = checksum(m);
    const prior = done.get(m.version);
    if (prior !== undefined) {
      if (prior !== sum) throw new Error(`migration ${m.version} (${m.name}) changed after it was applied (checksum ${prior} → ${sum})`);
      report.alreadyApplied.push(m.version);
      continue;
    }
    for (const s of m.schema ?? []) await db.runAutoCommit(s);
    for (const s of m.data ?? []) await db.write(s);
    await db.write(
      'MERGE (m:SchemaMigration {version: $version}) ON CREATE SET m.name = $name, m.checksum = $checksum, m.appliedAt = datetime()',
      { version: m.version, name: m.name, checksum: sum },
    );
    report.applied.push(m.version);
  }
  // The declared model is synced on every start: a label or index added to schema.ts gets its
  // constraint without anyone editing a released migration. Every statement is IF NOT EXISTS.
  if (migrations === MIGRATIONS) {
    for (const s of schemaStatements()) await db.runAutoCommit(s);
    report.declaredSchema = schemaStatements().length;
  }
  return report;
}
