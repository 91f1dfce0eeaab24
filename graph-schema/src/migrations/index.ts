import { V1_SCHEMA } from './v1-schema.js';

/**
 * Versioned migrations, applied in order at start-up and recorded as (:SchemaMigration).
 * Each statement is idempotent, so a crash half-way is repaired by the next start.
 * Never edit a released migration: add a new one.
 */
export interface Migration {
  version: number;
  name: string;
  /** Schema statements run in auto-commit mode (constraints and indexes cannot share a transaction). */
  schema?: string[];
  /** Data statements run in one write transaction. */
  data?: string[];
}

export const MIGRATIONS: Migration[] = [
  {
    version: 1,
    name: 'constraints and indexes from the declared model',
    schema: V1_SCHEMA,
  },
  {
    version: 2,
    name: 'built-in sources',
    data: [
      `UNWIND [
         {id: 'nmap', name: 'nmap scanner', kind: 'scanner'},
         {id: 'nmap-import', name: 'nmap XML import', kind: 'importer'},
         {id: 'csv-import', name: 'CSV inventory import', kind: 'importer'},
         {id: 'flow-import', name: 'Flow log import (Zeek, CSV)', kind: 'importer'},
         {id: 'manual', name: 'People (asserted facts)', kind: 'person'},
         {id: 'demo', name: 'Demo data', kind: 'demo'}
       ] AS s
       MERGE (x:Source {id: s.id}) ON CREATE SET x.name = s.name, x.kind = s.kind`,
    ],
  },
  {
    version: 400,
    name: 'audit chain head and audit lookups',
    schema: [
      'CREATE CONSTRAINT audithead_id_key IF NOT EXISTS FOR (x:AuditHead) REQUIRE x.id IS UNIQUE',
      'CREATE INDEX auditentry_actorname_idx IF NOT EXISTS FOR (x:AuditEntry) ON (x.actorName)',
    ],
  },
  {
    version: 300,
    name: 'discovery: scan scope key, one open alert per dedupe key',
    schema: [
      'CREATE CONSTRAINT scanscope_id_key IF NOT EXISTS FOR (x:ScanScope) REQUIRE x.id IS UNIQUE',
      'CREATE CONSTRAINT alert_openKey_unique IF NOT EXISTS FOR (x:Alert) REQUIRE x.openKey IS UNIQUE',
    ],
  },
  {
    version: 500,
    name: 'map overview aggregates, one node per group-by',
    schema: ['CREATE CONSTRAINT mapaggregate_groupBy_key IF NOT EXISTS FOR (x:MapAggregate) REQUIRE x.groupBy IS UNIQUE'],
  },
  {
    version: 602,
    name: 'service provenance as properties on the Service instead of a SEEN_BY relationship per service',
    // In `schema` because it must run in auto-commit mode: a large graph holds hundreds of
    // thousands of these relationships, more than one transaction may hold in memory, so the
    // conversion commits every 2,000 services, and each statement converts at most 25,000 so it
    // ends well inside the server's transaction timeout (db.transaction.timeout=2m). Idempotent:
    // converted services have none left, so later statements find less (or nothing) to do.
    schema: Array.from(
      { length: 24 },
      () => `MATCH (s:Service) WHERE EXISTS { (s)-[:SEEN_BY]->(:Source) }
       WITH s LIMIT 25000
       CALL (s) {
         MATCH (s)-[r:SEEN_BY]->(src:Source)
         WITH s, r, src ORDER BY r.lastSeen
         WITH s, collect(src.id) AS ids, collect(r) AS rels, last(collect(r.lastRunId)) AS run
         SET s.seenBy = reduce(acc = coalesce(s.seenBy, []), x IN ids | CASE WHEN x IN acc THEN acc ELSE acc + x END),
             s.lastRunId = coalesce(s.lastRunId, run)
         FOREACH (x IN rels | DELETE x)
       } IN TRANSACTIONS OF 2000 ROWS`,
    ),
  },
  {
    version: 603,
    name: 'change events name their asset by assetId only: the ABOUT relationship per event is removed',
    // Auto-commit and batched like 602: a long-running inventory holds one per event.
    schema: Array.from(
      { length: 20 },
      () => `MATCH (:ChangeEvent)-[r:ABOUT]->(:Asset)
       WITH r LIMIT 50000
       CALL (r) { DELETE r } IN TRANSACTIONS OF 5000 ROWS`,
    ),
  },

];
