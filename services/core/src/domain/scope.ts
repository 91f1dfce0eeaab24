import ipaddr from 'ipaddr.js';
import { ValidationError } from '../errors.js';

/**
 * Scan targets and the authorised scope. Pure: the only I/O (DNS) is an injected resolver.
 * Deny by default: a target is accepted only when every address it stands for lies inside
 * the scope, and what reaches nmap is a list of normalized address blocks, never user text.
 */
export type Family = 4 | 6;

export interface AddrRange {
  family: Family;
  start: bigint;
  end: bigint; // inclusive
}

export interface ScopeEntry extends AddrRange {
  cidr: string;
}

export type TargetKind = 'address' | 'cidr' | 'range' | 'hostname';

export interface ValidatedTarget {
  input: string;
  kind: TargetKind;
  ranges: AddrRange[];
  /** For hostnames: the addresses it resolved to (what nmap is given). */
  resolved?: string[];
}

export interface TargetProblem {
  field: string;
  target: string;
  reason: 'invalid' | 'out-of-scope' | 'too-wide' | 'unresolved' | 'empty';
  message: string;
}

export type Resolver = (hostname: string) => Promise<string[]>;

export interface ScopeCheckOptions {
  scope: ScopeEntry[];
  maxPrefixV4: number;
  maxPrefixV6?: number;
  resolve: Resolver;
  /** Field name used in error details, e.g. `targets`. */
  field?: string;
}

export const MAX_TARGETS = 256;
const HOSTNAME = /^(?=.{1,253}$)[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?(?:\.[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?)*\.?$/i;
const BITS: Record<Family, number> = { 4: 32, 6: 128 };

function toBig(addr: ipaddr.IPv4 | ipaddr.IPv6): bigint {
  return addr.toByteArray().reduce((acc, b) => (acc << 8n) | BigInt(b), 0n);
}

export function fromBig(family: Family, n: bigint): string {
  const bytes: number[] = [];
  const len = family === 4 ? 4 : 16;
  for (let i = len - 1; i >= 0; i--) bytes.push(Number((n >> BigInt(i * 8)) & 0xffn));
  return ipaddr.fromByteArray(bytes).toString();
}

/** Strict address parse: four-part decimal IPv4 (no octal, no shorthand) or IPv6 without zone. */
export function parseAddress(s: string): { family: Family; value: bigint } | null {
  if (ipaddr.IPv4.isValidFourPartDecimal(s)) return { family: 4, value: toBig(ipaddr.IPv4.parse(s)) };
  if (!s.includes('%') && ipaddr.IPv6.isValid(s)) {
    const a = ipaddr.IPv6.parse(s);
    if (a.isIPv4MappedAddress()) return { family: 4, value: toBig(a.toIPv4Address()) };
    return { family: 6, value: toBig(a) };
  }
  return null;
}

function cidrRange(s: string): (AddrRange & { prefix: number }) | null {
  const m = /^([^/]+)\/(\d{1,3})$/.exec(s);
  if (!m) return null;
  const a = parseAddress(m[1]!);
  if (!a) return null;
  const prefix = Number(m[2]);
  const bits = BITS[a.family];
  if (prefix > bits) return null;
  const host = (1n << BigInt(bits - prefix)) - 1n;
  const start = a.value & ~host & ((1n << BigInt(bits)) - 1n);
  return { family: a.family, start, end: start | host, prefix };
}

function rangeSpec(s: string): AddrRange | null {
  const m = /^(\d{1,3}(?:\.\d{1,3}){3})-(\d{1,3}(?:\.\d{1,3}){3}|\d{1,3})$/.exec(s);
  if (!m) return null;
  const a = parseAddress(m[1]!);
  if (!a || a.family !== 4) return null;
  let endText = m[2]!;
  if (!endText.includes('.')) endText = `${m[1]!.split('.').slice(0, 3).join('.')}.${endText}`;
  const b = parseAddress(endText);
  if (!b || b.family !== 4 || b.value < a.value) return null;
  return { family: 4, start: a.value, end: b.value };
}

function prefixOfRange(r: AddrRange): number {
  const size = r.end - r.start + 1n;
  let bits = 0;
  while (1n << BigInt(bits) < size) bits++;
  return BITS[r.family] - bits;
}

/** Parses the scope list (`ATLAS_SCAN_SCOPE` or the stored scope); each entry must be a CIDR or address. */
export function parseScope(list: string | string[], field = 'scope'): ScopeEntry[] {
  const items = (Array.isArray(list) ? list : list.split(',')).map((s) => s.trim()).filter(Boolean);
  const out: ScopeEntry[] = [];
  items.forEach((item, i) => {
    const r = cidrRange(item.includes('/') ? item : `${item}/${parseAddress(item)?.family === 6 ? 128 : 32}`);
    if (!r) throw new ValidationError('SCOPE_INVALID', `${field}[${i}] "${item}" is not an address or CIDR`, { field: `${field}[${i}]`, value: item });
    out.push({ family: r.family, start: r.start, end: r.end, cidr: `${fromBig(r.family, r.start)}/${r.prefix}` });
  });
  return out;
}

export function inScope(r: AddrRange, scope: ScopeEntry[]): boolean {
  return scope.some((s) => s.family === r.family && s.start <= r.start && r.end <= s.end);
}

/** Classifies one target string by grammar only (no DNS, no scope). */
export function classifyTarget(raw: string): { kind: TargetKind; ranges: AddrRange[]; prefix?: number } | null {
  if (typeof raw !== 'string' || raw.length === 0 || raw.length > 255) return null;
  if (raw !== raw.trim() || raw.startsWith('-')) return null;
  const cidr = raw.includes('/') ? cidrRange(raw) : null;
  if (cidr) return { kind: 'cidr', ranges: [{ family: cidr.family, start: cidr.start, end: cidr.end }], prefix: cidr.prefix };
  if (raw.includes('/')) return null;
  const addr = parseAddress(raw);
  if (addr) return { kind: 'address', ranges: [{ family: addr.family, start: addr.value, end: addr.value }] };
  const range = rangeSpec(raw);
  if (range) return { kind: 'range', ranges: [range] };
  // A hostname must have a letter in its last label, so a malformed address is not taken for a name.
  if (HOSTNAME.test(raw) && /[a-z]/i.test(raw.replace(/\.$/, '').split('.').pop()!)) return { kind: 'hostname', ranges: [] };
  return null;
}

/**
 * Validates every target and checks it against the scope. Throws one ValidationError that names
 * the first bad target in its message and lists every problem in `details.problems`.
 */
export async function validateTargets(targets: unknown, opts: ScopeCheckOptions): Promise<ValidatedTarget[]> {
  const field = opts.field ?? 'targets';
  const maxV6 = opts.maxPrefixV6 ?? 112;
  if (!Array.isArray(targets) || targets.length === 0) {
    throw new ValidationError('TARGETS_REQUIRED', `${field} must be a non-empty list of addresses, ranges or hostnames`, { field });
  }
  if (targets.length > MAX_TARGETS) throw new ValidationError('TOO_MANY_TARGETS', `${field} has ${targets.length} entries; at most ${MAX_TARGETS}`, { field });
  const problems: TargetProblem[] = [];
  const out: ValidatedTarget[] = [];
  for (let i = 0; i < targets.length; i++) {
    const t = targets[i] as unknown;
    const f = `${field}[${i}]`;
    const text = typeof t === 'string' ? t : JSON.stringify(t);
    const c = typeof t === 'string' ? classifyTarget(t) : null;
    if (!c) {
      problems.push({ field: f, target: text, reason: 'invalid', message: `${f} "${text}" is not an IP address, CIDR, range or hostname` });
      continue;
    }
    const target = t as string;
    let ranges = c.ranges;
    let resolved: string[] | undefined;
    if (c.kind === 'hostname') {
      let addrs: string[] = [];
      try {
        addrs = await opts.resolve(target);
      } catch {
        addrs = [];
      }
      const parsed = addrs.map(parseAddress).filter((a): a is NonNullable<typeof a> => a !== null);
      if (parsed.length === 0) {
        problems.push({ field: f, target, reason: 'unresolved', message: `${f} "${target}" does not resolve to any address` });
        continue;
      }
      ranges = parsed.map((a) => ({ family: a.family, start: a.value, end: a.value }));
      resolved = ranges.map((r) => fromBig(r.family, r.start));
    }
    const widest = Math.min(...ranges.map(prefixOfRange));
    const fam = ranges[0]!.family;
    const limit = fam === 4 ? opts.maxPrefixV4 : maxV6;
    if (widest < limit) {
      problems.push({ field: f, target, reason: 'too-wide', message: `${f} "${target}" is wider than /${limit}, the widest range allowed for IPv${fam}` });
      continue;
    }
    const outside = ranges.filter((r) => !inScope(r, opts.scope));
    if (outside.length > 0) {
      const which = c.kind === 'hostname' ? ` (resolves to ${outside.map((r) => fromBig(r.family, r.start)).join(', ')})` : '';
      problems.push({ field: f, target, reason: 'out-of-scope', message: `${f} "${target}"${which} is outside the authorised scan scope` });
      continue;
    }
    out.push({ input: target, kind: c.kind, ranges, resolved });
  }
  if (problems.length > 0) {
    const first = problems[0]!;
    const code = first.reason === 'out-of-scope' ? 'TARGET_OUT_OF_SCOPE' : first.reason === 'too-wide' ? 'TARGET_TOO_WIDE' : first.reason === 'unresolved' ? 'TARGET_UNRESOLVED' : 'TARGET_INVALID';
    throw new ValidationError(code, first.message + (problems.length > 1 ? ` (and ${problems.length - 1} more)` : ''), { field: first.field, target: first.target, problems });
  }
  return out;
}

export interface TargetChunk {
  family: Family;
  /** Normalized specs for nmap's `-iL -`: addresses or CIDR blocks, digits/dots/colons/slash only. */
  specs: string[];
  addresses: number;
}

/** Merges ranges and cuts them into chunks of at most `size` addresses, each as minimal CIDR blocks. */
export function chunkTargets(targets: ValidatedTarget[], size = 256): TargetChunk[] {
  const chunks: TargetChunk[] = [];
  for (const family of [4, 6] as Family[]) {
    const rs = targets.flatMap((t) => t.ranges).filter((r) => r.family === family).sort((a, b) => (a.start < b.start ? -1 : a.start > b.start ? 1 : 0));
    const merged: AddrRange[] = [];
    for (const r of rs) {
      const last = merged[merged.length - 1];
      if (last && r.start <= last.end + 1n) last.end = r.end > last.end ? r.end : last.end;
      else merged.push({ ...r });
    }
    let cur: TargetChunk = { family, specs: [], addresses: 0 };
    const S = BigInt(size);
    for (const r of merged) {
      let start = r.start;
      while (start <= r.end) {
        const room = S - BigInt(cur.addresses);
        const end = start + room - 1n < r.end ? start + room - 1n : r.end;
        cur.specs.push(...rangeToCidrs(family, start, end));
        cur.addresses += Number(end - start + 1n);
        start = end + 1n;
        if (cur.addresses >= size) {
          chunks.push(cur);
          cur = { family, specs: [], addresses: 0 };
        }
      }
    }
    if (cur.addresses > 0) chunks.push(cur);
  }
  return chunks;
}

export function rangeToCidrs(family: Family, start: bigint, end: bigint): string[] {
  const bits = BITS[family];
  const out: string[] = [];
  let s = start;
  while (s <= end) {
    let size = 0;
    while (size < bits && (s & ((1n << BigInt(size + 1)) - 1n)) === 0n && s + (1n << BigInt(size + 1)) - 1n <= end) size++;
    const prefix = bits - size;
    out.push(prefix === bits ? fromBig(family, s) : `${fromBig(family, s)}/${prefix}`);
    s += 1n << BigInt(size);
  }
  return out;
}

/** A spec is safe for nmap's stdin only if it is a plain address or CIDR we produced. */
export function isSafeSpec(spec: string): boolean {
  return /^[0-9a-f.:]+(\/\d{1,3})?$/i.test(spec) && !spec.startsWith('-') && classifyTarget(spec) !== null;
}
