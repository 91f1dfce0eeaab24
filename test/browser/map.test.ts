import { readFileSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { seedDemo } from '../../services/platform/src/demo/seed-demo.js';
import { demoHosts } from '../../services/platform/src/demo/demo-network.js';
import { finishRun, ingestHosts, startRun } from '../../services/core/src/graph/asset-ingest-repository.js';
import type { NmapHost } from '../../services/discovery/src/nmap/nmap-types.js';
import { createUser, cyNodes, mapRenders, paintedPixels, poll, login, openPage, screenshot, startBrowserApp, waitForMap, type BrowserApp, type UiPage } from './helpers.js';

/**
 * The map, the asset panel and the inventory in headless Chromium against the real API with the
 * demo network, plus one host whose scan output is hostile HTML.
 */
const HOSTILE_PRODUCT = '<script>window.__pwned=1</script>';
const HOSTILE_NAME = '"><img src=x onerror="window.__pwned=2">';

function hostileHost(): NmapHost {
  return {
    status: 'up',
    addresses: [{ addr: '10.99.0.66', addrtype: 'ipv4' }],
    hostnames: [{ name: 'evil-banner.test', type: 'PTR' }],
    ports: [
      { protocol: 'tcp', portid: 8080, state: 'open', reason: 'syn-ack', service: { name: 'http', product: HOSTILE_PRODUCT, version: HOSTILE_NAME, method: 'probed', conf: 10, cpe: [] }, scripts: [] },
    ],
    extraPorts: [],
    os: { matches: [], portsUsed: [] },
    hostScripts: [],
  };
}

const subnet24 = (ip: string) => ip.split('.').slice(0, 3).join('.') + '.0/24';

describe('map UI in Chromium', () => {
  let b: BrowserApp;
  let ui: UiPage;
  const expected = new Map<string, string[]>(); // subnet → host names in the demo network

  beforeAll(async () => {
    b = await startBrowserApp();
    await seedDemo(b.t.graph);
    await startRun(b.t.graph, { id: 'run-hostile', sourceId: 'test', kind: 'nmap' });
    await ingestHosts(b.t.graph, { runId: 'run-hostile', sourceId: 'test', at: new Date().toISOString() }, [hostileHost()]);
    await finishRun(b.t.graph, 'run-hostile', { status: 'completed', counts: {} as never });
    // What the map must show is what the inventory API holds (the demo seeders may grow).
    const res = await b.t.app.inject({ method: 'GET', url: '/api/v1/assets?limit=500', headers: b.t.auth('viewer') });
    const items = (res.json() as { items: { name: string; ips: string[] }[] }).items;
    expect(items.length).toBeGreaterThanOrEqual(demoHosts().length + 1);
    for (const a of items) {
      const key = a.ips[0] ? subnet24(a.ips[0]) : 'no address';
      const list = expected.get(key) ?? [];
      list.push(a.name);
      expected.set(key, list);
    }
    ui = await openPage(b);
  });
  afterAll(async () => {
    await b?.close();
  });

  it('signs in; the admin role is made to enrol in MFA first (QR code, TOTP, recovery codes)', async () => {
    const r = await login(ui, b.url, await createUser(b.t, 'admin'));
    expect(r.enrolled).toBe(true);
    expect(r.qrSrc).toMatch(/^data:image\/svg\+xml;base64,/);
    expect(r.recoveryCodes).toHaveLength(10);
    await expect(ui.page.locator('header .who').innerText()).resolves.toContain('admin');
  });

  it('shows one group per subnet with its asset count', async () => {
    await waitForMap(ui.page);
    const groups = await cyNodes(ui.page, 'node[type = "group"]');
    const byLabel = new Map(groups.map((g) => [String(g.label), Number(g.count)]));
    for (const [cidr, names] of expected) expect(byLabel.get(cidr), cidr).toBe(names.length);
    expect(await cyNodes(ui.page, 'node[type = "asset"]')).toHaveLength(0);
    // The groups are actually drawn, not just held in memory.
    await poll(() => paintedPixels(ui.page)).toBeGreaterThan(5000);
    // The legend is generated from the style data and lists every ePHI role.
    await expect(ui.page.locator('.legend').innerText()).resolves.toMatch(/stores ePHI[\s\S]*processes ePHI[\s\S]*transmits ePHI/);
    await screenshot(ui.page, 'map-overview');
  });

  it('expands a group in place from the keyboard and shows its assets inside it', async () => {
    const cidr = '10.20.3.0/24';
    const groupsBefore = (await cyNodes(ui.page, 'node[type = "group"]')).length;
    const btn = ui.page.locator(`#group-list button`, { hasText: cidr });
    await btn.focus();
    await ui.page.keyboard.press('Enter');
    await poll(async () => (await cyNodes(ui.page, 'node[type = "asset"]')).length).toBe(expected.get(cidr)!.length);
    const assets = await cyNodes(ui.page, 'node[type = "asset"]');
    const group = (await cyNodes(ui.page, 'node[type = "group"]')).find((g) => g.label === cidr)!;
    expect(assets.every((a) => a.parent === group.id)).toBe(true);
    expect(assets.map((a) => a.label).sort()).toEqual([...expected.get(cidr)!].sort());
    // Other groups are still there, collapsed.
    expect((await cyNodes(ui.page, 'node[type = "group"]')).length).toBe(groupsBefore);
    // The expansion is in the URL, so a reload (or a shared link) shows the same map.
    expect(decodeURIComponent(ui.page.url())).toContain(`expand=${group.id}`);
    await screenshot(ui.page, 'map-expanded');
    await ui.page.reload();
    await waitForMap(ui.page, 0);
    await poll(async () => (await cyNodes(ui.page, 'node[type = "asset"]')).length).toBe(expected.get(cidr)!.length);
  });

  it('filters the map by text: only matching assets are counted', async () => {
    const since = await mapRenders(ui.page);
    await ui.page.fill('#f-q', 'infusion');
    await ui.page.press('#f-q', 'Enter');
    await waitForMap(ui.page, since);
    const groups = await cyNodes(ui.page, 'node[type = "group"]');
    const pumps = [...expected].filter(([, names]) => names.some((n) => n.includes('infusion')));
    expect(groups.map((g) => g.label)).toEqual(pumps.map(([cidr]) => cidr));
    expect(Number(groups[0]!.count)).toBe(pumps[0]![1].filter((n) => n.includes('infusion')).length);
    expect(ui.page.url()).toContain('q=infusion');
  });

  it('finds an asset by name, jumps to it and opens its panel', async () => {
    const since = await mapRenders(ui.page);
    await ui.page.goto(`${b.url}/#/map?groupBy=subnet`);
    await waitForMap(ui.page, since);
    await ui.page.fill('#find-asset', 'pacs01');
    await ui.page.press('#find-asset', 'Enter');
    await ui.page.locator('#find-results button', { hasText: 'pacs01' }).click();
    await poll(async () => (await cyNodes(ui.page, 'node:selected')).map((n) => n.label)).toEqual(['pacs01.demo.example']);
    await poll(() => ui.page.locator('#asset-panel-title').innerText()).toBe('pacs01.demo.example');
    await expect(ui.page.locator('#asset-panel').innerText()).resolves.toContain('Orthanc');
    await screenshot(ui.page, 'asset-panel');
  });

  it('shows hostile scan output as text, never as markup', async () => {
    await ui.page.fill('#find-asset', 'evil-banner');
    await ui.page.press('#find-asset', 'Enter');
    await ui.page.locator('#find-results button', { hasText: 'evil-banner' }).click();
    await poll(() => ui.page.locator('#asset-panel').innerText()).toContain(HOSTILE_PRODUCT);
    await expect(ui.page.locator('#asset-panel').innerText()).resolves.toContain(HOSTILE_NAME);
    expect(await ui.page.locator('#asset-panel img, #asset-panel script').count()).toBe(0);
    expect(await ui.page.evaluate(() => (window as unknown as { __pwned?: number }).__pwned)).toBeUndefined();
    await screenshot(ui.page, 'asset-panel-hostile');
  });

  it('lists the inventory in a sortable virtualised table and downloads it as CSV', async () => {
    const total = [...expected.values()].reduce((s, l) => s + l.length, 0);
    await ui.page.goto(`${b.url}/#/inventory`);
    await poll(() => ui.page.locator('#inventory-status').innerText()).toBe(`${total} assets`);
    const names = [...expected.values()].flat().sort();
    await expect(ui.page.locator('#inventory-rows .vrow').first().locator('[role=gridcell]').first().innerText()).resolves.toBe(names[0]);
    await ui.page.click('button[data-sort="name"]');
    await poll(() => ui.page.locator('#inventory-rows .vrow').first().locator('[role=gridcell]').first().innerText()).toBe(names[names.length - 1]);
    expect(ui.page.url()).toContain('order=desc');
    await screenshot(ui.page, 'inventory');
    const [dl] = await Promise.all([ui.page.waitForEvent('download'), ui.page.click('#export-view-csv')]);
    const csv = readFileSync((await dl.path())!, 'utf8').trim().split(/\r\n/);
    expect(csv[0]).toBe('Name,Kind,IP addresses,MAC / vendor,ePHI role,AI,Status,First seen,Last seen');
    expect(csv).toHaveLength(total + 1);
    const pacs = csv.find((l) => l.startsWith('pacs01.demo.example,'))!;
    expect(pacs).toContain('10.20.1.10');
    expect(csv.slice(1).map((l) => l.split(',')[0]).sort()).toEqual([...names].sort());
  });

  it('raised no console errors', () => {
    expect(ui.errors.join('\n')).toBe('');
  });
});
