import type { ConnectionRow } from '../../../core/src/graph/connection-ingest-repository.js';
import { createInterface } from 'node:readline';
import { Readable } from 'node:stream';
import { ValidationError } from '../../../core/src/errors.js';
import { parseAddress } from '../../../core/src/domain/scope.js';

/**
 * Flow logs: Zeek conn.log as TSV (with `#fields` header) or JSON lines, and a plain flow CSV
 * (`src,dst,dst_port,proto,bytes,packets,first_seen,last_seen`; header required, order free).
 * Every bad line is a ValidationError naming the line and the field.
 */
export interface FlowRecord {
  src: string;
  dst: string;
  dstPort: number | null;
  proto: string;
  service: string | null;
  bytes: number;
  packets: number;
  firstSeen: number; // epoch ms
  lastSeen: number;
}

export type FlowFormat = 'zeek-tsv' | 'zeek-json' | 'flow-csv';

const CSV_FIELDS = ['src', 'dst', 'dst_port', 'proto', 'bytes', 'packets', 'first_seen', 'last_seen'] as const;

function bad(line: number, field: string, message: string): never {
  throw new ValidationError('FLOW_LOG_INVALID', `line ${line}, field ${field}: ${message}`, { line, field });
}

function addr(v: unknown, line: number, field: string): string {
  if (typeof v !== 'string' || !parseAddress(v)) bad(line, field, `"${String(v)}" is not an IP address`);
  return v as string;
}

function num(v: unknown, line: number, field: string, opts: { optional?: boolean } = {}): number {
  if (v === undefined || v === null || v === '-' || v === '(empty)' || v === '') {
    if (opts.optional) return 0;
    bad(line, field, 'is missing');
  }
  const n = typeof v === 'number' ? v : Number(v);
  if (!Number.isFinite(n) || n < 0) bad(line, field, `"${String(v)}" is not a non-negative number`);
  return n;
}

function time(v: unknown, line: number, field: string): number {
  if (typeof v === 'number' || (typeof v === 'string' && /^\d+(\.\d+)?$/.test(v))) {
    const s = Number(v);
    return Math.round(s > 1e11 ? s : s * 1000); // seconds (Zeek) or milliseconds
  }
  if (typeof v === 'string' && !Number.isNaN(Date.parse(v))) return Date.parse(v);
  return bad(line, field, `"${String(v)}" is not a time (epoch seconds or ISO-8601)`);
}

function port(v: unknown, line: number, field: string): number | null {
  if (v === undefined || v === null || v === '-' || v === '') return null;
  const n = Number(v);
  if (!Number.isInteger(n) || n < 0 || n > 65535) bad(line, field, `"${String(v)}" is not a port`);
  return n;
}

function proto(v: unknown, line: number, field: string): string {
  const p = String(v ?? '').toLowerCase();
  if (!/^(tcp|udp|icmp|sctp|icmp6)$/.test(p)) bad(line, field, `"${String(v)}" is not tcp, udp, icmp or sctp`);
  return p;
}

function fromZeek(o: Record<string, unknown>, line: number): FlowRecord {
  const first = time(o.ts, line, 'ts');
  const duration = o.duration === undefined || o.duration === '-' ? 0 : num(o.duration, line, 'duration');
  const svc = o.service;
  return {
    src: addr(o['id.orig_h'], line, 'id.orig_h'),
    dst: addr(o['id.resp_h'], line, 'id.resp_h'),
    dstPort: port(o['id.resp_p'], line, 'id.resp_p'),
    proto: proto(o.proto, line, 'proto'),
    service: typeof svc === 'string' && svc !== '-' && svc !== '' ? svc : null,
    bytes: num(o.orig_bytes, line, 'orig_bytes', { optional: true }) + num(o.resp_bytes, line, 'resp_bytes', { optional: true }),
    packets: num(o.orig_pkts, line, 'orig_pkts', { optional: true }) + num(o.resp_pkts, line, 'resp_pkts', { optional: true }),
    firstSeen: first,
    lastSeen: first + Math.round(duration * 1000),
  };
}

/** Yields one record per flow line; throws on the first bad line. */
export async function* parseFlowLog(input: NodeJS.ReadableStream | AsyncIterable<string | Buffer>, maxLines = Number.POSITIVE_INFINITY): AsyncGenerator<FlowRecord & { format: FlowFormat }> {
  const rl = createInterface({ input: Readable.from(input as AsyncIterable<Buffer>), crlfDelay: Infinity });
  let format: FlowFormat | null = null;
  let fields: string[] | null = null;
  let sep = '\t';
  let n = 0;
  let records = 0;
  for await (const raw of rl) {
    n++;
    const lineText = raw.replace(/^\uFEFF/, '');
    if (lineText.trim() === '') continue;
    if (format === null) format = lineText.startsWith('#') ? 'zeek-tsv' : lineText.trimStart().startsWith('{') ? 'zeek-json' : 'flow-csv';
    if (format === 'zeek-tsv') {
      if (lineText.startsWith('#separator')) {
        sep = lineText.slice('#separator'.length).trim().replace(/\\x([0-9a-f]{2})/gi, (_m, h: string) => String.fromCharCode(parseInt(h, 16)));
        continue;
      }
      if (lineText.startsWith('#fields')) {
        fields = lineText.split(sep).slice(1);
        for (const f of ['ts', 'id.orig_h', 'id.resp_h', 'proto']) if (!fields.includes(f)) bad(n, f, 'the #fields header lacks this column');
        continue;
      }
      if (lineText.startsWith('#')) continue;
      if (!fields) bad(n, '#fields', 'data before the #fields header');
      const vals = lineText.split(sep);
      const o: Record<string, unknown> = {};
      fields.forEach((f, i) => (o[f] = vals[i]));
      yield { ...fromZeek(o, n), format };
    } else if (format === 'zeek-json') {
      let o: unknown;
      try {
        o = JSON.parse(lineText);
      } catch {
        bad(n, 'json', 'not a JSON object');
      }
      if (!o || typeof o !== 'object' || Array.isArray(o)) bad(n, 'json', 'not a JSON object');
      yield { ...fromZeek(o as Record<string, unknown>, n), format };
    } else {
      const vals = lineText.split(',').map((s) => s.trim());
      if (!fields) {
        fields = vals.map((v) => v.toLowerCase());
        for (const f of ['src', 'dst', 'proto', 'first_seen']) if (!fields.includes(f)) bad(n, f, `the CSV header lacks this column (expected ${CSV_FIELDS.join(',')})`);
        continue;
      }
      const o: Record<string, string | undefined> = {};
      fields.forEach((f, i) => (o[f] = vals[i]));
      const first = time(o.first_seen, n, 'first_seen');
      yield {
        format,
        src: addr(o.src, n, 'src'),
        dst: addr(o.dst, n, 'dst'),
        dstPort: port(o.dst_port, n, 'dst_port'),
        proto: proto(o.proto, n, 'proto'),
        service: null,
        bytes: num(o.bytes, n, 'bytes', { optional: true }),
        packets: num(o.packets, n, 'packets', { optional: true }),
        firstSeen: first,
        lastSeen: o.last_seen ? time(o.last_seen, n, 'last_seen') : first,
      };
    }
    if (++records >= maxLines) return;
  }
  if (records === 0) throw new ValidationError('FLOW_LOG_EMPTY', 'the flow log has no flow lines', { line: n });
}

/** One aggregated connection, as the connection repository stores it. */
export type ConnectionEdge = ConnectionRow;

/** Aggregates flows per (src, dst, protocol, port). */
export function aggregateFlows(records: Iterable<FlowRecord>): ConnectionEdge[] {
  const m = new Map<string, ConnectionEdge & { f: number; l: number }>();
  for (const r of records) {
    const port = r.dstPort ?? 0;
    const k = `${r.src}|${r.dst}|${r.proto}|${port}`;
    const e = m.get(k);
    if (e) {
      e.bytes += r.bytes;
      e.packets += r.packets;
      e.flows++;
      e.f = Math.min(e.f, r.firstSeen);
      e.l = Math.max(e.l, r.lastSeen);
      e.service ??= r.service;
    } else {
      m.set(k, { src: r.src, dst: r.dst, protocol: r.proto, port, service: r.service, bytes: r.bytes, packets: r.packets, flows: 1, firstSeen: '', lastSeen: '', f: r.firstSeen, l: r.lastSeen });
    }
  }
  return [...m.values()].map(({ f, l, ...e }) => ({ ...e, firstSeen: new Date(f).toISOString(), lastSeen: new Date(l).toISOString() }));
}
