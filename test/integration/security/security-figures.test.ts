import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { hashPassword, verifyPassword } from '../../../services/core/src/auth/secrets.js';
import { AuthRepository } from '../../../services/core/src/graph/auth-repository.js';
import { AuditRepository } from '../../../services/core/src/graph/audit-repository.js';
import { buildTestApp, type TestApp } from '../../helpers/app.js';
import { login } from './session-helpers.js';

/** Measured costs of the security features, printed for README (Security); correctness is asserted, timings are not. */
const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;

describe('security figures', () => {
  let t: TestApp;
  const figures: Record<string, string> = {};
  beforeAll(async () => {
    t = await buildTestApp({ ATLAS_LOGIN_RATE_PER_MINUTE: '10000' });
  });
  afterAll(async () => {
    console.log(`[security-figures] ${JSON.stringify(figures)}`);
    await t?.close();
  });

  it('argon2id hashing and a password sign-in', async () => {
    const h: number[] = [];
    const v: number[] = [];
    let stored = '';
    for (let i = 0; i < 8; i++) {
      let t0 = performance.now();
      stored = await hashPassword('Measure-Password-1');
      h.push(performance.now() - t0);
      t0 = performance.now();
      expect(await verifyPassword(stored, 'Measure-Password-1')).toBe(true);
      v.push(performance.now() - t0);
    }
    await new AuthRepository(t.graph).createUser('meter', 'Measure-Password-1', 'viewer');
    const l: number[] = [];
    for (let i = 0; i < 10; i++) {
      const t0 = performance.now();
      expect((await login(t.app, 'meter', 'Measure-Password-1')).res.statusCode).toBe(200);
      l.push(performance.now() - t0);
    }
    figures.argon2HashMs = median(h).toFixed(1);
    figures.argon2VerifyMs = median(v).toFixed(1);
    figures.loginMedianMs = median(l).toFixed(1);
  });

  it('audit appends (sequential and 20 concurrent writers) and verification', async () => {
    const repo = new AuditRepository(t.graph);
    let t0 = performance.now();
    for (let i = 0; i < 100; i++) await repo.append({ actorKind: 'system', action: 'measure.sequential', detail: { i } });
    figures.auditAppendSequentialMs = ((performance.now() - t0) / 100).toFixed(2);
    t0 = performance.now();
    const n = 300;
    let next = 0;
    await Promise.all(
      Array.from({ length: 20 }, async () => {
        while (next < n) {
          next++;
          await repo.append({ actorKind: 'system', action: 'measure.concurrent' });
        }
      }),
    );
    figures.auditAppendsPerSecond20Writers = (n / ((performance.now() - t0) / 1000)).toFixed(0);
    t0 = performance.now();
    const r = await repo.verify();
    figures.auditVerifyEntries = String(r.count);
    figures.auditVerifyMs = (performance.now() - t0).toFixed(0);
    expect(r.ok).toBe(true);
    expect(r.count).toBeGreaterThanOrEqual(400);

    // What a mutation costs with its audit entry, against a read that writes none.
    const m: number[] = [];
    const g: number[] = [];
    for (let i = 0; i < 20; i++) {
      let s = performance.now();
      await t.app.inject({ method: 'POST', url: '/api/v1/jobs/none/cancel', headers: t.auth('security') });
      m.push(performance.now() - s);
      s = performance.now();
      await t.app.inject({ method: 'GET', url: '/api/v1/tokens', headers: t.auth('admin') });
      g.push(performance.now() - s);
    }
    figures.mutationWithAuditMedianMs = median(m).toFixed(1);
    figures.readNoAuditMedianMs = median(g).toFixed(1);
  });
});
