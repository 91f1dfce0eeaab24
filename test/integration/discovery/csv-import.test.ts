import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ingestHosts } from '../../../services/core/src/graph/asset-ingest-repository.js';
import type { NmapHost } from '../../../services/discovery/src/nmap/nmap-types.js';
import { startWorkers, type RunningWorkers } from '../../../services/discovery/src/workers/index.js';
import { buildTestApp, type TestApp } from '../../helpers/app.js';

let t: TestApp;
let workers: RunningWorkers;

const CSV = [
  'Asset Tag,IP Address,Device,Type,ePHI,Encrypted at rest,Notes',
  'HOSP-001,10.98.0.10,PACS archive,server,stores,yes,"Radiology, 2nd floor"',
  'HOSP-002,10.98.0.11,CT scanner,medical-device,processes,unknown,',
  'HOSP-003,,Spare laptop,workstation,none,no,in storage',
].join('\n');
const MAPPING = JSON.stringify({ assetTag: 'Asset Tag', ip: 'IP Address', name: 'Device', kind: 'Type', ephiRole: 'ePHI', encryptionAtRest: 'Encrypted at rest', notes: 'Notes' });

async function post(body: string, query: string) {
  return t.app.inject({ method: 'POST', url: `/api/v1/imports/csv?${query}`, headers: { ...t.auth('security'), 'content-type': 'text/csv' }, payload: body });
}
async function waitJob(id: string) {
  for (let i = 0; i < 300; i++) {
    const j = await t.queues.getJob(id);
    if (['completed', 'failed', 'cancelled'].includes(j.state)) return j;
    await new Promise((r) => setTimeout(r, 200));
  }
  throw new Error('job did not finish');
}
async function search(q: string) {
  return (await t.app.inject({ method: 'GET', url: `/api/v1/assets?q=${encodeURIComponent(q)}`, headers: t.auth('viewer') })).json().items as { id: string; name: string; kind: string; ephiRole: string }[];
}

beforeAll(async () => {
  t = await buildTestApp();
  workers = startWorkers(t.queues, t.graph, t.config);
  const host = { status: 'up', addresses: [{ addr: '10.98.0.10', addrtype: 'ipv4' }], hostnames: [], ports: [], extraPorts: [], os: { matches: [], portsUsed: [] }, hostScripts: [] } as unknown as NmapHost;
  await ingestHosts(t.graph, { runId: 'run-csv', sourceId: 'nmap', at: new Date().toISOString() }, [host]);
});
afterAll(async () => {
  await workers?.close();
  await t?.close();
});

describe('CSV inventory import', () => {
  it('a dry run says what would change and writes nothing', async () => {
    const r = await post(CSV, `dryRun=true&mapping=${encodeURIComponent(MAPPING)}`);
    expect(r.statusCode).toBe(202);
    const j = await waitJob(r.json().jobId);
    expect(j.result).toMatchObject({ dryRun: true, rows: 3, wouldCreate: 2, wouldUpdate: 1 });
    const pacsRow = (j.result as { plan: { row: number }[] }).plan.find((p) => p.row === 2);
    expect(pacsRow).toMatchObject({ matchedBy: 'ip', changes: { ephiRole: { before: null, after: 'stores' }, name: { after: 'PACS archive' } } });
    expect(await search('hosp-00')).toHaveLength(0);
  });

  it('imports the rows as assertions: matches the scanned host by IP, creates the others', async () => {
    const j = await waitJob((await post(CSV, `mapping=${encodeURIComponent(MAPPING)}`)).json().jobId);
    expect(j.result).toMatchObject({ dryRun: false, rows: 3, created: 2, updated: 1 });
    const pacs = await search('10.98.0.10');
    expect(pacs).toHaveLength(1);
    expect(pacs[0]).toMatchObject({ name: 'PACS archive', kind: 'server', ephiRole: 'stores' });
    expect(await search('hosp-00')).toHaveLength(3);
    // Importing the same file again updates in place (matched by asset tag): no duplicates.
    const again = await waitJob((await post(CSV, `mapping=${encodeURIComponent(MAPPING)}`)).json().jobId);
    expect(again.result).toMatchObject({ created: 0, updated: 3 });
    expect(await search('hosp-00')).toHaveLength(3);
  });

  it('refuses bad rows with 400 naming row and column, and writes nothing', async () => {
    const bad = CSV.replace('server,stores', 'mainframe,stores').replace('10.98.0.11', '10.98.0.999') + '\nHOSP-004,10.98.0.20,New box,server,stores,maybe,';
    const r = await post(bad, `mapping=${encodeURIComponent(MAPPING)}`);
    expect(r.statusCode).toBe(400);
    const e = r.json().error;
    expect(e.code).toBe('CSV_INVALID');
    expect(e.message).toContain('row 2, column "Type"');
    expect(e.details.errors.map((x: { row: number; column: string }) => `${x.row}:${x.column}`)).toEqual(['2:Type', '3:IP Address', '5:Encrypted at rest']);
    expect(await search('HOSP-004')).toHaveLength(0);
    const m = await post(CSV, `mapping=${encodeURIComponent(JSON.stringify({ ip: 'Address' }))}`);
    expect(m.json().error).toMatchObject({ code: 'CSV_MAPPING_INVALID', details: { field: 'mapping.ip' } });
    const f = await post(CSV, `mapping=${encodeURIComponent(JSON.stringify({ owner: 'x' }))}`);
    expect(f.json().error.details.field).toBe('mapping.owner');
    expect((await post(CSV, 'dryRun=perhaps')).statusCode).toBe(400);
  });
});
