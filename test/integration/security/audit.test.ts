import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { inject } from 'vitest';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { AuthRepository } from '../../../services/core/src/graph/auth-repository.js';
import { AuditRepository, tamperWithAuditEntryForTests } from '../../../services/core/src/graph/audit-repository.js';
import { buildTestApp, type TestApp } from '../../helpers/app.js';
import { login } from './session-helpers.js';

const run = promisify(execFile);
const PW = 'Audit-Trail-2026';

/** Runs the operator CLI against the test servers, as an operator on the host would. */
async function cli(args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  const env = { ...process.env, NEO4J_URI: inject('neo4jUri'), NEO4J_USER: inject('neo4jUser'), NEO4J_PASSWORD: inject('neo4jPassword'), REDIS_URL: inject('redisUrl'), ATLAS_DATA_DIR: inject('dataDir') };
  try {
    const r = await run('npx', ['tsx', 'services/cli/src/atlas.ts', ...args], { env, timeout: 90_000 });
    return { code: 0, stdout: r.stdout, stderr: r.stderr };
  } catch (err) {
    const e = err as { code: number; stdout: string; stderr: string };
    return { code: e.code, stdout: e.stdout, stderr: e.stderr };
  }
}

interface Entry {
  seq: number;
  at: string;
  actorKind: string;
  actorName: string | null;
  ip: string | null;
  action: string;
  status: number | null;
  target: string | null;
  before: string | null;
  after: string | null;
  detail: string | null;
  route: string | null;
}

describe('tamper-evident audit log', () => {
  let t: TestApp;
  let audit: AuditRepository;

  beforeAll(async () => {
    t = await buildTestApp({ ATLAS_LOGIN_RATE_PER_MINUTE: '1000' });
    audit = new AuditRepository(t.graph);
    await new AuthRepository(t.graph).createUser('olga', PW, 'viewer');
  });
  afterAll(async () => t?.close());

  async function entries(query = ''): Promise<Entry[]> {
    const res = await t.app.inject({ method: 'GET', url: `/api/v1/audit?limit=500${query}`, headers: t.auth('admin') });
    expect(res.statusCode).toBe(200);
    return res.json().items;
  }

  it('records sign-ins (success and failure) with who, when in UTC and from where, never the password', async () => {
    await login(t.app, 'olga', 'Wrong-Password-9');
    await login(t.app, 'olga', PW);
    const logins = await entries('&action=auth.login');
    expect(logins.slice(0, 2).map((e) => JSON.parse(e.detail!).result)).toEqual(['success', 'failure']);
    const [ok, failed] = logins;
    expect(ok).toMatchObject({ actorKind: 'user', actorName: 'olga', target: 'olga', status: 200, ip: '127.0.0.1' });
    expect(failed).toMatchObject({ actorKind: 'anonymous', target: 'olga', status: 401 });
    expect(ok!.at).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/);
    expect(JSON.stringify(logins)).not.toContain(PW);
    expect(JSON.stringify(logins)).not.toContain('Wrong-Password-9');
  });

  it('records every mutation automatically (token use included) with before/after when the route gives them', async () => {
    const created = await t.app.inject({ method: 'POST', url: '/api/v1/tokens', headers: t.auth('admin'), payload: { name: 'nightly', role: 'viewer' } });
    const tokenId = created.json().id;
    await t.app.inject({ method: 'DELETE', url: `/api/v1/tokens/${tokenId}`, headers: t.auth('admin') });
    // A refused write is recorded too, with the token that tried.
    await t.app.inject({ method: 'POST', url: '/api/v1/tokens', headers: t.auth('viewer'), payload: { name: 'sneaky', role: 'admin' } });
    // A route that adds no detail of its own still gets method, route, params and status.
    await t.app.inject({ method: 'POST', url: '/api/v1/jobs/no-such-job/cancel', headers: t.auth('security') });

    const es = await entries();
    const revoke = es.find((e) => e.action === 'token.revoke')!;
    expect(revoke).toMatchObject({ actorKind: 'token', actorName: 'test-admin', status: 200 });
    expect(JSON.parse(revoke.before!).revokedAt).toBeNull();
    expect(JSON.parse(revoke.after!).revokedAt).not.toBeNull();
    expect(es.find((e) => e.action === 'token.create')!.status).toBe(201);
    expect(JSON.stringify(es)).not.toContain(created.json().token);
    const refused = es.find((e) => e.action === 'POST /api/v1/tokens' && e.status === 403)!;
    expect(refused).toMatchObject({ actorKind: 'token', actorName: 'test-viewer' });
    const cancel = es.find((e) => e.route === '/api/v1/jobs/:id/cancel')!;
    expect(cancel).toMatchObject({ action: 'POST /api/v1/jobs/:id/cancel', actorName: 'test-security' });
    expect(JSON.parse((cancel as unknown as { params: string }).params)).toEqual({ id: 'no-such-job' });
    // Reads are not recorded (except exports).
    expect(es.some((e) => e.action.startsWith('GET /api/v1/audit'))).toBe(false);
  });

  it('concurrent appends form one gap-free chain', async () => {
    const before = (await audit.verify()).count;
    await Promise.all(Array.from({ length: 40 }, (_, i) => audit.append({ actorKind: 'system', action: 'test.concurrent', detail: { i } })));
    const r = await audit.verify();
    expect(r).toEqual({ ok: true, count: before + 40 });
  });

  it('pages newest first and filters by actor, action, time and failure', async () => {
    const p1 = (await t.app.inject({ method: 'GET', url: '/api/v1/audit?limit=5', headers: t.auth('admin') })).json();
    expect(p1.items).toHaveLength(5);
    const p2 = (await t.app.inject({ method: 'GET', url: `/api/v1/audit?limit=5&cursor=${p1.nextCursor}`, headers: t.auth('admin') })).json();
    expect(p2.items[0].seq).toBe(p1.items[4].seq - 1);
    expect((await entries('&actor=olga')).every((e) => e.actorName === 'olga')).toBe(true);
    expect((await entries('&failed=true')).every((e) => (e.status ?? 0) >= 400)).toBe(true);
    expect(await entries('&from=2999-01-01T00:00:00Z')).toEqual([]);
    const bad = await t.app.inject({ method: 'GET', url: '/api/v1/audit?from=yesterday', headers: t.auth('admin') });
    expect(bad.statusCode).toBe(400);
    expect(bad.json().error.message).toMatch(/from/);
  });

  it('exports as CSV and JSON (and the export itself is audited)', async () => {
    const json = await t.app.inject({ method: 'GET', url: '/api/v1/audit/export?format=json', headers: t.auth('admin') });
    expect(json.statusCode).toBe(200);
    const all = json.json() as Entry[];
    expect(all[0]!.seq).toBe(1);
    expect(all.map((e) => e.seq)).toEqual(all.map((_, i) => i + 1));
    const csv = await t.app.inject({ method: 'GET', url: '/api/v1/audit/export?format=csv', headers: t.auth('admin') });
    expect(csv.headers['content-type']).toMatch(/text\/csv/);
    const lines = csv.body.trim().split('\n');
    expect(lines[0]).toMatch(/^seq,at,actorKind,/);
    expect(lines.length).toBeGreaterThan(all.length); // header + every entry (+ the first export's own entry)
    expect((await entries('&action=audit.export')).length).toBe(2);
    // Inventory exports and file downloads of reports are audited without the route asking.
    await t.app.inject({ method: 'GET', url: '/api/v1/exports/inventory?format=csv', headers: t.auth('analyst') });
    await t.app.inject({ method: 'GET', url: '/api/v1/compliance/gaps?format=csv', headers: t.auth('analyst') });
    await t.app.inject({ method: 'GET', url: '/api/v1/compliance/gaps', headers: t.auth('analyst') });
    const reads = await entries('&actor=test-analyst');
    expect(reads.map((e) => e.route)).toEqual(['/api/v1/compliance/gaps', '/api/v1/exports/inventory']); // not the JSON view of the gaps
    expect(reads.every((e) => JSON.parse(e.detail!).query?.format === 'csv' || JSON.parse(e.detail!).format === 'csv')).toBe(true);
  });

  it('tampering with one entry is reported at exactly that entry, by the API and by `atlas audit verify`', async () => {
    const ok = await cli(['audit', 'verify']);
    expect(ok.code).toBe(0);
    const count = (await audit.verify()).count;
    expect(ok.stdout).toContain(`OK: ${count} audit entries`);

    const victim = (await entries('&action=auth.login'))[1]!; // the failed sign-in: someone hides it
    await tamperWithAuditEntryForTests(t.graph, victim.seq, 'detail', '{"reason":"invalid","result":"success"}');
    const api = (await t.app.inject({ method: 'GET', url: '/api/v1/audit/verify', headers: t.auth('admin') })).json();
    expect(api.ok).toBe(false);
    expect(api.firstBroken.seq).toBe(victim.seq);
    expect(api.count).toBe(victim.seq - 1);

    const broken = await cli(['audit', 'verify']);
    expect(broken.code).toBe(1);
    expect(broken.stdout).toContain(`BROKEN at entry ${victim.seq}:`);
  });

  it('a deleted entry or a truncated tail is detected too', async () => {
    const g = await buildTestApp({}, { wipe: true }); // fresh, empty log
    try {
      const repo = new AuditRepository(g.graph);
      for (let i = 0; i < 5; i++) await repo.append({ actorKind: 'system', action: 'test.seq', detail: { i } });
      await g.graph.write('MATCH (e:AuditEntry {seq: 3}) DELETE e');
      expect((await repo.verify()).firstBroken).toMatchObject({ seq: 3 });
      await g.graph.write('MATCH (e:AuditEntry) WHERE e.seq >= 3 DELETE e');
      expect((await repo.verify()).firstBroken).toMatchObject({ seq: 3 });
    } finally {
      await g.close();
    }
  });
});
