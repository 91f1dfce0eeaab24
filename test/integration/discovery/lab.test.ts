import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { serviceScripts } from '../../../services/core/src/graph/scan-repository.js';
import { startWorkers, type RunningWorkers } from '../../../services/discovery/src/workers/index.js';
import { buildTestApp, type TestApp } from '../../helpers/app.js';
import { buildLab, type Lab } from '../../lab/lab.js';

// Real nmap from the root namespace against a lab of network namespaces this test builds
// (10.77.213.0/24 exists only on the lab bridge). The authorised scope is exactly that /24.
const OCTET = 213;
const WINDOW_S = 25;
let lab: Lab;
let t: TestApp;
let workers: RunningWorkers;

type Svc = { port: number; protocol: string; state: string; name: string | null; product: string | null; version: string | null };

async function waitJob(id: string, timeoutMs = 120_000) {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const j = await t.queues.getJob(id).catch(() => null);
    if (j && ['completed', 'failed', 'cancelled'].includes(j.state)) return j;
    if (Date.now() > deadline) throw new Error(`job ${id} not finished`);
    await new Promise((r) => setTimeout(r, 300));
  }
}

async function assetByIp(ip: string) {
  const items = (await t.app.inject({ method: 'GET', url: `/api/v1/assets?q=${ip}&limit=50`, headers: t.auth('viewer') })).json().items as { id: string; ips: string[] }[];
  const a = items.find((x) => x.ips.includes(ip));
  if (!a) throw new Error(`no asset for ${ip}`);
  return (await t.app.inject({ method: 'GET', url: `/api/v1/assets/${a.id}`, headers: t.auth('viewer') })).json() as { id: string; status: string; services: Svc[] };
}

function open(services: Svc[], port: number) {
  return services.find((s) => s.port === port && s.protocol === 'tcp' && s.state === 'open');
}

beforeAll(async () => {
  lab = await buildLab(OCTET);
  t = await buildTestApp({
    ATLAS_SCAN_SCOPE: lab.subnet,
    ATLAS_MAX_SCAN_PREFIX_V4: '24',
    ATLAS_STALENESS_POLICIES: JSON.stringify([{ name: 'lab-short', maxAgeSeconds: WINDOW_S, severity: 'high' }]),
  });
  workers = startWorkers(t.queues, t.graph, t.config);
}, 180_000);

afterAll(async () => {
  await workers?.close();
  await t?.close();
  await lab?.teardown();
});

describe('the lab: scheduled healthcare scan, a service stopped, a host gone', () => {
  let defId = '';
  const ip = (h: string) => lab.hosts[h]!.ip;

  it('uses exactly the lab /24 as scope and refuses loopback', async () => {
    const scope = (await t.app.inject({ method: 'GET', url: '/api/v1/scans/scope', headers: t.auth('admin') })).json();
    expect(scope.cidrs).toEqual([lab.subnet]);
    const r = await t.app.inject({ method: 'POST', url: '/api/v1/scans', headers: t.auth('security'), payload: { name: 'lo', targets: ['127.0.0.1'], profile: 'top-tcp' } });
    expect(r.json().error.code).toBe('TARGET_OUT_OF_SCOPE');
  });

  it('a scheduled scan finds the PACS, the modality, redis, the web server, the HL7 listener and the AI endpoint', async () => {
    const c = await t.app.inject({ method: 'POST', url: '/api/v1/scans', headers: t.auth('security'), payload: { name: 'lab', targets: [lab.subnet], profile: 'healthcare', schedule: '*/5 * * * * *' } });
    expect(c.statusCode).toBe(201);
    defId = c.json().id;
    let jobIds: string[] = [];
    const deadline = Date.now() + 30_000;
    while (jobIds.length === 0 && Date.now() < deadline) {
      await new Promise((r) => setTimeout(r, 300));
      jobIds = (await t.app.inject({ method: 'GET', url: `/api/v1/scans/${defId}`, headers: t.auth('security') })).json().lastJobIds;
    }
    // One scheduled run is enough; later runs are started by hand.
    await t.app.inject({ method: 'PATCH', url: `/api/v1/scans/${defId}`, headers: t.auth('security'), payload: { enabled: false } });
    const t0 = Date.now();
    const job = await waitJob(jobIds[0]!);
    console.log(`[figures] lab /24 healthcare scan: ${((Date.now() - t0) / 1000).toFixed(1)} s after the scheduled job was queued`);
    expect(job.state).toBe('completed');
    expect(job.result).toMatchObject({ complete: true, hostsUp: 7, assetsCreated: 7, newAssets: 7 });

    const pacs = await assetByIp(ip('pacs'));
    expect(open(pacs.services, 4242)?.name).toBe('dicom');
    expect(open(pacs.services, 8042)).toBeTruthy();
    const dicomPing = await serviceScripts(t.graph, ip('pacs'), 'tcp', 4242);
    expect(dicomPing.find((s) => s.id === 'dicom-ping')?.output).toContain('DICOM Service Provider discovered');
    const modality = await assetByIp(ip('modality'));
    expect(open(modality.services, 104)?.name).toBe('dicom');
    expect((await serviceScripts(t.graph, ip('modality'), 'tcp', 104)).find((s) => s.id === 'dicom-ping')?.output).toContain('DICOM Service Provider discovered');
    const cache = await assetByIp(ip('cache'));
    expect(open(cache.services, 6379)).toMatchObject({ name: 'redis', product: 'Redis key-value store', version: '7.0.15' });
    const web = await assetByIp(ip('web'));
    expect(open(web.services, 8080)?.product).toBe('SimpleHTTPServer');
    expect(open((await assetByIp(ip('hl7'))).services, 2575)).toBeTruthy();
    expect(open((await assetByIp(ip('ai'))).services, 11434)).toBeTruthy();

    const alerts = (await t.app.inject({ method: 'GET', url: '/api/v1/alerts?type=new-asset', headers: t.auth('viewer') })).json().items;
    expect(alerts).toHaveLength(7);
  });

  it('stopping storescp and unplugging redis, then rescanning, gives port-closed and asset-missed changes, and a staleness alert after the window', async () => {
    const firstSeenAt = Date.now();
    await lab.stopService('modality', 'storescp');
    lab.unplug('cache');
    const run = (await t.app.inject({ method: 'POST', url: `/api/v1/scans/${defId}/run`, headers: t.auth('security') })).json();
    const job = await waitJob(run.jobId);
    expect(job.state).toBe('completed');
    expect(job.result).toMatchObject({ complete: true, hostsUp: 6, missed: 1 });

    const modality = await assetByIp(ip('modality'));
    expect(open(modality.services, 104)).toBeUndefined();
    const closed = (await t.app.inject({ method: 'GET', url: `/api/v1/changes?type=port-closed&assetId=${modality.id}`, headers: t.auth('viewer') })).json().items;
    expect(closed).toHaveLength(1);
    expect(JSON.stringify(closed[0])).toContain('104');
    const cache = await assetByIp(ip('cache'));
    expect(cache.status).toBe('missed');
    const missed = (await t.app.inject({ method: 'GET', url: `/api/v1/changes?type=asset-missed`, headers: t.auth('viewer') })).json().items;
    expect(missed.map((c: { assetId: string }) => c.assetId)).toEqual([cache.id]);

    // After the policy window, the sweep opens a staleness alert for redis' host only.
    const wait = WINDOW_S * 1000 - (Date.now() - firstSeenAt) + 1_000;
    if (wait > 0) await new Promise((r) => setTimeout(r, wait));
    const sweep = (await t.app.inject({ method: 'POST', url: '/api/v1/alerts/sweep', headers: t.auth('admin') })).json();
    const sj = await waitJob(sweep.jobId);
    expect(sj.result).toMatchObject({ opened: 1 });
    const stale = (await t.app.inject({ method: 'GET', url: '/api/v1/alerts?type=stale&state=open', headers: t.auth('viewer') })).json().items;
    expect(stale.map((a: { assetId: string }) => a.assetId)).toEqual([cache.id]);
    expect((await assetByIp(ip('cache'))).status).toBe('stale');
  });
});
