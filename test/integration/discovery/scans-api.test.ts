import { createServer, type Server } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { listAlerts } from '../../../services/core/src/graph/alert-repository.js';
import { startWorkers, type RunningWorkers } from '../../../services/discovery/src/workers/index.js';
import { buildTestApp, type TestApp } from '../../helpers/app.js';

// Real nmap against loopback addresses only: 127.0.77.0/24 is inside the default scope.
const HOST = '127.0.77.5';
let t: TestApp;
let workers: RunningWorkers;
let hl7: Server;

async function waitJob(id: string, timeoutMs = 60_000) {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const r = await t.app.inject({ method: 'GET', url: `/api/v1/jobs/${id}`, headers: t.auth('viewer') });
    const j = r.json();
    if (['completed', 'failed', 'cancelled'].includes(j.state)) return j;
    if (Date.now() > deadline) throw new Error(`job ${id} still ${j.state}`);
    await new Promise((res) => setTimeout(res, 250));
  }
}

beforeAll(async () => {
  t = await buildTestApp({ ATLAS_SCAN_SCOPE: '127.0.0.0/8' });
  workers = startWorkers(t.queues, t.graph, t.config);
  // An HL7 MLLP listener on the healthcare port 2575 of our loopback address.
  hl7 = createServer((s) => s.on('data', () => s.end('\x0bMSH|^~\\&|ACK\rMSA|AA|1\r\x1c\r'))).listen(2575, HOST);
});

afterAll(async () => {
  hl7?.close();
  await workers?.close();
  await t?.close();
});

describe('scan definitions', () => {
  it('creates, lists, patches and deletes a definition', async () => {
    const h = t.auth('security');
    const c = await t.app.inject({ method: 'POST', url: '/api/v1/scans', headers: h, payload: { name: 'loopback', targets: ['127.0.77.0/28', 'localhost'], profile: 'top-tcp' } });
    expect(c.statusCode).toBe(201);
    const def = c.json();
    expect(def).toMatchObject({ name: 'loopback', profile: 'top-tcp', schedule: null, enabled: true, owner: 'test-security' });
    const dup = await t.app.inject({ method: 'POST', url: '/api/v1/scans', headers: h, payload: { name: 'loopback', targets: ['127.0.0.1'], profile: 'top-tcp' } });
    expect(dup.statusCode).toBe(409);
    const p = await t.app.inject({ method: 'PATCH', url: `/api/v1/scans/${def.id}`, headers: h, payload: { profile: 'host-discovery', schedule: '0 3 * * *' } });
    expect(p.statusCode).toBe(200);
    expect(p.json()).toMatchObject({ profile: 'host-discovery', schedule: '0 3 * * *' });
    expect(new Date(p.json().nextRunAt).getUTCHours()).toBe(3);
    const bad = await t.app.inject({ method: 'PATCH', url: `/api/v1/scans/${def.id}`, headers: h, payload: { targets: ['127.0.0.1', '8.8.8.8'] } });
    expect(bad.statusCode).toBe(400);
    expect(bad.json().error.details.field).toBe('targets[1]');
    expect((await t.app.inject({ method: 'GET', url: `/api/v1/scans/${def.id}`, headers: h })).json().targets).toEqual(['127.0.77.0/28', 'localhost']);
    const list = await t.app.inject({ method: 'GET', url: '/api/v1/scans', headers: h });
    expect(list.json().items.map((d: { name: string }) => d.name)).toContain('loopback');
    expect((await t.app.inject({ method: 'GET', url: '/api/v1/scans', headers: t.auth('viewer') })).statusCode).toBe(403);
    expect((await t.app.inject({ method: 'DELETE', url: `/api/v1/scans/${def.id}`, headers: h })).statusCode).toBe(204);
    expect((await t.app.inject({ method: 'GET', url: `/api/v1/scans/${def.id}`, headers: h })).statusCode).toBe(404);
    expect(await t.queues.queue('scan').getJobScheduler(`scan-def-${def.id}`)).toBeUndefined();
  });

  it.each([
    ['-iL /etc/passwd', 'TARGET_INVALID'],
    ['--script=http-fetch', 'TARGET_INVALID'],
    ['127.0.0.1,--script,http-fetch', 'TARGET_INVALID'],
    ['-oX', 'TARGET_INVALID'],
    ['--resume', 'TARGET_INVALID'],
    ['192.0.2.10', 'TARGET_OUT_OF_SCOPE'],
    ['127.0.0.0/8', 'TARGET_TOO_WIDE'],
    ['not a host', 'TARGET_INVALID'],
  ])('refuses target %s with 400 %s, naming it, and stores nothing', async (target, code) => {
    const before = (await t.app.inject({ method: 'GET', url: '/api/v1/scans', headers: t.auth('security') })).json().items.length;
    const r = await t.app.inject({ method: 'POST', url: '/api/v1/scans', headers: t.auth('security'), payload: { name: `x-${code}`, targets: ['127.0.0.1', target], profile: 'top-tcp' } });
    expect(r.statusCode).toBe(400);
    expect(r.json().error.code).toBe(code);
    expect(r.json().error.message).toContain(target);
    expect(r.json().error.details.field).toBe('targets[1]');
    expect((await t.app.inject({ method: 'GET', url: '/api/v1/scans', headers: t.auth('security') })).json().items.length).toBe(before);
  });

  it('refuses unknown profiles, bad schedules and extra fields with a 400 naming the field', async () => {
    const h = t.auth('security');
    const p = await t.app.inject({ method: 'POST', url: '/api/v1/scans', headers: h, payload: { name: 'p', targets: ['127.0.0.1'], profile: '-sV' } });
    expect(p.json().error).toMatchObject({ code: 'PROFILE_UNKNOWN', details: { field: 'profile' } });
    const s = await t.app.inject({ method: 'POST', url: '/api/v1/scans', headers: h, payload: { name: 's', targets: ['127.0.0.1'], profile: 'top-tcp', schedule: 'every day' } });
    expect(s.json().error).toMatchObject({ code: 'SCHEDULE_INVALID', details: { field: 'schedule' } });
    const x = await t.app.inject({ method: 'POST', url: '/api/v1/scans', headers: h, payload: { name: 'x', targets: ['127.0.0.1'], profile: 'top-tcp', args: '-sV' } });
    expect(x.statusCode).toBe(400);
    const n = await t.app.inject({ method: 'POST', url: '/api/v1/scans', headers: h, payload: { name: 'n', targets: [42], profile: 'top-tcp' } });
    expect(n.json().error.details.field).toBe('targets[0]');
  });

  it('lets an admin narrow the scope inside ATLAS_SCAN_SCOPE, and enforces it on new and existing definitions', async () => {
    const admin = t.auth('admin');
    const wide = await t.app.inject({ method: 'PUT', url: '/api/v1/scans/scope', headers: admin, payload: { cidrs: ['10.0.0.0/24'] } });
    expect(wide.statusCode).toBe(400);
    expect(wide.json().error).toMatchObject({ code: 'SCOPE_OUTSIDE_CEILING', details: { field: 'cidrs[0]' } });
    expect((await t.app.inject({ method: 'PUT', url: '/api/v1/scans/scope', headers: t.auth('security'), payload: { cidrs: ['127.0.78.0/24'] } })).statusCode).toBe(403);
    const def = (await t.app.inject({ method: 'POST', url: '/api/v1/scans', headers: t.auth('security'), payload: { name: 'narrowed', targets: ['127.0.79.1'], profile: 'host-discovery' } })).json();
    const put = await t.app.inject({ method: 'PUT', url: '/api/v1/scans/scope', headers: admin, payload: { cidrs: ['127.0.78.0/24'] } });
    expect(put.json()).toMatchObject({ cidrs: ['127.0.78.0/24'], source: 'stored', ceiling: ['127.0.0.0/8'], updatedBy: 'test-admin' });
    const out = await t.app.inject({ method: 'POST', url: '/api/v1/scans', headers: t.auth('security'), payload: { name: 'o', targets: ['127.0.77.1'], profile: 'top-tcp' } });
    expect(out.json().error.code).toBe('TARGET_OUT_OF_SCOPE');
    const run = await t.app.inject({ method: 'POST', url: `/api/v1/scans/${def.id}/run`, headers: t.auth('security') });
    expect(run.statusCode).toBe(400);
    expect(run.json().error.code).toBe('TARGET_OUT_OF_SCOPE');
    const reset = await t.app.inject({ method: 'PUT', url: '/api/v1/scans/scope', headers: admin, payload: { cidrs: null } });
    expect(reset.json()).toMatchObject({ source: 'config', cidrs: ['127.0.0.0/8'] });
  });
});

describe('running scans with real nmap', () => {
  it('runs now, streams progress, ingests the host with its HL7 port and opens a new-asset alert', async () => {
    const h = t.auth('security');
    const def = (await t.app.inject({ method: 'POST', url: '/api/v1/scans', headers: h, payload: { name: 'hl7', targets: [HOST], profile: 'healthcare' } })).json();
    const run = await t.app.inject({ method: 'POST', url: `/api/v1/scans/${def.id}/run`, headers: h });
    expect(run.statusCode).toBe(202);
    const { jobId } = run.json();
    // SSE: the stream ends with the final job view.
    const sse = await t.app.inject({ method: 'GET', url: `/api/v1/jobs/${jobId}/events`, headers: t.auth('viewer') });
    expect(sse.headers['content-type']).toContain('text/event-stream');
    const events = sse.body.split('\n\n').filter(Boolean).map((b) => ({ event: /event: (\w+)/.exec(b)![1], data: JSON.parse(/data: (.*)/.exec(b)![1]!) }));
    expect(events.some((e) => e.event === 'progress')).toBe(true);
    const end = events.at(-1)!;
    expect(end.event).toBe('end');
    expect(end.data.state).toBe('completed');
    expect(end.data.result).toMatchObject({ complete: true, hostsUp: 1, assetsCreated: 1, newAssets: 1 });
    expect(end.data.progress).toMatchObject({ percent: 100, hostsFound: 1 });

    const assets = (await t.app.inject({ method: 'GET', url: `/api/v1/assets?q=${HOST}`, headers: t.auth('viewer') })).json().items;
    expect(assets).toHaveLength(1);
    const detail = (await t.app.inject({ method: 'GET', url: `/api/v1/assets/${assets[0].id}`, headers: t.auth('viewer') })).json();
    expect(detail.services.find((s: { port: number }) => s.port === 2575)).toMatchObject({ state: 'open', protocol: 'tcp' });
    const alerts = await listAlerts(t.graph, { type: 'new-asset', assetId: assets[0].id });
    expect(alerts).toHaveLength(1);

    // Scanning the host again updates the same asset (idempotent ingestion); a ping scan keeps it quick.
    const ping = (await t.app.inject({ method: 'POST', url: '/api/v1/scans', headers: h, payload: { name: 'hl7-ping', targets: [HOST], profile: 'host-discovery' } })).json();
    const again = (await t.app.inject({ method: 'POST', url: `/api/v1/scans/${ping.id}/run`, headers: h })).json();
    const j2 = await waitJob(again.jobId);
    expect(j2.result).toMatchObject({ assetsCreated: 0, assetsUpdated: 1, newAssets: 0 });
    expect((await t.app.inject({ method: 'GET', url: `/api/v1/assets?q=${HOST}`, headers: t.auth('viewer') })).json().items).toHaveLength(1);
  }, 240_000);

  it('cancel kills nmap at once and the job reads cancelled', async () => {
    const h = t.auth('security');
    // 4096 loopback addresses in 16 chunks of 256; service-version keeps nmap busy long enough to cancel it.
    const def = (await t.app.inject({ method: 'POST', url: '/api/v1/scans', headers: h, payload: { name: 'big', targets: ['127.1.0.0/20'], profile: 'service-version' } })).json();
    const run = (await t.app.inject({ method: 'POST', url: `/api/v1/scans/${def.id}/run`, headers: h })).json();
    expect(run.jobIds).toHaveLength(16);
    const deadline = Date.now() + 30_000;
    while ((await t.queues.getJob(run.jobId)).state !== 'active') {
      if (Date.now() > deadline) throw new Error('never active');
      await new Promise((r) => setTimeout(r, 100));
    }
    const { liveNmapPids } = await import('../../../services/discovery/src/scan/nmap-runner.js');
    // The chunk's job turns active a moment before its nmap child is spawned.
    for (let i = 0; i < 100 && liveNmapPids().length === 0; i++) await new Promise((r) => setTimeout(r, 100));
    expect(liveNmapPids().length).toBeGreaterThan(0);
    const t0 = Date.now();
    for (const id of run.jobIds) await t.app.inject({ method: 'POST', url: `/api/v1/jobs/${id}/cancel`, headers: h });
    const j = await waitJob(run.jobId, 10_000);
    const cancelMs = Date.now() - t0;
    expect(j.state).toBe('cancelled');
    expect(j.error.code).toBe('JOB_CANCELLED');
    for (let i = 0; i < 50 && liveNmapPids().length > 0; i++) await new Promise((r) => setTimeout(r, 100));
    expect(liveNmapPids()).toEqual([]);
    console.log(`[figures] cancel → job cancelled and nmap gone in ${cancelMs} ms`);
    // A chunk a worker had just picked up is stopped by the cancel message; give it a moment to read cancelled.
    const states = async () => Promise.all(run.jobIds.slice(1).map((id: string) => t.queues.getJob(id).then((j) => j.state, () => 'cancelled')));
    let others = await states();
    for (let i = 0; i < 100 && !others.every((s) => s === 'cancelled'); i++) {
      await new Promise((r) => setTimeout(r, 100));
      others = await states();
    }
    expect(others).toEqual(run.jobIds.slice(1).map(() => 'cancelled'));
  });

  it('ten concurrent upserts of one schedule leave one scheduler', async () => {
    const h = t.auth('security');
    const def = (await t.app.inject({ method: 'POST', url: '/api/v1/scans', headers: h, payload: { name: 'sched', targets: ['127.0.0.1'], profile: 'host-discovery', schedule: '*/5 * * * *' } })).json();
    const patterns = Array.from({ length: 10 }, (_, i) => `${i} 4 * * *`);
    const rs = await Promise.all(patterns.map((schedule) => t.app.inject({ method: 'PATCH', url: `/api/v1/scans/${def.id}`, headers: h, payload: { schedule } })));
    expect(rs.every((r) => r.statusCode === 200)).toBe(true);
    const all = (await t.queues.queue('scan').getJobSchedulers(0, -1)).filter((s) => s.key === `scan-def-${def.id}` || s.id === `scan-def-${def.id}`);
    expect(all).toHaveLength(1);
    const delayed = (await t.queues.queue('scan').getDelayed()).filter((j) => (j.data as { definitionId?: string }).definitionId === def.id);
    expect(delayed).toHaveLength(1);
    expect(all[0]!.tz).toBe('UTC');
  });

  it('a scheduled scan runs on its schedule', async () => {
    const h = t.auth('security');
    const def = (await t.app.inject({ method: 'POST', url: '/api/v1/scans', headers: h, payload: { name: 'every2s', targets: [HOST], profile: 'host-discovery', schedule: '*/2 * * * * *' } })).json();
    const deadline = Date.now() + 30_000;
    let lastJobIds: string[] = [];
    while (lastJobIds.length === 0 && Date.now() < deadline) {
      await new Promise((r) => setTimeout(r, 500));
      lastJobIds = (await t.app.inject({ method: 'GET', url: `/api/v1/scans/${def.id}`, headers: h })).json().lastJobIds;
    }
    expect(lastJobIds.length).toBe(1);
    const j = await waitJob(lastJobIds[0]!);
    expect(j.state).toBe('completed');
    expect(j.result.hostsUp).toBe(1);
    // The run nobody started by hand is in the audit log, with what it scanned.
    const audit = (await t.app.inject({ method: 'GET', url: '/api/v1/audit?action=scan.run.scheduled', headers: t.auth('admin') })).json();
    const entry = audit.items.find((e: { target: string }) => e.target === def.id);
    expect(entry).toMatchObject({ actorKind: 'system', actorName: 'scheduler', action: 'scan.run.scheduled' });
    const detail = JSON.parse(entry.detail);
    expect(detail.targets).toEqual([HOST]);
    expect(detail.jobIds).toContain(lastJobIds[0]);
    await t.app.inject({ method: 'PATCH', url: `/api/v1/scans/${def.id}`, headers: h, payload: { enabled: false } });
    expect(await t.queues.queue('scan').getJobScheduler(`scan-def-${def.id}`)).toBeUndefined();
  });
});
