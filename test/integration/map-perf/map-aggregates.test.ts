import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildTestApp, type TestApp } from '../../helpers/app.js';
import { openAlert, resolveAlerts, ALERT_TYPES } from '../../../services/core/src/graph/alert-repository.js';
import { finishRun, ingestHosts, startRun } from '../../../services/core/src/graph/asset-ingest-repository.js';
import { GROUP_BYS, MapRepository, type GroupBy } from '../../../services/core/src/graph/map-repository.js';
import { buildSmallGraph, call, host } from '../api-resources/small-graph.js';

/**
 * The stored overview aggregates on a small graph: the threshold is lowered to 0 so every
 * unfiltered overview is served from them, and the check interval to 200 ms. Each change a user
 * makes (an import, an alert, an edit, a flow) must show in the aggregated overview within the
 * staleness bound the answer itself states, with the same figures as a live computation.
 */
const AGG = { ATLAS_MAP_AGGREGATE_ABOVE_ASSETS: '0', ATLAS_MAP_REFRESH_CHECK_MS: '200' };

type Overview = { elements: { nodes: { data: Record<string, unknown> }[]; edges: { data: Record<string, unknown> }[] }; budget: Record<string, unknown> };

const canonical = (v: Overview) => ({
  nodes: v.elements.nodes.map((n) => JSON.stringify([n.data.id, n.data.label, n.data.count, n.data.ephiCount, n.data.aiCount, n.data.staleCount, n.data.alertCount])).sort(),
  edges: v.elements.edges.map((e) => JSON.stringify([e.data.source, e.data.target, e.data.type, e.data.count])).sort(),
});

describe('map overview aggregates: correct after every kind of change, within the stated bound', () => {
  let t: TestApp;
  let ids: Record<string, string>;
  let live: MapRepository;

  const overview = async (groupBy: GroupBy = 'subnet', query = ''): Promise<Overview> => {
    const r = await call(t, 'GET', `/api/v1/map/overview?groupBy=${groupBy}${query}`, 'viewer');
    expect(r.status).toBe(200);
    return r.body as Overview;
  };
  const group = (v: Overview, id: string) => v.elements.nodes.find((n) => n.data.id === id)?.data;

  /** Polls the aggregated overview until `ok` holds; fails if that takes longer than the bound the answers state. */
  const waitFor = async (ok: (v: Overview) => boolean, groupBy: GroupBy = 'subnet'): Promise<Overview> => {
    const t0 = Date.now();
    let bound = 0;
    for (;;) {
      const v = await overview(groupBy);
      expect(v.budget.source).toBe('aggregate');
      bound = Math.max(bound, Number(v.budget.refreshBoundMs));
      if (ok(v)) {
        expect(Date.now() - t0).toBeLessThanOrEqual(bound);
        return v;
      }
      if (Date.now() - t0 > bound) throw new Error(`not reflected within the stated bound of ${bound} ms: ${JSON.stringify(canonical(v))}`);
      await new Promise((r) => setTimeout(r, 100));
    }
  };
  /** Every group-by's aggregated overview equals the live computation (once the last change is within the bound). */
  const sameAsLive = async () => {
    for (const g of GROUP_BYS) {
      const want = JSON.stringify(canonical((await live.overview(g, {})) as unknown as Overview));
      const agg = await waitFor((x) => JSON.stringify(canonical(x)) === want, g);
      expect(canonical(agg)).toEqual(JSON.parse(want));
    }
  };

  beforeAll(async () => {
    t = await buildTestApp(AGG);
    ids = await buildSmallGraph(t.graph);
    live = new MapRepository(t.graph, { aggregateAboveAssets: Number.MAX_SAFE_INTEGER, cacheMs: 0 });
  });
  afterAll(async () => t.close());

  it('serves the unfiltered overview from the aggregates, with the same figures as a live computation for every group-by', async () => {
    // The first refresh after the graph is built is not a change to an aggregated graph: no bound applies.
    let v = await overview();
    for (let i = 0; i < 300 && v.budget.source !== 'aggregate'; i++) {
      await new Promise((r) => setTimeout(r, 200));
      v = await overview();
    }
    expect(typeof v.budget.aggregatedAt).toBe('string');
    expect(Number(v.budget.refreshBoundMs)).toBeGreaterThanOrEqual(200);
    await sameAsLive();
    // Another budget is folded from the stored tallies: no asset is lost.
    const small = await overview('subnet', '&maxElements=10');
    expect(small.budget.source).toBe('aggregate');
    expect(small.elements.nodes.length + small.elements.edges.length).toBeLessThanOrEqual(10);
    expect(small.elements.nodes.filter((n) => /^(subnet|other):/.test(String(n.data.id))).reduce((sum, n) => sum + Number(n.data.count), 0)).toBe(9);
  });

  it('an import of new hosts shows as a new group with its members', async () => {
    const before = String((await overview()).budget.aggregatedAt);
    await startRun(t.graph, { id: 'run-agg-import', sourceId: 'demo', kind: 'test' });
    const counts = await ingestHosts(t.graph, { runId: 'run-agg-import', sourceId: 'demo', at: new Date().toISOString(), demo: true }, [host('new1', '10.9.4.1'), host('new2', '10.9.4.2'), host('new3', '10.9.1.99')]);
    await finishRun(t.graph, 'run-agg-import', { status: 'completed', counts });
    const v = await waitFor((x) => group(x, 'subnet:10.9.4.0/24')?.count === 2);
    expect(group(v, 'subnet:10.9.1.0/24')?.count).toBe(5);
    expect(Date.parse(String(v.budget.aggregatedAt))).toBeGreaterThan(Date.parse(before));
    expect(v.budget.totalAssets).toBe(12);
    await sameAsLive();
  });

  it('an opened alert counts on its group; resolved, it drops out', async () => {
    await openAlert(t.graph, { type: ALERT_TYPES[0], dedupeKey: 'agg:db', severity: 'high', message: 'test', assetId: ids.db });
    await waitFor((x) => group(x, 'subnet:10.9.2.0/24')?.alertCount === 1);
    await resolveAlerts(t.graph, 'agg:db');
    await waitFor((x) => group(x, 'subnet:10.9.2.0/24')?.alertCount === 0);
  });

  it('an edit of an asset (kind and ePHI role) moves it between kind groups and changes the ePHI tally', async () => {
    const r = await call(t, 'PATCH', `/api/v1/assets/${ids.printer}`, 'security', { kind: 'medical-device', ephiRole: 'stores' });
    expect(r.status).toBe(200);
    const v = await waitFor((x) => group(x, 'kind:medical-device')?.count === 1, 'kind');
    expect(group(v, 'kind:medical-device')?.ephiCount).toBe(1);
    await waitFor((x) => group(x, 'subnet:10.9.1.0/24')?.ephiCount === 1);
    await sameAsLive();
  });

  it('a new ePHI flow between groups shows as a group-to-group edge', async () => {
    const r = await call(t, 'POST', '/api/v1/flows', 'security', { source: { type: 'asset', id: ids.island }, target: { type: 'asset', id: ids.laptop }, dataCategories: ['demographics'] });
    expect(r.status).toBe(201);
    const edge = (x: Overview) => x.elements.edges.find((e) => e.data.source === 'subnet:10.9.3.0/24' && e.data.target === 'subnet:10.9.1.0/24' && e.data.type === 'ephi-flows');
    const v = await waitFor((x) => edge(x)?.data.count === 1);
    expect(edge(v)?.data.count).toBe(1);
  });

  it('filtered views are still computed live and honour the filter', async () => {
    const v = await overview('subnet', '&ephi=stores');
    expect(v.budget.source).toBe('live');
    const counts = Object.fromEntries(v.elements.nodes.filter((n) => String(n.data.id).startsWith('subnet:')).map((n) => [n.data.id, n.data.count]));
    expect(counts).toEqual({ 'subnet:10.9.1.0/24': 1, 'subnet:10.9.2.0/24': 2, 'subnet:10.9.3.0/24': 1 });
  });

  it('a freshly started server answers its first overview from the stored aggregates (no live computation)', async () => {
    const stored = await overview();
    const second = await buildTestApp(AGG, { wipe: false });
    try {
      const r = await second.app.inject({ method: 'GET', url: '/api/v1/map/overview', headers: second.auth('viewer') });
      expect(r.statusCode).toBe(200);
      const body = r.json() as Overview;
      expect(body.budget.source).toBe('aggregate');
      expect(canonical(body)).toEqual(canonical(stored));
    } finally {
      await second.close();
    }
  });
});
