import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildTestApp, type TestApp } from '../../helpers/app.js';
import { buildSmallGraph, call } from './small-graph.js';

describe('flows, connections, vendors, people and sites: success and error paths on the real graph', () => {
  let t: TestApp;
  let ids: Record<string, string>;

  beforeAll(async () => {
    t = await buildTestApp();
    ids = await buildSmallGraph(t.graph);
  });
  afterAll(async () => t.close());

  describe('vendors', () => {
    let id: string;
    it('creates a business associate with BAA dates and reads it back with its BAA status', async () => {
      const r = await call(t, 'POST', '/api/v1/vendors', 'security', {
        name: 'Radiology Reading Group',
        isBusinessAssociate: true,
        baaSigned: true,
        baaEffective: '2025-01-01',
        baaExpires: '2099-01-01',
        domains: ['rrg.example'],
      });
      expect(r.status).toBe(201);
      expect(r.body).toMatchObject({ name: 'Radiology Reading Group', baaEffective: '2025-01-01', baaExpires: '2099-01-01', baaStatus: 'current', assetCount: 0 });
      id = r.body.id;
      const got = await call(t, 'GET', `/api/v1/vendors/${id}`, 'viewer');
      expect(got.body.baaStatus).toBe('current');
    });

    it('refuses an expiry before the effective date, naming the field, and keeps the stored dates', async () => {
      const bad = await call(t, 'PATCH', `/api/v1/vendors/${id}`, 'security', { baaExpires: '2024-06-30' });
      expect(bad.status).toBe(400);
      expect(bad.body.error.code).toBe('BAA_DATES_INVALID');
      expect(bad.body.error.details.field).toBe('body.baaExpires');
      const got = await call(t, 'GET', `/api/v1/vendors/${id}`, 'viewer');
      expect(got.body.baaExpires).toBe('2099-01-01');
      const created = await call(t, 'POST', '/api/v1/vendors', 'security', { name: 'Backwards', baaSigned: true, baaEffective: '2025-02-01', baaExpires: '2025-01-01' });
      expect(created.status).toBe(400);
      expect((await call(t, 'GET', '/api/v1/vendors?q=backwards', 'viewer')).body.items).toHaveLength(0);
    });

    it('refuses impossible dates, unknown fields and duplicate names', async () => {
      const r1 = await call(t, 'POST', '/api/v1/vendors', 'security', { name: 'X', baaSigned: true, baaExpires: '2025-02-30' });
      expect(r1.status).toBe(400);
      expect(r1.body.error.message).toMatch(/baaExpires/);
      const r2 = await call(t, 'POST', '/api/v1/vendors', 'security', { name: 'X', colour: 'red' });
      expect(r2.status).toBe(400);
      const r3 = await call(t, 'POST', '/api/v1/vendors', 'security', { name: 'Radiology Reading Group' });
      expect(r3.status).toBe(409);
    });

    it('an expired BAA shows as expired; filters by BAA status', async () => {
      const r = await call(t, 'POST', '/api/v1/vendors', 'security', { name: 'Lapsed Transcription', isBusinessAssociate: true, baaSigned: true, baaEffective: '2020-01-01', baaExpires: '2022-01-01' });
      expect(r.body.baaStatus).toBe('expired');
      const list = await call(t, 'GET', '/api/v1/vendors?baaStatus=expired', 'viewer');
      expect(list.body.items.map((v: any) => v.name)).toEqual(['Lapsed Transcription']);
    });

    it('pages with a cursor and rejects a forged one', async () => {
      const p1 = await call(t, 'GET', '/api/v1/vendors?limit=1', 'viewer');
      expect(p1.body.items).toHaveLength(1);
      const p2 = await call(t, 'GET', `/api/v1/vendors?limit=1&cursor=${p1.body.nextCursor}`, 'viewer');
      expect(p2.body.items[0].name > p1.body.items[0].name).toBe(true);
      expect((await call(t, 'GET', '/api/v1/vendors?cursor=garbage', 'viewer')).status).toBe(400);
    });

    it('viewers read, only security writes; unknown ids are 404', async () => {
      expect((await call(t, 'POST', '/api/v1/vendors', 'analyst', { name: 'Nope' })).status).toBe(403);
      expect((await call(t, 'GET', '/api/v1/vendors/does-not-exist', 'viewer')).status).toBe(404);
      expect((await call(t, 'DELETE', '/api/v1/vendors/does-not-exist', 'security')).status).toBe(404);
    });

    it('will not delete a vendor that has ePHI flows; deletes it once they are gone', async () => {
      const f = await call(t, 'POST', '/api/v1/flows', 'security', { source: { type: 'asset', id: ids.db }, target: { type: 'vendor', id }, dataCategories: ['imaging'] });
      expect(f.status).toBe(201);
      const refused = await call(t, 'DELETE', `/api/v1/vendors/${id}`, 'security');
      expect(refused.status).toBe(409);
      expect(refused.body.error.code).toBe('VENDOR_IN_USE');
      expect((await call(t, 'DELETE', `/api/v1/flows/${f.body.id}`, 'security')).status).toBe(204);
      expect((await call(t, 'DELETE', `/api/v1/vendors/${id}`, 'security')).status).toBe(204);
      expect((await call(t, 'GET', `/api/v1/vendors/${id}`, 'viewer')).status).toBe(404);
    });
  });

  describe('people and sites', () => {
    it('CRUD for a person, with a unique email', async () => {
      const r = await call(t, 'POST', '/api/v1/people', 'security', { name: 'Pat Owner', email: 'Pat@Example.org', title: 'CISO' });
      expect(r.status).toBe(201);
      expect(r.body.email).toBe('pat@example.org');
      expect((await call(t, 'POST', '/api/v1/people', 'security', { name: 'Pat Two', email: 'pat@example.org' })).status).toBe(409);
      expect((await call(t, 'POST', '/api/v1/people', 'security', { name: 'Bad', email: 'not-an-email' })).status).toBe(400);
      const p = await call(t, 'PATCH', `/api/v1/people/${r.body.id}`, 'security', { department: 'Security' });
      expect(p.body).toMatchObject({ name: 'Pat Owner', department: 'Security', title: 'CISO' });
      expect((await call(t, 'GET', '/api/v1/people?q=pat', 'viewer')).body.items).toHaveLength(1);
      expect((await call(t, 'DELETE', `/api/v1/people/${r.body.id}`, 'security')).status).toBe(204);
      expect((await call(t, 'GET', `/api/v1/people/${r.body.id}`, 'viewer')).status).toBe(404);
    });

    it('CRUD for a site, with a unique name and a controlled kind', async () => {
      const r = await call(t, 'POST', '/api/v1/sites', 'security', { name: 'North Clinic', kind: 'building', address: '9 North St' });
      expect(r.status).toBe(201);
      expect((await call(t, 'POST', '/api/v1/sites', 'security', { name: 'North Clinic' })).status).toBe(409);
      const badKind = await call(t, 'POST', '/api/v1/sites', 'security', { name: 'Somewhere', kind: 'castle' });
      expect(badKind.status).toBe(400);
      expect(badKind.body.error.message).toMatch(/kind/);
      const p = await call(t, 'PATCH', `/api/v1/sites/${r.body.id}`, 'security', { name: 'North Clinic (new wing)' });
      expect(p.body.name).toBe('North Clinic (new wing)');
      expect((await call(t, 'GET', `/api/v1/sites/${r.body.id}`, 'viewer')).body.kind).toBe('building');
      expect((await call(t, 'DELETE', `/api/v1/sites/${r.body.id}`, 'security')).status).toBe(204);
    });
  });

  describe('flows', () => {
    let flowId: string;
    it('creates an asserted flow between two assets and reads it back', async () => {
      const r = await call(t, 'POST', '/api/v1/flows', 'security', {
        source: { type: 'asset', id: ids.app },
        target: { type: 'asset', id: ids.db },
        dataCategories: ['demographics', 'diagnoses'],
        protocol: 'TDS',
        port: 1433,
        encryptedInTransit: false,
        purpose: 'application database',
      });
      expect(r.status).toBe(201);
      expect(r.body).toMatchObject({ origin: 'asserted', encryptedInTransit: false, protocol: 'TDS', port: 1433, createdBy: 'test-security' });
      expect(r.body.source).toMatchObject({ type: 'asset', id: ids.app, name: 'app.t.example' });
      flowId = r.body.id;
      const list = await call(t, 'GET', `/api/v1/flows?endpointId=${ids.db}`, 'viewer');
      expect(list.body.items.map((f: any) => f.id)).toEqual([flowId]);
    });

    it('patches fields and leaves the rest alone', async () => {
      const r = await call(t, 'PATCH', `/api/v1/flows/${flowId}`, 'security', { encryptedInTransit: true });
      expect(r.status).toBe(200);
      expect(r.body).toMatchObject({ encryptedInTransit: true, protocol: 'TDS', dataCategories: ['demographics', 'diagnoses'] });
      expect((await call(t, 'GET', '/api/v1/flows?encrypted=false', 'viewer')).body.items.map((f: any) => f.id)).not.toContain(flowId);
    });

    it('rejects unknown endpoints, categories outside the list, bad ports and self-loops with a 400 naming the field', async () => {
      const base = { source: { type: 'asset', id: ids.app }, target: { type: 'asset', id: ids.db }, dataCategories: ['imaging'] };
      const cases: [object, RegExp][] = [
        [{ ...base, dataCategories: ['gossip'] }, /dataCategories/],
        [{ ...base, dataCategories: [] }, /dataCategories/],
        [{ ...base, port: 70000 }, /port/],
        [{ ...base, target: base.source }, /target/],
        [{ ...base, source: { type: 'printer', id: ids.app } }, /source/],
      ];
      const before = (await call(t, 'GET', '/api/v1/flows', 'viewer')).body.items.length;
      for (const [body, field] of cases) {
        const r = await call(t, 'POST', '/api/v1/flows', 'security', body);
        expect(r.status, JSON.stringify(body)).toBe(400);
        expect(JSON.stringify(r.body.error)).toMatch(field);
      }
      for (const target of [{ type: 'asset', id: 'nope' }, { type: 'vendor', id: ids.db }]) {
        const r = await call(t, 'POST', '/api/v1/flows', 'security', { ...base, target });
        expect(r.status).toBe(404);
        expect(r.body.error).toMatchObject({ code: 'UNKNOWN_ENDPOINT', details: { field: 'body.target.id' } });
      }
      expect((await call(t, 'GET', '/api/v1/flows', 'viewer')).body.items.length).toBe(before);
    });

    it('needs the security role to write; 404 for unknown flows', async () => {
      expect((await call(t, 'PATCH', `/api/v1/flows/${flowId}`, 'viewer', { purpose: 'x' })).status).toBe(403);
      expect((await call(t, 'GET', '/api/v1/flows/nope', 'viewer')).status).toBe(404);
      expect((await call(t, 'PATCH', '/api/v1/flows/nope', 'security', { purpose: 'x' })).status).toBe(404);
      expect((await call(t, 'DELETE', '/api/v1/flows/nope', 'security')).status).toBe(404);
    });
  });

  describe('observed connections', () => {
    it('lists connections of an asset and promotes one to an ePHI flow exactly once', async () => {
      const list = await call(t, 'GET', `/api/v1/connections?endpointId=${ids.app}`, 'viewer');
      expect(list.status).toBe(200);
      const pairs = list.body.items.map((c: any) => `${c.source.name.split('.')[0]}>${c.target.name.split('.')[0]}:${c.port}`).sort();
      expect(pairs).toEqual(['app>db:5432', 'app>files:445', 'web2>app:8080', 'web>app:8080']);
      const c = list.body.items.find((x: any) => x.target.id === ids.files);
      expect(c).toMatchObject({ protocol: 'tcp', bytes: 1000, packets: 10, observedBy: 'test', promotedFlowId: null });

      const p = await call(t, 'POST', `/api/v1/connections/${c.id}/promote`, 'security', { dataCategories: ['clinical-notes'], purpose: 'file share of scanned letters' });
      expect(p.status).toBe(201);
      expect(p.body).toMatchObject({ origin: 'asserted', connectionId: c.id, protocol: 'tcp', port: 445, source: { id: ids.app }, target: { id: ids.files } });
      const again = await call(t, 'POST', `/api/v1/connections/${c.id}/promote`, 'security', { dataCategories: ['clinical-notes'] });
      expect(again.status).toBe(409);
      const after = await call(t, 'GET', `/api/v1/connections?endpointId=${ids.files}`, 'viewer');
      expect(after.body.items[0].promotedFlowId).toBe(p.body.id);
    });

    it('404 for a connection that does not exist; 403 below security; paging cursor works', async () => {
      const ghost = '5:00000000-0000-0000-0000-000000000000:999999.0123456789';
      expect((await call(t, 'POST', `/api/v1/connections/${ghost}/promote`, 'security', { dataCategories: ['imaging'] })).status).toBe(404);
      expect((await call(t, 'POST', '/api/v1/connections/bm9wZQ/promote', 'security', { dataCategories: ['imaging'] })).status).toBe(400);
      const list = await call(t, 'GET', '/api/v1/connections?limit=3', 'viewer');
      expect((await call(t, 'POST', `/api/v1/connections/${list.body.items[0].id}/promote`, 'analyst', { dataCategories: ['imaging'] })).status).toBe(403);
      const next = await call(t, 'GET', `/api/v1/connections?limit=10&cursor=${list.body.nextCursor}`, 'viewer');
      expect(list.body.items.length + next.body.items.length).toBe(7);
      expect((await call(t, 'GET', '/api/v1/connections?cursor=zzz', 'viewer')).status).toBe(400);
    });
  });
});
