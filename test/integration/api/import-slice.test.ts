import { readFileSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startWorkers, type RunningWorkers } from '../../../services/discovery/src/workers/index.js';
import { buildTestApp, type TestApp } from '../../helpers/app.js';

const FIXTURES = new URL('../../../../shared/fixtures/nmap/', import.meta.url);
const fixture = (p: string) => readFileSync(new URL(p, FIXTURES));

async function waitForJob(t: TestApp, jobId: string) {
  for (let i = 0; i < 300; i++) {
    const res = await t.app.inject({ method: 'GET', url: `/api/v1/jobs/${jobId}`, headers: t.auth('viewer') });
    const body = res.json();
    if (['completed', 'failed', 'cancelled'].includes(body.state)) return body;
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error(`job ${jobId} did not finish`);
}

describe('nmap XML import, end to end: upload → job → graph → assets API', () => {
  let t: TestApp;
  let workers: RunningWorkers;

  beforeAll(async () => {
    t = await buildTestApp();
    workers = startWorkers(t.queues, t.graph, t.config);
  });
  afterAll(async () => {
    await workers.close();
    await t.close();
  });

  it('imports the lab scan and lists its hosts as assets', async () => {
    const res = await t.app.inject({
      method: 'POST',
      url: '/api/v1/imports/nmap',
      headers: { ...t.auth('security'), 'content-type': 'application/xml' },
      payload: fixture('lab/lab-top200-connect.xml'),
    });
    expect(res.statusCode).toBe(202);
    const job = await waitForJob(t, res.json().jobId);
    expect(job.state).toBe('completed');
    expect(job.result).toMatchObject({ hosts: 6, assetsCreated: 6, assetsUpdated: 0, complete: true });

    const list = await t.app.inject({ method: 'GET', url: '/api/v1/assets?q=10.77.0.10', headers: t.auth('viewer') });
    expect(list.statusCode).toBe(200);
    const items = list.json().items;
    expect(items).toHaveLength(1);
    const detail = await t.app.inject({ method: 'GET', url: `/api/v1/assets/${items[0].id}`, headers: t.auth('viewer') });
    const ports = detail.json().services.map((s: { port: number }) => s.port).sort((a: number, b: number) => a - b);
    expect(ports).toEqual([80, 8443]); // the lab's web host; the other hosts have nothing in the top 200 ports
    expect(detail.json().services[0].product).toBe('SimpleHTTPServer');
    expect(detail.json().mac).toBe('FE:F8:2A:A9:C0:68');
  });

  it('re-importing the same file creates nothing new', async () => {
    const res = await t.app.inject({
      method: 'POST',
      url: '/api/v1/imports/nmap',
      headers: { ...t.auth('security'), 'content-type': 'application/xml' },
      payload: fixture('lab/lab-top200-connect.xml'),
    });
    const job = await waitForJob(t, res.json().jobId);
    expect(job.result).toMatchObject({ hosts: 6, assetsCreated: 0, assetsUpdated: 6 });
    const list = await t.app.inject({ method: 'GET', url: '/api/v1/assets?limit=50', headers: t.auth('viewer') });
    expect(list.json().items).toHaveLength(6);
  });

  it('refuses an XML external-entity attack with a 400 and queues nothing', async () => {
    const res = await t.app.inject({
      method: 'POST',
      url: '/api/v1/imports/nmap',
      headers: { ...t.auth('security'), 'content-type': 'application/xml' },
      payload: fixture('public/defused_et_local_includer.xml'),
    });
    expect(res.statusCode).toBe(400);
    expect(res.json().error.code).toBe('XML_DTD_REFUSED');
    const counts = await t.queues.counts();
    expect((counts.import.waiting ?? 0) + (counts.import.active ?? 0)).toBe(0);
  });

  it('answers every malformed upload with a 4xx in the error model, never a 5xx', async () => {
    const bodies: [string, string | Buffer][] = [
      ['empty', ''],
      ['not xml', 'hello world'],
      ['binary', Buffer.from([0, 159, 146, 150, 255, 0, 1])],
      ['wrong root', '<?xml version="1.0"?><html><body/></html>'],
      ['cut before the root closes', '<?xml version="1.0"?><nmaprun scanner="nmap"'],
      ['json', '{"hosts": []}'],
    ];
    for (const [what, payload] of bodies) {
      for (const type of ['application/xml', 'text/plain']) {
        const url = type === 'application/xml' ? '/api/v1/imports/nmap' : '/api/v1/imports/zeek';
        const res = await t.app.inject({ method: 'POST', url, headers: { ...t.auth('security'), 'content-type': type }, payload });
        if (res.statusCode === 202) continue; // a flow log may legitimately be empty of rows; the job reports it
        expect(res.statusCode, `${what} → ${url}: ${res.body}`).toBeGreaterThanOrEqual(400);
        expect(res.statusCode, `${what} → ${url}: ${res.body}`).toBeLessThan(500);
        expect(res.json().error.code, what).toMatch(/^[A-Z_]+$/);
      }
    }
  });

  it('answers 401 without credentials and 403 below the route role', async () => {
    const anon = await t.app.inject({ method: 'GET', url: '/api/v1/assets' });
    expect(anon.statusCode).toBe(401);
    expect(anon.json().error.code).toBe('UNAUTHENTICATED');
    const viewer = await t.app.inject({ method: 'POST', url: '/api/v1/imports/nmap', headers: { ...t.auth('viewer'), 'content-type': 'application/xml' }, payload: '<nmaprun/>' });
    expect(viewer.statusCode).toBe(403);
  });

  it('answers an over-long path parameter in the error model', async () => {
    const res = await t.app.inject({ method: 'GET', url: `/api/v1/jobs/imp-${'x'.repeat(300)}`, headers: t.auth('viewer') });
    expect(res.statusCode).toBe(400);
    expect(res.json().error.code).toBe('VALIDATION_FAILED');
  });

  it('rejects a bad query with a 400 naming the field', async () => {
    const res = await t.app.inject({ method: 'GET', url: '/api/v1/assets?limit=100000', headers: t.auth('viewer') });
    expect(res.statusCode).toBe(400);
    expect(res.json().error.message).toMatch(/limit/);
  });
});

describe('asset paging', () => {
  let t: TestApp;
  beforeAll(async () => {
    t = await buildTestApp();
    const { ingestHosts } = await import('../../../services/core/src/graph/asset-ingest-repository.js');
    const hosts = Array.from({ length: 23 }, (_, i) => ({
      status: 'up' as const,
      addresses: [{ addr: `127.88.0.${i + 1}`, addrtype: 'ipv4' as const }],
      hostnames: [{ name: `host-${String(i).padStart(2, '0')}.paging.example`, type: 'PTR' }],
      ports: [],
      extraPorts: [],
      os: { matches: [], portsUsed: [] },
      hostScripts: [],
    }));
    await ingestHosts(t.graph, { runId: 'run-paging', sourceId: 'nmap', at: new Date().toISOString() }, hosts);
  });
  afterAll(async () => t.close());

  for (const [sort, order] of [['name', 'asc'], ['name', 'desc'], ['lastSeen', 'desc'], ['kind', 'asc']] as const) {
    it(`walks every asset exactly once by ${sort} ${order}`, async () => {
      const seen: string[] = [];
      const names: string[] = [];
      let cursor: string | null = null;
      do {
        const url: string = `/api/v1/assets?limit=5&sort=${sort}&order=${order}${cursor ? `&cursor=${cursor}` : ''}`;
        const res = await t.app.inject({ method: 'GET', url, headers: t.auth('viewer') });
        expect(res.statusCode).toBe(200);
        const body = res.json();
        seen.push(...body.items.map((a: { id: string }) => a.id));
        names.push(...body.items.map((a: { name: string }) => a.name));
        cursor = body.nextCursor;
      } while (cursor);
      expect(seen).toHaveLength(23);
      expect(new Set(seen).size).toBe(23);
      if (sort === 'name') {
        const sorted = [...names].sort();
        expect(names).toEqual(order === 'asc' ? sorted : sorted.reverse());
      }
    });
  }

  it('refuses a forged cursor with a 400', async () => {
    const res = await t.app.inject({ method: 'GET', url: '/api/v1/assets?sort=lastSeen&cursor=' + Buffer.from('[{"x":1},"a"]').toString('base64url'), headers: t.auth('viewer') });
    expect(res.statusCode).toBe(400);
    expect(res.json().error.code).toBe('INVALID_CURSOR');
  });
});
