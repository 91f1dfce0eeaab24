import { randomUUID } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { parse } from 'csv-parse';
import type { Job } from 'bullmq';
import { ASSET_KINDS, EPHI_ROLES, TRI_STATE } from '../../../../graph-schema/src/schema.js';
import { parseAddress } from '../../../core/src/domain/scope.js';
import { ValidationError } from '../../../core/src/errors.js';
import { applyInventory, INVENTORY_ASSERTED, planInventory, type InventoryField, type InventoryRow } from '../../../core/src/graph/inventory-import-repository.js';
import type { GraphClient } from '../../../core/src/graph/neo4j-client.js';
import type { QueueHub } from '../../../core/src/queue/queues.js';
import { removeUpload, saveUpload, uploadPath } from './upload-store.js';

/**
 * CSV asset inventories (the spreadsheets people already have). A column mapping says which
 * column holds which field; every row is validated before anything is written, and the write is
 * one transaction. A dry run reports, per row, the asset it matches and what would change.
 */
export const CSV_FIELDS = ['ip', 'mac', 'hostname', ...INVENTORY_ASSERTED] as const;
export type CsvField = (typeof CSV_FIELDS)[number];
export type CsvMapping = Partial<Record<CsvField, string>>;

export interface CsvImportJobData {
  kind: 'csv';
  path: string;
  mapping: CsvMapping;
  dryRun: boolean;
  requestedBy?: string;
  filename?: string;
}

export interface CsvRowError {
  row: number;
  column: string;
  field: string;
  message: string;
}

const ENUMS: Partial<Record<InventoryField, readonly string[]>> = {
  kind: ASSET_KINDS,
  ephiRole: EPHI_ROLES,
  encryptionAtRest: TRI_STATE,
  encryptionInTransit: TRI_STATE,
  mfa: TRI_STATE,
  criticality: ['low', 'medium', 'high', 'critical'],
};
const MAX_ROWS = 100_000;
const MAX_ERRORS = 100;

export function parseMapping(raw: string | undefined): CsvMapping {
  if (!raw) return {};
  let m: unknown;
  try {
    m = JSON.parse(raw);
  } catch {
    throw new ValidationError('CSV_MAPPING_INVALID', 'mapping must be a JSON object such as {"ip":"IP Address","name":"Hostname"}', { field: 'mapping' });
  }
  if (!m || typeof m !== 'object' || Array.isArray(m)) throw new ValidationError('CSV_MAPPING_INVALID', 'mapping must be a JSON object', { field: 'mapping' });
  for (const [k, v] of Object.entries(m)) {
    if (!(CSV_FIELDS as readonly string[]).includes(k)) throw new ValidationError('CSV_MAPPING_INVALID', `mapping.${k} is not a field; fields are ${CSV_FIELDS.join(', ')}`, { field: `mapping.${k}` });
    if (typeof v !== 'string' || v.length === 0 || v.length > 200) throw new ValidationError('CSV_MAPPING_INVALID', `mapping.${k} must be a column name`, { field: `mapping.${k}` });
  }
  return m as CsvMapping;
}

const norm = (s: string) => s.toLowerCase().replace(/[^a-z0-9]/g, '');

/** Reads and validates the whole file; throws one ValidationError listing row/column errors. */
export async function readInventoryCsv(path: string, mapping: CsvMapping): Promise<InventoryRow[]> {
  const parser = createReadStream(path).pipe(parse({ bom: true, relax_column_count: true, skip_empty_lines: true, trim: true }));
  let header: string[] | null = null;
  let cols: Partial<Record<CsvField, number>> = {};
  const rows: InventoryRow[] = [];
  const errors: CsvRowError[] = [];
  const tags = new Map<string, number>();
  let line = 0;
  try {
    for await (const rec of parser as AsyncIterable<string[]>) {
      line++;
      if (!header) {
        header = rec;
        for (const f of CSV_FIELDS) {
          const wanted = mapping[f];
          const idx = wanted !== undefined ? header.findIndex((h) => h === wanted) : header.findIndex((h) => norm(h) === norm(f));
          if (wanted !== undefined && idx < 0) throw new ValidationError('CSV_MAPPING_INVALID', `mapping.${f}: the file has no column "${wanted}"`, { field: `mapping.${f}`, columns: header });
          if (idx >= 0) cols[f] = idx;
        }
        if (cols.ip === undefined && cols.mac === undefined && cols.assetTag === undefined && cols.serial === undefined) {
          throw new ValidationError('CSV_MAPPING_INVALID', 'no identifying column: map at least one of ip, mac, assetTag, serial', { field: 'mapping', columns: header });
        }
        continue;
      }
      if (rows.length >= MAX_ROWS) throw new ValidationError('CSV_TOO_LARGE', `at most ${MAX_ROWS} rows per import`, { row: line });
      const err = (f: CsvField, message: string) => errors.length < MAX_ERRORS && errors.push({ row: line, column: header![cols[f]!] ?? f, field: f, message });
      const get = (f: CsvField) => {
        const i = cols[f];
        const v = i === undefined ? '' : (rec[i] ?? '');
        return v === '' ? null : v;
      };
      let ip = get('ip');
      if (ip && !parseAddress(ip)) {
        err('ip', `"${ip}" is not an IP address`);
        ip = null;
      }
      let mac = get('mac');
      if (mac) {
        if (!/^([0-9a-f]{2}[:-]){5}[0-9a-f]{2}$/i.test(mac)) err('mac', `"${mac}" is not a MAC address`);
        mac = mac.toUpperCase().replace(/-/g, ':');
      }
      const set: InventoryRow['set'] = {};
      for (const f of INVENTORY_ASSERTED) {
        const v = get(f);
        if (v === null) continue;
        const allowed = ENUMS[f];
        if (allowed && !allowed.includes(v)) err(f, `"${v}" is not one of ${allowed.join(', ')}`);
        else if (v.length > (f === 'notes' ? 4000 : 200)) err(f, 'is too long');
        else set[f] = v;
      }
      if (!ip && !mac && !set.assetTag && !set.serial) err(cols.ip !== undefined ? 'ip' : 'assetTag', 'the row has no ip, mac, asset tag or serial to identify the asset');
      if (set.assetTag) {
        const prev = tags.get(set.assetTag);
        if (prev) err('assetTag', `asset tag "${set.assetTag}" is also on row ${prev}`);
        tags.set(set.assetTag, line);
      }
      rows.push({ row: line, ip, mac, hostname: get('hostname'), set });
    }
  } catch (e) {
    if (e instanceof ValidationError) throw e;
    throw new ValidationError('CSV_MALFORMED', `line ${line + 1}: ${(e as Error).message}`, { row: line + 1 });
  }
  if (!header) throw new ValidationError('CSV_EMPTY', 'the CSV file has no header row');
  if (errors.length) {
    const f = errors[0]!;
    throw new ValidationError('CSV_INVALID', `row ${f.row}, column "${f.column}": ${f.message}${errors.length > 1 ? ` (and ${errors.length - 1} more)` : ''}`, { row: f.row, column: f.column, errors });
  }
  if (rows.length === 0) throw new ValidationError('CSV_EMPTY', 'the CSV file has no data rows');
  return rows;
}

export async function acceptCsvUpload(queues: QueueHub, dataDir: string, body: NodeJS.ReadableStream, meta: { mapping: CsvMapping; dryRun: boolean; filename?: string; requestedBy?: string }): Promise<string> {
  await queues.assertAvailable();
  const jobId = queues.newJobId('import', randomUUID());
  const path = uploadPath(dataDir, jobId, 'csv');
  await saveUpload(body, path);
  try {
    await readInventoryCsv(path, meta.mapping);
  } catch (err) {
    await removeUpload(path);
    throw err;
  }
  const data: CsvImportJobData = { kind: 'csv', path, mapping: meta.mapping, dryRun: meta.dryRun, filename: meta.filename, requestedBy: meta.requestedBy };
  try {
    return await queues.add('import', 'csv', data, { jobId });
  } catch (err) {
    await removeUpload(path);
    throw err;
  }
}

export async function processCsvImport(job: Job<CsvImportJobData>, graph: GraphClient) {
  const rows = await readInventoryCsv(job.data.path, job.data.mapping);
  if (job.data.dryRun) {
    const plan = await planInventory(graph, rows);
    return {
      dryRun: true,
      rows: rows.length,
      wouldCreate: plan.filter((p) => !p.assetId).length,
      wouldUpdate: plan.filter((p) => p.assetId && Object.keys(p.changes).length > 0).length,
      unchanged: plan.filter((p) => p.assetId && Object.keys(p.changes).length === 0).length,
      plan: plan.slice(0, 500),
    };
  }
  const r = await applyInventory(graph, rows, job.data.requestedBy ?? 'csv-import');
  return { dryRun: false, rows: rows.length, created: r.created, updated: r.updated };
}
