import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { seedDemo } from '../../services/platform/src/demo/seed-demo.js';
import { createUser, cyNodes, login, paintedPixels, openPage, poll, screenshot, startBrowserApp, type BrowserApp, type UiPage } from './helpers.js';

/** ePHI flows, reach paths and editing an asset's owner, in Chromium against the demo network. */
type Edge = { data: Record<string, unknown> };

describe('flows, reach and asset editing in Chromium', () => {
  let b: BrowserApp;
  let ui: UiPage;
  const get = async <T>(url: string): Promise<T> => {
    const r = await b.t.app.inject({ method: 'GET', url, headers: b.t.auth('security') });
    expect(r.statusCode, url).toBe(200);
    return r.json() as T;
  };

  beforeAll(async () => {
    b = await startBrowserApp();
    await seedDemo(b.t.graph);
    ui = await openPage(b);
    await login(ui, b.url, await createUser(b.t, 'security'));
  });
  afterAll(async () => {
    await b?.close();
  });

  it('draws every ePHI flow with its direction; unencrypted and uncovered flows get their own line style', async () => {
    const api = await get<{ elements: { nodes: unknown[]; edges: Edge[] } }>('/api/v1/map/flows');
    expect(api.elements.edges.length).toBeGreaterThan(0);
    await ui.page.goto(`${b.url}/#/flows`);
    await poll(() => ui.page.locator('#flows-status').innerText()).toMatch(/ePHI flows/);
    const drawn = await ui.page.evaluate(() => {
      const cy = (window as unknown as { __atlas: { cy: import('cytoscape').Core } }).__atlas.cy;
      return cy.edges().map((e) => ({ id: e.id(), classes: e.classes(), arrow: e.style('target-arrow-shape'), line: e.style('line-style') }));
    });
    expect(drawn.map((e) => e.id).sort()).toEqual(api.elements.edges.map((e) => String(e.data.id)).sort());
    for (const e of api.elements.edges) {
      const d = drawn.find((x) => x.id === e.data.id)!;
      expect(d.arrow).toBe('triangle');
      const unenc = e.data.encryptedInTransit === false;
      const noBaa = e.data.baaCovered === false;
      const want = unenc && noBaa ? 'flow-both' : unenc ? 'flow-unencrypted' : noBaa ? 'flow-noBaa' : 'flow-ok';
      expect(d.classes, String(e.data.id)).toContain(want);
      // Risky flows differ by line pattern too, not by colour alone.
      expect(d.line).toBe(want === 'flow-ok' ? 'solid' : 'dashed');
    }
    await expect(ui.page.locator('.legend').innerText()).resolves.toContain('unencrypted ePHI flow');
    // The canvas moved here from the map view and draws the flows.
    await poll(() => paintedPixels(ui.page)).toBeGreaterThan(5000);
    await screenshot(ui.page, 'flows');
  });

  it('runs a reach query from a workstation and highlights the paths to the ePHI it reaches', async () => {
    const assets = (await get<{ items: { id: string; name: string }[] }>('/api/v1/assets?limit=500')).items;
    let start: { id: string; name: string } | undefined;
    let expected: { asset: { id: string } }[] = [];
    for (const a of assets) {
      const r = await get<{ items: { asset: { id: string } }[] }>(`/api/v1/reach/from/${a.id}?k=3`);
      if (r.items.length > 0) {
        start = a;
        expected = r.items;
        break;
      }
    }
    expect(start, 'the demo network has an asset that reaches ePHI').toBeDefined();
    await ui.page.goto(`${b.url}/#/reach`);
    await ui.page.fill('#reach-asset', start!.name);
    await ui.page.selectOption('#reach-k', '3');
    await ui.page.press('#reach-asset', 'Enter');
    await ui.page.locator(`#reach-choices button[data-asset="${start!.id}"]`).click();
    await poll(() => ui.page.locator('#reach-status').innerText()).toMatch(/reachable within 3 hops/);
    const targets = await cyNodes(ui.page, 'node.reach-target');
    expect(targets.map((n) => n.id).sort()).toEqual(expected.map((t) => t.asset.id).sort());
    expect((await cyNodes(ui.page, 'node.reach-source')).map((n) => n.id)).toEqual([start!.id]);
    const pathEdges = await ui.page.evaluate(() => (window as unknown as { __atlas: { cy: import('cytoscape').Core } }).__atlas.cy.edges('.reach-path').length);
    expect(pathEdges).toBeGreaterThan(0);
    await poll(() => paintedPixels(ui.page)).toBeGreaterThan(1000);
    await expect(ui.page.locator('#reach-list > li').count()).resolves.toBe(expected.length);
    await screenshot(ui.page, 'reach');
  });

  it('edits the accountable owner of an asset from its panel', async () => {
    const person = await b.t.app.inject({ method: 'POST', url: '/api/v1/people', headers: b.t.auth('security'), payload: { name: 'Dana Owner', email: 'dana.owner@demo.example' } });
    expect(person.statusCode).toBe(201);
    const personId = (person.json() as { id: string }).id;
    const asset = (await get<{ items: { id: string; name: string }[] }>('/api/v1/assets?q=backup01&limit=1')).items[0]!;
    await ui.page.goto(`${b.url}/#/inventory?asset=${asset.id}`);
    await ui.page.locator('#edit-ownerId').waitFor();
    await ui.page.selectOption('#edit-ownerId', personId);
    await ui.page.click('#asset-edit button[type=submit]');
    // The panel reloads the asset after saving and shows the new owner in its owner section.
    await poll(() => ui.page.locator('#asset-owner').innerText().catch(() => '')).toContain('Dana Owner');
    const after = await get<{ owner: { id: string } | null }>(`/api/v1/assets/${asset.id}`);
    expect(after.owner?.id).toBe(personId);
    await screenshot(ui.page, 'asset-edit-owner');
  });

  it('raised no console errors', () => {
    expect(ui.errors.join('\n')).toBe('');
  });
});
