import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { removeDemoData } from '../../../services/core/src/graph/maintenance-repository.js';
import { seedDemo } from '../../../services/platform/src/demo/seed-demo.js';
import { buildTestApp, type TestApp } from '../../helpers/app.js';

describe('the demo hospital network', () => {
  let t: TestApp;
  beforeAll(async () => {
    t = await buildTestApp();
  });
  afterAll(async () => t.close());

  const list = async (q = '') => (await t.app.inject({ method: 'GET', url: `/api/v1/assets?limit=500${q}`, headers: t.auth('viewer') })).json().items as { name: string; demo: boolean }[];

  it('seeds every feature through the product paths, marked as demo, and seeding twice changes nothing', async () => {
    await seedDemo(t.graph);
    const first = await list();
    expect(first.length).toBeGreaterThanOrEqual(22);
    expect(first.every((a) => a.demo)).toBe(true);
    expect(first.map((a) => a.name)).toContain('pacs01.demo.example');
    await seedDemo(t.graph);
    expect((await list()).length).toBe(first.length);
    const vendors = await t.app.inject({ method: 'GET', url: '/api/v1/vendors', headers: t.auth('viewer') });
    expect(vendors.statusCode).toBe(200);
  });

  it('can be removed whole, leaving real data alone', async () => {
    const r = await removeDemoData(t.graph);
    expect(r.assets).toBeGreaterThanOrEqual(22);
    expect(await list()).toEqual([]);
    const left = await t.graph.read('MATCH (n {demo: true}) RETURN count(n) AS n');
    expect(left[0]!.n).toBe(0);
  });
});
