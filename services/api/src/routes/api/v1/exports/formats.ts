import { PassThrough, Readable } from 'node:stream';
import ExcelJS from 'exceljs';

/**
 * Streaming writers for the exports. Each takes an async row source and returns a stream that
 * pulls rows only as fast as the client reads, so memory stays flat whatever the row count.
 */
const FORMULA_START = /^[=+\-@\t\r]/;

/** A CSV cell, safe to open in a spreadsheet: text that a spreadsheet would run as a formula is prefixed with a quote. */
export function csvCell(v: unknown): string {
  if (v === null || v === undefined) return '';
  let s = Array.isArray(v) ? v.map((x) => String(x)).join('; ') : String(v);
  if (typeof v !== 'number' && FORMULA_START.test(s)) s = `'${s}`;
  return /[",\r\n]/.test(s) ? `"${s.replace(/"/g, '""')}"` : s;
}

export function csvLine(values: unknown[]): string {
  return `${values.map(csvCell).join(',')}\r\n`;
}

/** Reads the first row before answering, so an error (database down) is still a proper JSON error. */
export async function primed<T>(rows: AsyncGenerator<T>): Promise<AsyncGenerator<T>> {
  const first = await rows.next();
  return (async function* () {
    if (first.done) return;
    yield first.value;
    yield* rows;
  })();
}

export function csvStream<T extends Record<string, unknown>>(columns: readonly (readonly [string, string])[], rows: AsyncGenerator<T>): Readable {
  return Readable.from(
    (async function* () {
      yield `\uFEFF${csvLine(columns.map(([, header]) => header))}`;
      for await (const row of rows) yield csvLine(columns.map(([key]) => row[key]));
    })(),
  );
}

export function jsonStream<T>(head: Record<string, unknown>, rows: AsyncGenerator<T>): Readable {
  return Readable.from(
    (async function* () {
      const opening = JSON.stringify(head);
      yield `${opening.slice(0, -1)}${opening.length > 2 ? ',' : ''}"items":[`;
      let first = true;
      for await (const row of rows) {
        yield `${first ? '' : ','}\n${JSON.stringify(row)}`;
        first = false;
      }
      yield '\n]}\n';
    })(),
  );
}

/** XLSX through exceljs' streaming WorkbookWriter: rows are committed (written out) one by one. */
export function xlsxStream<T extends Record<string, unknown>>(sheet: string, columns: readonly (readonly [string, string])[], rows: AsyncGenerator<T>, onError: (e: unknown) => void): Readable {
  const out = new PassThrough();
  const wb = new ExcelJS.stream.xlsx.WorkbookWriter({ stream: out, useStyles: false, useSharedStrings: false });
  const ws = wb.addWorksheet(sheet);
  ws.columns = columns.map(([key, header]) => ({ header, key, width: Math.max(12, header.length + 2) }));
  void (async () => {
    try {
      for await (const row of rows) {
        const values: Record<string, unknown> = {};
        for (const [key] of columns) {
          const v = row[key];
          values[key] = v === null || v === undefined ? null : Array.isArray(v) ? v.join('; ') : typeof v === 'object' ? JSON.stringify(v) : v;
        }
        ws.addRow(values).commit();
        if (out.writableNeedDrain) await new Promise((r) => out.once('drain', r));
      }
      ws.commit();
      await wb.commit();
    } catch (e) {
      onError(e);
      out.destroy(e as Error);
    }
  })();
  return out;
}

const xml = (s: unknown) =>
  String(s ?? '')
    .replace(/&/g, '&amp;')
    .replace(/</g, '&lt;')
    .replace(/>/g, '&gt;')
    .replace(/"/g, '&quot;')
    // eslint-disable-next-line no-control-regex
    .replace(/[\u0000-\u0008\u000B\u000C\u000E-\u001F]/g, '');

export const GRAPHML_NODE_KEYS = ['type', 'label', 'kind', 'ephiRole', 'isAi', 'status', 'ips'] as const;
export const GRAPHML_EDGE_KEYS = ['type', 'protocol', 'port', 'encryptedInTransit', 'dataCategories'] as const;

export function graphmlStream(elements: AsyncGenerator<{ node: Record<string, unknown> } | { edge: Record<string, unknown> }>): Readable {
  return Readable.from(
    (async function* () {
      yield '<?xml version="1.0" encoding="UTF-8"?>\n<graphml xmlns="http://graphml.graphdrawing.org/xmlns">\n';
      for (const k of GRAPHML_NODE_KEYS) yield `  <key id="n_${k}" for="node" attr.name="${k}" attr.type="string"/>\n`;
      for (const k of GRAPHML_EDGE_KEYS) yield `  <key id="e_${k}" for="edge" attr.name="${k}" attr.type="string"/>\n`;
      yield '  <graph id="ephi-atlas" edgedefault="directed">\n';
      const data = (prefix: string, keys: readonly string[], o: Record<string, unknown>) =>
        keys
          .filter((k) => o[k] !== null && o[k] !== undefined)
          .map((k) => `<data key="${prefix}_${k}">${xml(Array.isArray(o[k]) ? (o[k] as unknown[]).join(';') : o[k])}</data>`)
          .join('');
      for await (const el of elements) {
        if ('node' in el) yield `    <node id="${xml(el.node.id)}">${data('n', GRAPHML_NODE_KEYS, el.node)}</node>\n`;
        else yield `    <edge id="${xml(el.edge.id)}" source="${xml(el.edge.source)}" target="${xml(el.edge.target)}">${data('e', GRAPHML_EDGE_KEYS, el.edge)}</edge>\n`;
      }
      yield '  </graph>\n</graphml>\n';
    })(),
  );
}
