import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildTestApp, type TestApp } from '../../helpers/app.js';
import { ALERT_TYPES } from '../../../services/core/src/graph/alert-repository.js';
import { buildSmallGraph, call } from './small-graph.js';

const ALERT_TYPE = ALERT_TYPES[0];

describe('ePHI reach and map views on a small graph with known answers', () => {
  let t: TestApp;
  let ids: Record<string, string>;
  const vendors: Record<string, string> = {};

  beforeAll(async () => {
    t = await buildTestApp();
    ids = await buildSmallGraph(t.graph);
    const v = async (body: object) => (await call(t, 'POST', '/api/v1/vendors', 'security', body)).body.id as string;
    vendors.offsite = await v({ name: 'Offsite Backup Co', isBusinessAssociate: true, baaSigned: true, baaEffective: '2024-01-01', baaExpires: '2099-12-31' });
    vendors.ai = await v({ name: 'Summariser AI', isAiService: true });
    vendors.expired = await v({ name: 'Old Archive', isBusinessAssociate: true, baaSigned: true, baaEffective: '2020-01-01', baaExpires: '2021-01-01' });
    const flow = async (source: object, target: object, extra: object = {}) => {
      const r = await call(t, 'POST', '/api/v1/flows', 'security', { source, target, dataCategories: ['clinical-notes'], ...extra });
      expect(r.status).toBe(201);
    };
    await flow({ type: 'asset', id: ids.db }, { type: 'asset', id: ids.backup }, { protocol: 'SFTP', port: 22, encryptedInTransit: true });
    await flow({ type: 'asset', id: ids.backup }, { type: 'vendor', id: vendors.offsite }, { encryptedInTransit: true });
    await flow({ type: 'asset', id: ids.app }, { type: 'vendor', id: vendors.ai }, { encryptedInTransit: true });
    await flow({ type: 'asset', id: ids.files }, { type: 'vendor', id: vendors.expired }, { encryptedInTransit: false });
  });
  afterAll(async () => t.close());

  it('from the laptop: the stores within 3 hops, closest first, with both shortest paths to db', async () => {
    const r = await call(t, 'GET', `/api/v1/reach/from/${ids.laptop}?k=3&paths=3`, 'security');
    expect(r.status).toBe(200);
    expect(r.body.items.map((i: any) => [i.asset.name, i.hops])).toEqual([
      ['db.t.example', 3],
      ['files.t.example', 3],
    ]);
    const db = r.body.items[0];
    const paths = db.paths.map((p: any) => p.nodes.map((n: any) => n.name.split('.')[0]).join('>')).sort();
    expect(paths).toEqual(['laptop>web2>app>db', 'laptop>web>app>db']);
    expect(db.paths[0].edges).toEqual(['connection', 'connection', 'connection']);
    expect(r.body.bounds).toEqual({ maxHops: 3, maxResults: 50, maxPaths: 3, truncated: false });
  });

  it('with more hops the backup (which receives an ePHI flow) appears at 4 hops via the flow', async () => {
    const r = await call(t, 'GET', `/api/v1/reach/from/${ids.laptop}?k=6`, 'security');
    const backup = r.body.items.find((i: any) => i.asset.name === 'backup.t.example');
    expect(backup.hops).toBe(4);
    expect(backup.paths[0].edges.at(-1)).toBe('ephi-flow');
    expect(r.body.items.map((i: any) => i.asset.name)).not.toContain('island.t.example');
  });

  it('says when the result cap truncated the answer', async () => {
    const r = await call(t, 'GET', `/api/v1/reach/from/${ids.laptop}?k=6&limit=1&paths=1`, 'security');
    expect(r.body.items).toHaveLength(1);
    expect(r.body.items[0].paths).toHaveLength(1);
    expect(r.body.bounds).toMatchObject({ maxResults: 1, maxPaths: 1, truncated: true });
  });

  it('to the database: who can reach it, by hops', async () => {
    const r = await call(t, 'GET', `/api/v1/reach/to/${ids.db}?k=6`, 'security');
    expect(r.status).toBe(200);
    expect(r.body.asset.ephiBearing).toBe(true);
    expect(r.body.items.map((i: any) => [i.asset.name.split('.')[0], i.hops])).toEqual([
      ['app', 1],
      ['web', 2],
      ['web2', 2],
      ['laptop', 3],
    ]);
  });

  it('egress: every flow to a vendor, with BAA coverage and the reason when not covered', async () => {
    const r = await call(t, 'GET', '/api/v1/reach/egress', 'security');
    expect(r.status).toBe(200);
    expect(r.body.summary).toEqual({ total: 3, covered: 1, uncovered: 2, toAi: 1, toAiUncovered: 1 });
    const byVendor = Object.fromEntries(r.body.items.map((i: any) => [i.vendor.name, [i.baaCovered, i.reason, i.toAi]]));
    expect(byVendor).toEqual({
      'Offsite Backup Co': [true, 'covered', false],
      'Summariser AI': [false, 'baa-missing', true],
      'Old Archive': [false, 'baa-expired', false],
    });
    const ai = await call(t, 'GET', '/api/v1/reach/egress?ai=true&uncovered=true', 'security');
    expect(ai.body.items.map((i: any) => i.target.name)).toEqual(['Summariser AI']);
  });

  it('reach needs the security role and valid bounds', async () => {
    expect((await call(t, 'GET', `/api/v1/reach/from/${ids.laptop}`, 'analyst')).status).toBe(403);
    const bad = await call(t, 'GET', `/api/v1/reach/from/${ids.laptop}?k=7`, 'security');
    expect(bad.status).toBe(400);
    expect(bad.body.error.message).toMatch(/k/);
    expect((await call(t, 'GET', '/api/v1/reach/to/no-such-asset', 'security')).status).toBe(404);
  });

  it('overview by subnet: group counts and the edges between groups', async () => {
    const r = await call(t, 'GET', '/api/v1/map/overview?groupBy=subnet', 'viewer');
    expect(r.status).toBe(200);
    const groups = Object.fromEntries(r.body.elements.nodes.map((n: any) => [n.data.id, n.data]));
    expect(groups['subnet:10.9.1.0/24']).toMatchObject({ type: 'group', groupBy: 'subnet', count: 4, ephiCount: 0 });
    expect(groups['subnet:10.9.2.0/24']).toMatchObject({ count: 4, ephiCount: 2 });
    expect(groups['subnet:10.9.3.0/24']).toMatchObject({ count: 1, ephiCount: 1 });
    expect(groups[`vendor:${vendors.ai}`]).toMatchObject({ label: 'Summariser AI' });
    const edges = r.body.elements.edges.map((e: any) => [e.data.source, e.data.target, e.data.type, e.data.count]);
    expect(edges).toContainEqual(['subnet:10.9.1.0/24', 'subnet:10.9.2.0/24', 'connections', 2]);
    expect(edges).toContainEqual(['subnet:10.9.2.0/24', `vendor:${vendors.ai}`, 'ephi-flows', 1]);
    expect(r.body.budget).toMatchObject({ maxElements: 2000, aggregated: false, totalAssets: 9 });
  });

  it('overview counts open alerts per group; resolved ones drop out', async () => {
    const { openAlert, resolveAlerts } = await import('../../../services/core/src/graph/alert-repository.js');
    await openAlert(t.graph, { type: ALERT_TYPE, dedupeKey: 'test:db', severity: 'high', message: 'test', assetId: ids.db });
    await openAlert(t.graph, { type: ALERT_TYPE, dedupeKey: 'test:files', severity: 'low', message: 'test', assetId: ids.files });
    const alerts = async () =>
      Object.fromEntries((await call(t, 'GET', '/api/v1/map/overview?groupBy=subnet', 'viewer')).body.elements.nodes.map((n: any) => [n.data.id, n.data.alertCount]));
    expect(await alerts()).toMatchObject({ 'subnet:10.9.1.0/24': 0, 'subnet:10.9.2.0/24': 2 });
    await resolveAlerts(t.graph, 'test:files');
    expect((await alerts())['subnet:10.9.2.0/24']).toBe(1);
  });

  it('overview above the budget folds the smallest groups into one and says so', async () => {
    const r = await call(t, 'GET', '/api/v1/map/overview?groupBy=subnet&maxElements=10', 'viewer');
    const nodes = r.body.elements.nodes;
    expect(nodes.length + r.body.elements.edges.length).toBeLessThanOrEqual(10);
    expect(r.body.budget.aggregated).toBe(true);
    const other = nodes.find((n: any) => n.data.id === 'other:subnet');
    const total = nodes.filter((n: any) => n.data.id.startsWith('subnet:') || n.data.id === 'other:subnet').reduce((s: number, n: any) => s + n.data.count, 0);
    expect(other).toBeTruthy();
    expect(total).toBe(9); // no asset is lost by aggregation
  });

  it('a group expanded: members, edges among them and aggregated edges to neighbouring groups', async () => {
    const r = await call(t, 'GET', `/api/v1/map/groups/${encodeURIComponent('subnet:10.9.1.0/24')}`, 'viewer');
    expect(r.status).toBe(200);
    const assets = r.body.elements.nodes.filter((n: any) => n.data.type === 'asset');
    expect(assets.map((n: any) => n.data.label).sort()).toEqual(['laptop.t.example', 'printer.t.example', 'web.t.example', 'web2.t.example']);
    expect(assets.every((n: any) => n.data.parent === 'subnet:10.9.1.0/24')).toBe(true);
    const edges = r.body.elements.edges.map((e: any) => `${e.data.source}>${e.data.target}`);
    expect(edges).toContain(`${ids.laptop}>${ids.web}`);
    expect(edges).toContain(`${ids.web}>subnet:10.9.2.0/24`);
    const small = await call(t, 'GET', `/api/v1/map/groups/${encodeURIComponent('subnet:10.9.1.0/24')}?maxElements=10`, 'viewer');
    expect(small.body.budget.aggregated).toBe(true);
    expect(small.body.elements.nodes.reduce((s: number, n: any) => s + n.data.count, 0)).toBe(4);
    expect((await call(t, 'GET', `/api/v1/map/groups/${encodeURIComponent('subnet:10.0.0.0/24')}`, 'viewer')).status).toBe(404);
    expect((await call(t, 'GET', '/api/v1/map/groups/nonsense', 'viewer')).status).toBe(400);
  });

  it('focus: the asset and its k-hop neighbourhood', async () => {
    const one = await call(t, 'GET', `/api/v1/map/focus/${ids.app}?k=1`, 'viewer');
    expect(one.status).toBe(200);
    const names = (r: any) => r.body.elements.nodes.map((n: any) => n.data.label.split('.')[0]).sort();
    expect(names(one)).toEqual(['Summariser AI', 'app', 'db', 'files', 'web', 'web2']);
    const two = await call(t, 'GET', `/api/v1/map/focus/${ids.app}?k=2`, 'viewer');
    expect(names(two)).toEqual(['Summariser AI', 'app', 'backup', 'db', 'files', 'laptop', 'Old Archive', 'web', 'web2'].sort());
    expect((await call(t, 'GET', `/api/v1/map/focus/${ids.app}?k=4`, 'viewer')).status).toBe(400);
  });

  it('flow view: endpoints and one edge per flow with encryption, BAA and AI flags', async () => {
    const r = await call(t, 'GET', '/api/v1/map/flows', 'viewer');
    expect(r.status).toBe(200);
    expect(r.body.elements.edges).toHaveLength(4);
    const toAi = r.body.elements.edges.find((e: any) => e.data.target === vendors.ai);
    expect(toAi.data).toMatchObject({ type: 'ephi-flow', toAi: true, baaCovered: false, encryptedInTransit: true });
    const internal = r.body.elements.edges.find((e: any) => e.data.target === ids.backup);
    expect(internal.data).toMatchObject({ baaCovered: null, toAi: false, protocol: 'SFTP', port: 22 });
    expect(r.body.elements.nodes.find((n: any) => n.data.id === vendors.ai).data).toMatchObject({ type: 'vendor', isAiService: true, baaStatus: 'missing' });
  });
});
