import { createHash } from 'node:crypto';

/**
 * The audit log's hash chain. Each entry's hash is sha256(previous hash + canonical JSON of the
 * entry's fields); canonical JSON sorts object keys, so the hash does not depend on key order.
 */
export interface AuditFields {
  seq: number;
  at: string;
  actorKind: 'user' | 'token' | 'cli' | 'system' | 'anonymous';
  actorId: string | null;
  actorName: string | null;
  actorRole: string | null;
  ip: string | null;
  action: string;
  method: string | null;
  route: string | null;
  params: string | null;
  status: number | null;
  target: string | null;
  before: string | null;
  after: string | null;
  detail: string | null;
  prevHash: string;
}

export interface AuditEntry extends AuditFields {
  hash: string;
}

export const AUDIT_FIELDS: (keyof AuditFields)[] = [
  'seq', 'at', 'actorKind', 'actorId', 'actorName', 'actorRole', 'ip', 'action', 'method', 'route', 'params', 'status', 'target', 'before', 'after', 'detail', 'prevHash',
];

export const GENESIS_HASH = '0'.repeat(64);

export function canonicalJson(v: unknown): string {
  if (v === null || v === undefined) return 'null';
  if (Array.isArray(v)) return `[${v.map(canonicalJson).join(',')}]`;
  if (typeof v === 'object') {
    const o = v as Record<string, unknown>;
    return `{${Object.keys(o)
      .filter((k) => o[k] !== undefined)
      .sort()
      .map((k) => `${JSON.stringify(k)}:${canonicalJson(o[k])}`)
      .join(',')}}`;
  }
  return JSON.stringify(v);
}

export function entryHash(f: AuditFields): string {
  const picked: Record<string, unknown> = {};
  for (const k of AUDIT_FIELDS) picked[k] = f[k] ?? null;
  return createHash('sha256').update(f.prevHash).update(canonicalJson(picked)).digest('hex');
}

/** Serialises a before/after/detail value for storage; null stays null. */
export function auditJson(v: unknown): string | null {
  return v === undefined || v === null ? null : canonicalJson(v);
}

export interface ChainBreak {
  seq: number;
  reason: string;
}

/** Checks one entry against the one before it (null for the first entry). */
export function checkLink(prev: AuditEntry | null, e: AuditEntry): ChainBreak | null {
  const expectedSeq = prev ? prev.seq + 1 : 1;
  if (e.seq !== expectedSeq) return { seq: expectedSeq, reason: `entry ${expectedSeq} is missing (next stored entry is ${e.seq})` };
  const expectedPrev = prev ? prev.hash : GENESIS_HASH;
  if (e.prevHash !== expectedPrev) return { seq: e.seq, reason: `entry ${e.seq} does not point at the hash of entry ${e.seq - 1}` };
  if (entryHash(e) !== e.hash) return { seq: e.seq, reason: `entry ${e.seq} was changed after it was written (hash mismatch)` };
  return null;
}
