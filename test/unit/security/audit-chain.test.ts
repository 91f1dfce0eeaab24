import { describe, expect, it } from 'vitest';
import { canonicalJson, checkLink, entryHash, GENESIS_HASH, type AuditEntry, type AuditFields } from '../../../services/core/src/auth/audit-chain.js';

function chain(n: number): AuditEntry[] {
  const out: AuditEntry[] = [];
  for (let i = 1; i <= n; i++) {
    const f: AuditFields = {
      seq: i,
      at: `2026-01-0${i}T00:00:00.000Z`,
      actorKind: 'user',
      actorId: 'u1',
      actorName: 'ada',
      actorRole: 'admin',
      ip: '127.0.0.1',
      action: 'user.update',
      method: 'PATCH',
      route: '/api/v1/users/:id',
      params: '{"id":"u2"}',
      status: 200,
      target: 'bob',
      before: '{"role":"viewer"}',
      after: '{"role":"analyst"}',
      detail: null,
      prevHash: out.length ? out[out.length - 1]!.hash : GENESIS_HASH,
    };
    out.push({ ...f, hash: entryHash(f) });
  }
  return out;
}

function firstBreak(es: AuditEntry[]) {
  let prev: AuditEntry | null = null;
  for (const e of es) {
    const b = checkLink(prev, e);
    if (b) return b;
    prev = e;
  }
  return null;
}

describe('audit hash chain', () => {
  it('canonical JSON does not depend on key order', () => {
    expect(canonicalJson({ b: 1, a: { d: [1, { y: 2, x: 1 }], c: null } })).toBe(canonicalJson({ a: { c: null, d: [1, { x: 1, y: 2 }] }, b: 1 }));
    expect(canonicalJson({ a: 1, b: undefined })).toBe('{"a":1}');
  });

  it('an intact chain verifies', () => {
    expect(firstBreak(chain(5))).toBeNull();
  });

  it('changing any field of one entry breaks the chain at exactly that entry', () => {
    for (const field of ['action', 'actorName', 'ip', 'after', 'status', 'at'] as const) {
      const es = chain(6);
      (es[3] as unknown as Record<string, unknown>)[field] = field === 'status' ? 500 : 'forged';
      expect(firstBreak(es), field).toMatchObject({ seq: 4 });
    }
  });

  it('recomputing the hash of a changed entry is caught at the next one', () => {
    const es = chain(6);
    es[2]!.action = 'forged';
    es[2]!.hash = entryHash(es[2]!);
    expect(firstBreak(es)).toMatchObject({ seq: 4 });
  });

  it('a removed entry is named', () => {
    const es = chain(6);
    es.splice(2, 1);
    expect(firstBreak(es)).toMatchObject({ seq: 3, reason: expect.stringContaining('missing') });
  });
});
