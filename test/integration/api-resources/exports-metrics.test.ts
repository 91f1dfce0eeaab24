import ExcelJS from 'exceljs';
import { parse } from 'csv-parse/sync';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { INVENTORY_COLUMNS } from '../../../services/core/src/graph/export-repository.js';
import { ingestHosts } from '../../../services/core/src/graph/asset-ingest-repository.js';
import { buildTestApp, type TestApp } from '../../helpers/app.js';
import { buildSmallGraph, call } from './small-graph.js';

const HEADERS: string[] = INVENTORY_COLUMNS.map(([, h]) => h);

describe('streamed exports parsed back, and /metrics', () => {
  let t: TestApp;
  let ids: Record<string, string>;

  beforeAll(async () => {
    t = await buildTestApp();
    ids = await buildSmallGraph(t.graph);
    const vendor = (await call(t, 'POST', '/api/v1/vendors', 'security', { name: 'DB Maker', isBusinessAssociate: true, baaSigned: true, baaEffective: '2024-01-01', baaExpires: '2099-01-01' })).body;
    const person = (await call(t, 'POST', '/api/v1/people', 'security', { name: 'Dana Owner', email: 'dana@example.org' })).body;
    const site = (await call(t, 'POST', '/api/v1/sites', 'security', { name: '=HYPERLINK("http://evil.example","click")', kind: 'room' })).body;
    const { VendorRepository } = await import('../../../services/core/src/graph/vendor-repository.js');
    const { PersonRepository } = await import('../../../services/core/src/graph/person-repository.js');
    const { SiteRepository } = await import('../../../services/core/src/graph/site-repository.js');
    await new VendorRepository(t.graph).supplyAssets(vendor.id, [ids.db!]);
    await new PersonRepository(t.graph).assignAssets(person.id, [ids.db!, ids.files!]);
    await new SiteRepository(t.graph).locateAssets(site.id, [ids.db!]);
    await call(t, 'POST', '/api/v1/flows', 'security', { source: { type: 'asset', id: ids.app }, target: { type: 'asset', id: ids.db }, dataCategories: ['diagnoses', 'lab-results'], protocol: 'TDS', port: 1433, encryptedInTransit: false, purpose: '-1+1 looks like a formula' });
    await call(t, 'POST', '/api/v1/flows', 'security', { source: { type: 'asset', id: ids.db }, target: { type: 'vendor', id: vendor.id }, dataCategories: ['imaging'], encryptedInTransit: true });
  });
  afterAll(async () => t.close());

  it('inventory CSV: the NPRM columns, one row per asset, owner/location/vendor/BAA filled in, formulas neutralised', async () => {
    const r = await t.app.inject({ method: 'GET', url: '/api/v1/exports/inventory?format=csv', headers: t.auth('analyst') });
    expect(r.statusCode).toBe(200);
    expect(r.headers['content-type']).toMatch(/^text\/csv/);
    expect(r.headers['content-disposition']).toMatch(/^attachment; filename="ephi-atlas-inventory-\d{4}-\d{2}-\d{2}\.csv"$/);
    const rows: string[][] = parse(r.body, { bom: true });
    expect(rows[0]).toEqual(HEADERS);
    expect(rows).toHaveLength(10);
    const col = (name: string) => HEADERS.indexOf(name);
    const db = rows.find((row) => row[col('Name')] === 'db.t.example')!;
    expect(db[col('ePHI role')]).toBe('stores');
    expect(db[col('Accountable person')]).toBe('Dana Owner');
    expect(db[col('Vendor')]).toBe('DB Maker');
    expect(db[col('BAA status')]).toBe('current');
    expect(db[col('BAA expires')]).toBe('2099-01-01');
    expect(db[col('IP addresses')]).toBe('10.9.2.21');
    expect(db[col('ePHI flows in')]).toBe('1');
    expect(db[col('Location')]).toBe(`'=HYPERLINK("http://evil.example","click")`);
  });

  it('inventory JSON with a filter, and XLSX read back with exceljs', async () => {
    const j = await t.app.inject({ method: 'GET', url: '/api/v1/exports/inventory?format=json&ephi=stores', headers: t.auth('analyst') });
    expect(j.statusCode).toBe(200);
    const body = j.json();
    expect(body.items.map((i: any) => i.name).sort()).toEqual(['db.t.example', 'files.t.example', 'island.t.example']);
    expect(body.columns.map((c: any) => c.header)).toEqual(HEADERS);

    const x = await t.app.inject({ method: 'GET', url: '/api/v1/exports/inventory?format=xlsx', headers: t.auth('analyst') });
    expect(x.statusCode).toBe(200);
    expect(x.headers['content-disposition']).toMatch(/\.xlsx"$/);
    const wb = new ExcelJS.Workbook();
    await wb.xlsx.load(x.rawPayload as unknown as ArrayBuffer);
    const ws = wb.worksheets[0]!;
    expect(ws.rowCount).toBe(10);
    expect((ws.getRow(1).values as unknown[]).slice(1)).toEqual(HEADERS);
    const names = [];
    for (let i = 2; i <= ws.rowCount; i++) names.push(ws.getRow(i).getCell(2).value);
    expect(names).toContain('laptop.t.example');
  });

  it('flows CSV and the GraphML map', async () => {
    const f = await t.app.inject({ method: 'GET', url: '/api/v1/exports/flows?format=csv', headers: t.auth('analyst') });
    const rows: Record<string, string>[] = parse(f.body, { bom: true, columns: true });
    expect(rows).toHaveLength(2);
    const internal = rows.find((r) => r.targetName === 'db.t.example')!;
    expect(internal).toMatchObject({ protocol: 'TDS', port: '1433', encryptedInTransit: 'false', dataCategories: 'diagnoses; lab-results', purpose: "'-1+1 looks like a formula", baaCovered: '' });
    expect(rows.find((r) => r.targetName === 'DB Maker')).toMatchObject({ external: 'true', baaCovered: 'true' });

    const g = await t.app.inject({ method: 'GET', url: '/api/v1/exports/map.graphml', headers: t.auth('analyst') });
    expect(g.statusCode).toBe(200);
    expect(g.headers['content-disposition']).toMatch(/\.graphml"$/);
    expect(g.body.match(/<node /g)).toHaveLength(10); // 9 assets + 1 vendor
    expect(g.body.match(/<edge /g)).toHaveLength(9); // 7 connections + 2 flows
    expect(g.body).toContain(`source="${ids.app}" target="${ids.db}"`);
    expect(g.body.trim().endsWith('</graphml>')).toBe(true);
  });

  it('exports need the analyst role and a known format', async () => {
    expect((await call(t, 'GET', '/api/v1/exports/inventory', 'viewer')).status).toBe(403);
    const bad = await call(t, 'GET', '/api/v1/exports/inventory?format=pdf', 'analyst');
    expect(bad.status).toBe(400);
    expect(bad.body.error.message).toMatch(/format/);
  });

  it('streams a multi-page inventory (2,600 assets, pages of 500) with every row exactly once', async () => {
    const hosts = Array.from({ length: 2600 }, (_, i) => ({
      status: 'up' as const,
      addresses: [{ addr: `10.77.${Math.floor(i / 250)}.${(i % 250) + 1}`, addrtype: 'ipv4' as const }],
      hostnames: [],
      ports: [],
      extraPorts: [],
      os: { matches: [], portsUsed: [] },
      hostScripts: [],
    }));
    await ingestHosts(t.graph, { runId: 'run-bulk', sourceId: 'demo', at: new Date().toISOString() }, hosts);
    const t0 = Date.now();
    const r = await t.app.inject({ method: 'GET', url: '/api/v1/exports/inventory?format=csv', headers: t.auth('analyst') });
    const ms = Date.now() - t0;
    const rows: string[][] = parse(r.body, { bom: true });
    expect(rows).toHaveLength(1 + 2609);
    expect(new Set(rows.slice(1).map((row) => row[0])).size).toBe(2609);
    console.log(`[figures] inventory CSV of 2,609 assets: ${ms} ms, ${(r.body.length / 1024).toFixed(0)} KiB`);
  });

  it('/metrics: open on loopback, admin-only from elsewhere, with latency, queue and ingest series', async () => {
    await call(t, 'GET', '/api/v1/map/overview', 'viewer');
    const r = await t.app.inject({ method: 'GET', url: '/metrics' });
    expect(r.statusCode).toBe(200);
    expect(r.headers['content-type']).toMatch(/^text\/plain/);
    expect(r.body).toMatch(/atlas_http_request_duration_seconds_count\{method="GET",route="\/api\/v1\/map\/overview",status_code="200"\} \d+/);
    expect(r.body).toMatch(/atlas_queue_jobs\{queue="import",state="waiting"\} 0/);
    expect(r.body).toMatch(/atlas_assets \d+/);
    expect(r.body).toMatch(/atlas_ingest_hosts_total\{kind="test",status="completed"\} 9/);
    const remote = { remoteAddress: '192.0.2.10' };
    expect((await t.app.inject({ method: 'GET', url: '/metrics', ...remote })).statusCode).toBe(401);
    expect((await t.app.inject({ method: 'GET', url: '/metrics', headers: t.auth('security'), ...remote })).statusCode).toBe(403);
    expect((await t.app.inject({ method: 'GET', url: '/metrics', headers: t.auth('admin'), ...remote })).statusCode).toBe(200);
  });
});
