import { spawn, execFileSync, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildServer } from '../../../services/api/src/server.js';
import { AuthRepository } from '../../../services/core/src/graph/auth-repository.js';
import { QueueHub } from '../../../services/core/src/queue/queues.js';
import { startWorkers } from '../../../services/discovery/src/workers/index.js';
import { buildTestApp, type TestApp } from '../../helpers/app.js';
import { testConfig } from '../../helpers/services.js';
import { buildLab, type Lab } from '../../lab/lab.js';

// The slow fault tests: a worker process SIGKILLed or SIGTERMed mid-scan, Redis stopped for 10 s.
const OCTET = 214;
let lab: Lab;
let t: TestApp;
const procs: ChildProcess[] = [];

function startWorkerProcess(): Promise<ChildProcess> {
  const env = {
    ...process.env,
    NEO4J_URI: t.config.NEO4J_URI,
    NEO4J_USER: t.config.NEO4J_USER,
    NEO4J_PASSWORD: t.config.NEO4J_PASSWORD,
    REDIS_URL: t.config.REDIS_URL,
    ATLAS_QUEUE_PREFIX: t.config.ATLAS_QUEUE_PREFIX,
    ATLAS_SCAN_SCOPE: lab.subnet,
    ATLAS_MAX_SCAN_PREFIX_V4: '24',
    ATLAS_DATA_DIR: t.config.ATLAS_DATA_DIR,
    ATLAS_LOG_LEVEL: 'silent',
    LAB_LOCK_MS: '5000',
  };
  const p = spawn(process.execPath, ['--import', 'tsx', 'test/lab/worker-process.ts'], { env, stdio: ['ignore', 'pipe', 'inherit'] });
  procs.push(p);
  return new Promise((resolve, reject) => {
    let out = '';
    p.stdout!.on('data', (d) => {
      out += d;
      if (out.includes('ready')) resolve(p);
    });
    p.once('exit', (code) => reject(new Error(`worker exited ${code} before ready: ${out}`)));
  });
}

function nmapChildren(pid: number): number[] {
  try {
    return execFileSync('pgrep', ['-P', String(pid), '-x', 'nmap']).toString().trim().split('\n').filter(Boolean).map(Number);
  } catch {
    return [];
  }
}
function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}
async function until<T>(f: () => Promise<T | undefined | false> | T | undefined | false, timeoutMs: number, what: string): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const v = await f();
    if (v) return v as T;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

async function labAssetsPerIp(): Promise<Record<string, number>> {
  const items = (await t.app.inject({ method: 'GET', url: '/api/v1/assets?q=10.77.214&limit=100', headers: t.auth('viewer') })).json().items as { ips: string[] }[];
  const out: Record<string, number> = {};
  for (const a of items) for (const ip of a.ips) out[ip] = (out[ip] ?? 0) + 1;
  return out;
}

beforeAll(async () => {
  lab = await buildLab(OCTET);
  t = await buildTestApp({ ATLAS_SCAN_SCOPE: lab.subnet, ATLAS_MAX_SCAN_PREFIX_V4: '24' });
}, 180_000);

afterAll(async () => {
  for (const p of procs) if (p.exitCode === null && p.signalCode === null) p.kill('SIGKILL');
  await t?.close();
  await lab?.teardown();
});

describe('worker faults', () => {
  let defId = '';

  it('SIGKILL of a worker mid-scan: nmap dies with it, another worker completes the job once, no duplicate assets', async () => {
    defId = (await t.app.inject({ method: 'POST', url: '/api/v1/scans', headers: t.auth('security'), payload: { name: 'faults', targets: [lab.subnet], profile: 'healthcare' } })).json().id;
    const a = await startWorkerProcess();
    const { jobId } = (await t.app.inject({ method: 'POST', url: `/api/v1/scans/${defId}/run`, headers: t.auth('security') })).json();
    const [nmapPid] = await until(() => nmapChildren(a.pid!).length > 0 && nmapChildren(a.pid!), 60_000, 'nmap under worker A');
    await new Promise((r) => setTimeout(r, 2_000)); // mid-scan
    expect((await t.queues.getJob(jobId)).state).toBe('active');
    const killedAt = Date.now();
    a.kill('SIGKILL');
    await until(() => !alive(nmapPid!), 10_000, 'the orphaned nmap to exit');
    const orphanMs = Date.now() - killedAt;
    await startWorkerProcess();
    const job = await until(async () => {
      const j = await t.queues.getJob(jobId);
      return ['completed', 'failed'].includes(j.state) && j;
    }, 120_000, 'the job to finish on worker B');
    const recoverMs = Date.now() - killedAt;
    console.log(`[figures] SIGKILL mid-scan: orphan nmap gone after ${orphanMs} ms; job completed on the second worker ${(recoverMs / 1000).toFixed(1)} s after the kill (lock 5 s)`);
    expect(job.state).toBe('completed');
    expect(job.result).toMatchObject({ complete: true, hostsUp: 7 });
    const per = await labAssetsPerIp();
    expect(Object.keys(per)).toHaveLength(7);
    expect(Object.values(per).every((n) => n === 1)).toBe(true);
  });

  it('SIGTERM: the worker exits gracefully, leaves no nmap behind, and the chunk runs again elsewhere', async () => {
    for (const p of procs) if (p.exitCode === null && p.signalCode === null) p.kill('SIGKILL');
    const c = await startWorkerProcess();
    const { jobId } = (await t.app.inject({ method: 'POST', url: `/api/v1/scans/${defId}/run`, headers: t.auth('security') })).json();
    const [nmapPid] = await until(() => nmapChildren(c.pid!).length > 0 && nmapChildren(c.pid!), 60_000, 'nmap under worker C');
    await new Promise((r) => setTimeout(r, 1_000));
    const t0 = Date.now();
    const exited = new Promise<number | null>((r) => c.once('exit', (code) => r(code)));
    c.kill('SIGTERM');
    const code = await exited;
    const exitMs = Date.now() - t0;
    expect(code).toBe(0);
    expect(alive(nmapPid!)).toBe(false);
    console.log(`[figures] SIGTERM mid-scan: worker exited 0 in ${exitMs} ms, no nmap left`);
    await startWorkerProcess();
    const job = await until(async () => {
      const j = await t.queues.getJob(jobId);
      return ['completed', 'failed'].includes(j.state) && j;
    }, 120_000, 'the job to finish after the restart');
    expect(job.state).toBe('completed');
    expect(job.attempts).toBeGreaterThanOrEqual(1);
    expect(Object.values(await labAssetsPerIp()).every((n) => n === 1)).toBe(true);
  });
});

describe('Redis outage', () => {
  it('Redis stopped for 10 s: the API answers 503, workers resume, no job is lost', async () => {
    for (const p of procs) if (p.exitCode === null && p.signalCode === null) p.kill('SIGKILL');
    const dir = mkdtempSync(join(tmpdir(), 'atlas-redis-'));
    const port = 17739;
    const startRedis = () => {
      const r = spawn('redis-server', ['--port', String(port), '--bind', '127.0.0.1', '--dir', dir, '--appendonly', 'yes', '--appendfsync', 'always', '--save', ''], { stdio: 'ignore' });
      procs.push(r);
      return r;
    };
    let redis = startRedis();
    const url = `redis://127.0.0.1:${port}`;
    const config = testConfig({ REDIS_URL: url, REDIS_PORT: String(port), ATLAS_SCAN_SCOPE: lab.subnet, ATLAS_MAX_SCAN_PREFIX_V4: '24' });
    const queues = new QueueHub(url, config.ATLAS_QUEUE_PREFIX);
    await until(async () => (await queues.ping()).ok, 10_000, 'redis');
    const app = await buildServer({ config, graph: t.graph, queues, logger: false });
    const token = (await new AuthRepository(t.graph).createToken('outage', 'security', 1, 'test')).token;
    const h = { authorization: `Bearer ${token}` };
    const workers = startWorkers(queues, t.graph, config);
    try {
      const defs = [];
      for (const i of [10, 11, 12]) {
        defs.push((await app.inject({ method: 'POST', url: '/api/v1/scans', headers: h, payload: { name: `outage-${i}`, targets: [`10.77.${OCTET}.${i}`], profile: 'top-tcp' } })).json().id);
      }
      const jobIds: string[] = [];
      for (const id of defs) jobIds.push((await app.inject({ method: 'POST', url: `/api/v1/scans/${id}/run`, headers: h })).json().jobId);
      const stoppedAt = Date.now();
      redis.kill('SIGTERM');
      await new Promise((r) => redis.once('exit', r));
      const during = await until(async () => {
        const r = await app.inject({ method: 'GET', url: '/api/v1/scans', headers: h });
        return r.statusCode === 503 && r;
      }, 5_000, '503');
      expect(during.json().error.code).toBe('DEPENDENCY_UNAVAILABLE');
      const health = await app.inject({ method: 'GET', url: '/api/v1/health' });
      expect(JSON.stringify(health.json())).toContain('redis');
      await new Promise((r) => setTimeout(r, 10_000 - (Date.now() - stoppedAt)));
      redis = startRedis();
      const restartedAt = Date.now();
      await until(async () => (await app.inject({ method: 'GET', url: '/api/v1/scans', headers: h })).statusCode === 200, 15_000, 'API back');
      const apiBackMs = Date.now() - restartedAt;
      const states = await until(async () => {
        const s = await Promise.all(jobIds.map((id) => queues.getJob(id).then((j) => j.state).catch(() => 'lost')));
        return s.every((x) => x === 'completed') && s;
      }, 90_000, 'all jobs to complete after the outage');
      console.log(`[figures] Redis down 10 s: API 503 during the outage, 200 again ${apiBackMs} ms after restart; all ${states.length} jobs completed ${((Date.now() - restartedAt) / 1000).toFixed(1)} s after restart`);
      expect(states).toEqual(['completed', 'completed', 'completed']);
    } finally {
      await workers.close();
      await app.close();
      await queues.close();
      redis.kill('SIGTERM');
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
