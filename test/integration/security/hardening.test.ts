import { execFile, execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { request } from 'node:https';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PassThrough } from 'node:stream';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, inject, it, onTestFinished } from 'vitest';
import type { FastifyInstance } from 'fastify';
import { buildServer } from '../../../services/api/src/server.js';
import { AuthRepository } from '../../../services/core/src/graph/auth-repository.js';
import { totpCode } from '../../../services/core/src/auth/mfa.js';
import { wipeInventory } from '../../../services/core/src/graph/maintenance-repository.js';
import { testConfig, testGraph, testQueues } from '../../helpers/services.js';
import { buildTestApp, type TestApp } from '../../helpers/app.js';
import { cookieHeader, login } from './session-helpers.js';

const run = promisify(execFile);

describe('secrets never reach the logs or error bodies', () => {
  const graph = testGraph();
  const queues = testQueues();
  const logs: string[] = [];
  let app: FastifyInstance;
  const secrets: Record<string, string> = {};

  beforeAll(async () => {
    await graph.waitUntilReady();
    await wipeInventory(graph);
    const stream = new PassThrough();
    stream.on('data', (c: Buffer) => logs.push(c.toString()));
    // The production logger configuration, at its most talkative level.
    app = await buildServer({ config: testConfig({ ATLAS_LOG_LEVEL: 'trace', ATLAS_LOGIN_RATE_PER_MINUTE: '1000' }), graph, queues, logStream: stream });
  });
  afterAll(async () => {
    await app?.close();
    await queues.close();
    await graph.close();
  });

  it('signs in, fails, enrols MFA, uses and creates tokens, changes a password: none of the secrets is logged or echoed', async () => {
    const repo = new AuthRepository(graph);
    secrets.password = 'Pa55-word-for-logging-test';
    secrets.wrongPassword = 'Wr0ng-guess-that-is-secret';
    secrets.newPassword = 'N3w-password-never-logged';
    await repo.createUser('logan', secrets.password, 'admin');
    const admin = await repo.createToken('log-admin', 'admin', 1, 'test');
    secrets.adminToken = admin.token;
    secrets.forgedToken = 'atl_0badc0de_ThisIsAForgedTokenValue123456';

    const bodies: string[] = [];
    // Every response a client gets is checked, except the two whose purpose is to hand a secret
    // to its owner (MFA enrolment, token creation), which are checked for the other secrets.
    const keep = (r: { body: string }) => {
      bodies.push(r.body);
      return r;
    };
    keep((await login(app, 'logan', secrets.wrongPassword)).res);
    keep((await login(app, 'nosuchuser', secrets.wrongPassword)).res);
    const s = await login(app, 'logan', secrets.password);
    keep(s.res);
    secrets.session = s.res.cookies.find((c: { name: string }) => c.name === 'atlas_session')!.value;
    const enrol = await app.inject({ method: 'POST', url: '/api/v1/auth/mfa/enroll', headers: { cookie: s.cookie } });
    secrets.totpSecret = enrol.json().secret;
    const conf = await app.inject({ method: 'POST', url: '/api/v1/auth/mfa/confirm', headers: { cookie: s.cookie }, payload: { code: totpCode(secrets.totpSecret!) } });
    secrets.recoveryCode = conf.json().recoveryCodes[0];
    const full = cookieHeader(conf.cookies as never);
    keep(await app.inject({ method: 'POST', url: '/api/v1/auth/password', headers: { cookie: full }, payload: { currentPassword: secrets.wrongPassword, newPassword: secrets.newPassword } }));
    keep(await app.inject({ method: 'POST', url: '/api/v1/auth/password', headers: { cookie: full }, payload: { currentPassword: secrets.password, newPassword: secrets.newPassword } }));
    const created = await app.inject({ method: 'POST', url: '/api/v1/tokens', headers: { authorization: `Bearer ${secrets.adminToken}` }, payload: { name: 'ci', role: 'viewer' } });
    secrets.createdToken = created.json().token;
    keep(await app.inject({ method: 'GET', url: '/api/v1/assets', headers: { authorization: `Bearer ${secrets.createdToken}` } }));
    keep(await app.inject({ method: 'GET', url: '/api/v1/assets', headers: { authorization: `Bearer ${secrets.forgedToken}` } }));
    keep(await app.inject({ method: 'POST', url: '/api/v1/tokens', headers: { authorization: `Bearer ${secrets.createdToken}` }, payload: { name: 'x', role: 'admin' } }));
    // Malformed and oversized bodies that contain a password must not be echoed in the error.
    keep(await app.inject({ method: 'POST', url: '/api/v1/auth/login', headers: { 'content-type': 'application/json' }, payload: `{"username":"logan","password":"${secrets.password}"` }));
    keep(await app.inject({ method: 'POST', url: '/api/v1/auth/login', payload: { username: 'logan', password: secrets.password, pad: 'x'.repeat(5000) } }));
    keep(await app.inject({ method: 'POST', url: '/api/v1/auth/login', payload: { username: ['logan'], password: secrets.password } }));
    keep(await app.inject({ method: 'POST', url: '/api/v1/auth/mfa/verify', payload: { code: secrets.recoveryCode } }));

    const text = logs.join('');
    expect(text).toContain('incoming request'); // the capture works and the logger is verbose
    expect(text).toContain('/api/v1/auth/login');
    expect(enrol.body).not.toContain(secrets.password);
    expect(created.body).not.toContain(secrets.adminToken);
    for (const [name, value] of Object.entries(secrets)) {
      expect(value.length, name).toBeGreaterThan(8);
      expect(text.includes(value), `${name} appears in the logs`).toBe(false);
      for (const b of bodies) expect(b.includes(value), `${name} appears in an error body: ${b.slice(0, 200)}`).toBe(false);
    }
    // And the status codes were the ones a user would expect, not 500s.
    expect(bodies.map((b) => (b ? JSON.parse(b).error?.code : undefined) ?? 'ok')).toEqual([
      'INVALID_CREDENTIALS', // wrong password
      'INVALID_CREDENTIALS', // unknown user
      'ok', // sign-in
      'INVALID_CREDENTIALS', // password change with a wrong current password
      'ok', // password change
      'ok', // token use
      'UNAUTHENTICATED', // forged token
      'FORBIDDEN', // viewer token tries to create a token
      'INVALID_JSON',
      'BODY_TOO_LARGE',
      'VALIDATION_FAILED',
      'MFA_SESSION_EXPIRED',
    ]);
  });
});

describe('CORS, body limits, rate limits and the CSP', () => {
  let t: TestApp;
  beforeAll(async () => {
    t = await buildTestApp();
  });
  afterAll(async () => t?.close());

  it('CORS is off by default: no cross-origin grant to any origin', async () => {
    const pre = await t.app.inject({ method: 'OPTIONS', url: '/api/v1/assets', headers: { origin: 'https://evil.example', 'access-control-request-method': 'GET' } });
    expect(pre.headers['access-control-allow-origin']).toBeUndefined();
    const get = await t.app.inject({ method: 'GET', url: '/api/v1/assets', headers: { ...t.auth('viewer'), origin: 'https://evil.example' } });
    expect(get.headers['access-control-allow-origin']).toBeUndefined();
  });

  it('ATLAS_CORS_ORIGIN allows exactly that one origin', async () => {
    const c = await buildTestApp({ ATLAS_CORS_ORIGIN: 'https://ui.hospital.example' }, { wipe: false });
    try {
      const ok = await c.app.inject({ method: 'OPTIONS', url: '/api/v1/assets', headers: { origin: 'https://ui.hospital.example', 'access-control-request-method': 'GET' } });
      expect(ok.headers['access-control-allow-origin']).toBe('https://ui.hospital.example');
      expect(ok.headers['access-control-allow-credentials']).toBe('true');
      const other = await c.app.inject({ method: 'GET', url: '/api/v1/assets', headers: { ...c.auth('viewer'), origin: 'https://evil.example' } });
      expect(other.headers['access-control-allow-origin']).not.toBe('https://evil.example');
    } finally {
      await c.close();
    }
  });

  it('login refuses bodies over 4 KiB and the token route over its own limit, before any work', async () => {
    const big = await t.app.inject({ method: 'POST', url: '/api/v1/auth/login', payload: { username: 'u', password: 'p'.repeat(8000) } });
    expect(big.statusCode).toBe(413);
    expect(big.json().error.code).toBe('BODY_TOO_LARGE');
    const tok = await t.app.inject({ method: 'POST', url: '/api/v1/tokens', headers: t.auth('admin'), payload: { name: 'n'.repeat(10_000), role: 'viewer' } });
    expect(tok.statusCode).toBe(413);
  });

  it('sign-in attempts are rate limited per client (429), and so is probing of unknown routes', async () => {
    const t = await buildTestApp({ ATLAS_LOGIN_RATE_PER_MINUTE: '3' }, { wipe: false });
    onTestFinished(() => t.close());
    const codes: number[] = [];
    for (let i = 0; i < 5; i++) codes.push((await login(t.app, 'nobody', 'Whatever-123456')).res.statusCode);
    expect(codes.slice(0, 3)).toEqual([401, 401, 401]);
    expect(codes.slice(3)).toEqual([429, 429]);
    const limited = await login(t.app, 'nobody', 'Whatever-123456');
    expect(limited.res.json().error.code).toBe('RATE_LIMITED');

    let last = 0;
    let first429 = -1;
    for (let i = 0; i < 130; i++) {
      last = (await t.app.inject({ method: 'GET', url: `/api/v1/probe-${i}` })).statusCode;
      if (last === 429 && first429 < 0) first429 = i;
    }
    expect(last).toBe(429);
    expect(first429).toBe(120);
  });

  it('serves the UI under a strict same-origin CSP with no inline script', async () => {
    const res = await t.app.inject({ method: 'GET', url: '/' });
    const csp = String(res.headers['content-security-policy']);
    expect(csp).toContain("default-src 'self'");
    expect(csp).toContain("script-src 'self'");
    expect(csp).toContain("frame-ancestors 'none'");
    expect(csp).not.toMatch(/script-src[^;]*unsafe-inline/);
    expect(res.headers['x-content-type-options']).toBe('nosniff');
    if (res.statusCode === 200) expect(res.body).not.toMatch(/<script(?![^>]*\bsrc=)[^>]*>/); // every script is a same-origin file
    expect(res.headers['strict-transport-security']).toBeUndefined(); // HSTS only over TLS
  });
});

describe('TLS', () => {
  let dir: string;
  let app: FastifyInstance;
  let cert: string;
  let port: number;
  const graph = testGraph();
  const queues = testQueues();

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'atlas-tls-'));
    execFileSync('openssl', ['req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-keyout', join(dir, 'key.pem'), '-out', join(dir, 'cert.pem'), '-days', '1', '-subj', '/CN=127.0.0.1', '-addext', 'subjectAltName=IP:127.0.0.1'], { stdio: 'ignore' });
    cert = execFileSync('cat', [join(dir, 'cert.pem')]).toString();
    await graph.waitUntilReady();
    const config = testConfig({ ATLAS_TLS_CERT: join(dir, 'cert.pem'), ATLAS_TLS_KEY: join(dir, 'key.pem'), ATLAS_MFA_REQUIRED_ROLES: 'none' });
    app = await buildServer({ config, graph, queues, logger: false });
    await app.listen({ host: '127.0.0.1', port: 0 });
    port = (app.server.address() as AddressInfo).port;
    await new AuthRepository(graph).createUser(`tls-${port}`, 'Tls-Password-2026', 'viewer');
  });
  afterAll(async () => {
    await app?.close();
    await queues.close();
    await graph.close();
    rmSync(dir, { recursive: true, force: true });
  });

  function https(method: string, path: string, body?: unknown): Promise<{ status: number; headers: Record<string, string | string[] | undefined>; body: string }> {
    return new Promise((resolve, reject) => {
      const data = body === undefined ? undefined : JSON.stringify(body);
      const req = request({ host: '127.0.0.1', port, path, method, ca: cert, headers: data ? { 'content-type': 'application/json', 'content-length': Buffer.byteLength(data) } : {} }, (res) => {
        let b = '';
        res.on('data', (c) => (b += c));
        res.on('end', () => resolve({ status: res.statusCode!, headers: res.headers, body: b }));
      });
      req.on('error', reject);
      req.end(data);
    });
  }

  it('serves HTTPS with HSTS and Secure session cookies; plain HTTP gets no answer', async () => {
    const health = await https('GET', '/api/v1/health');
    expect(health.status).toBe(200);
    expect(health.headers['strict-transport-security']).toMatch(/max-age=31536000/);
    const s = await https('POST', '/api/v1/auth/login', { username: `tls-${port}`, password: 'Tls-Password-2026' });
    expect(s.status).toBe(200);
    const cookie = ([] as string[]).concat(s.headers['set-cookie'] ?? []).find((c) => c.startsWith('atlas_session='))!;
    expect(cookie).toMatch(/;\s*Secure/i);
    expect(cookie).toMatch(/;\s*HttpOnly/i);
    expect(cookie).toMatch(/;\s*SameSite=Strict/i);
    const plain = await fetch(`http://127.0.0.1:${port}/api/v1/health`).then((r) => r.status).catch(() => 'refused');
    expect(plain).not.toBe(200);
  });
});

describe('operator CLI token create', () => {
  it('prints the token alone on the last line of stdout and nowhere else; the token works', async () => {
    const env = { ...process.env, NEO4J_URI: inject('neo4jUri'), NEO4J_USER: inject('neo4jUser'), NEO4J_PASSWORD: inject('neo4jPassword'), REDIS_URL: inject('redisUrl'), ATLAS_DATA_DIR: inject('dataDir') };
    const r = await run('npx', ['tsx', 'services/cli/src/atlas.ts', 'token', 'create', '--role', 'analyst', '--name', 'cli-test', '--expires-days', '7'], { env, timeout: 90_000 });
    const lines = r.stdout.trimEnd().split('\n');
    const token = lines[lines.length - 1]!;
    expect(token).toMatch(/^atl_[0-9a-f]{8}_[A-Za-z0-9_-]{20,}$/);
    expect(lines.slice(0, -1).join('\n')).not.toContain(token);
    expect(r.stderr).not.toContain(token);
    expect(r.stderr).toContain(token.slice(0, 12)); // the prefix is shown so the operator can find it in `token list`
    const t = await buildTestApp({}, { wipe: false });
    try {
      const me = await t.app.inject({ method: 'GET', url: '/api/v1/auth/me', headers: { authorization: `Bearer ${token}` } });
      expect(me.json()).toMatchObject({ kind: 'token', name: 'cli-test', role: 'analyst' });
      const tooHigh = await t.app.inject({ method: 'GET', url: '/api/v1/audit', headers: { authorization: `Bearer ${token}` } });
      expect(tooHigh.statusCode).toBe(403);
    } finally {
      await t.close();
    }
    const bad = await run('npx', ['tsx', 'services/cli/src/atlas.ts', 'token', 'create', '--role', 'root', '--name', 'x'], { env, timeout: 90_000 }).catch((e: { code: number; stderr: string }) => e);
    expect((bad as { code: number }).code).toBe(1);
    expect((bad as { stderr: string }).stderr).toContain('--role must be one of');
  });
});
