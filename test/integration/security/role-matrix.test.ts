import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ROLES, type Role } from '../../../services/core/src/auth/roles.js';
import { AuthRepository } from '../../../services/core/src/graph/auth-repository.js';
import { buildTestApp, type TestApp } from '../../helpers/app.js';
import { login } from './session-helpers.js';

// The only routes anyone may call without signing in. A new public route must be added here
// on purpose, which makes it a reviewed decision.
const PUBLIC = new Set(['GET /api/v1/health', 'POST /api/v1/auth/login', 'POST /api/v1/auth/mfa/verify']);

const METHODS = ['get', 'post', 'put', 'patch', 'delete'] as const;

function concrete(path: string): string {
  return path.replace(/\{[^}]+\}/g, 'role-matrix-dummy-0001');
}

describe('role matrix: every route in the served OpenAPI refuses anonymous callers and callers one role below', () => {
  let t: TestApp;
  let routes: { method: string; path: string; role: string }[] = [];

  beforeAll(async () => {
    t = await buildTestApp();
    const spec = (await t.app.inject({ method: 'GET', url: '/api/v1/openapi.json' })).json() as { paths: Record<string, Record<string, unknown>> };
    for (const [path, ops] of Object.entries(spec.paths)) {
      if (!path.startsWith('/api/')) continue;
      for (const m of METHODS) {
        if (!ops[m]) continue;
        const key = `${m.toUpperCase()} ${path.replace(/\{([^}]+)\}/g, ':$1')}`;
        routes.push({ method: m.toUpperCase(), path, role: t.app.routeRoles.get(key) ?? 'missing from the route registry' });
      }
    }
  });
  afterAll(async () => t?.close());

  it('finds the routes of every resource, including the security ones', () => {
    const keys = routes.map((r) => `${r.method} ${r.path}`);
    expect(keys).toEqual(expect.arrayContaining(['GET /api/v1/assets', 'POST /api/v1/tokens', 'GET /api/v1/audit', 'PATCH /api/v1/users/{id}', 'POST /api/v1/imports/nmap', 'GET /api/v1/settings/security']));
    expect(routes.length).toBeGreaterThan(15);
  });

  it('every route declares a known role, and only the reviewed ones are public', () => {
    const bad = routes.filter((r) => !(ROLES as readonly string[]).includes(r.role) && !(r.role === 'public' && PUBLIC.has(`${r.method} ${r.path}`)));
    expect(bad.map((r) => `${r.method} ${r.path}: ${r.role}`)).toEqual([]);
  });

  it('anonymous callers get 401 and callers one role below get 403 on every non-public route', async () => {
    const failures: string[] = [];
    let checked = 0;
    for (const r of routes) {
      if (r.role === 'public') continue;
      const url = concrete(r.path);
      const anon = await t.app.inject({ method: r.method as 'GET', url });
      if (anon.statusCode !== 401 || anon.json().error?.code !== 'UNAUTHENTICATED') failures.push(`${r.method} ${r.path} anonymous → ${anon.statusCode} ${anon.body.slice(0, 120)}`);
      const rank = ROLES.indexOf(r.role as Role);
      if (rank > 0) {
        const below = ROLES[rank - 1]!;
        const res = await t.app.inject({ method: r.method as 'GET', url, headers: t.auth(below) });
        if (res.statusCode !== 403 || res.json().error?.code !== 'FORBIDDEN') failures.push(`${r.method} ${r.path} as ${below} (needs ${r.role}) → ${res.statusCode} ${res.body.slice(0, 120)}`);
      }
      // A caller at exactly the declared role gets past the role check (any status but 401/403).
      const at = await t.app.inject({ method: r.method as 'GET', url, headers: t.auth(r.role as Role) });
      if (at.statusCode === 401 || at.statusCode === 403) failures.push(`${r.method} ${r.path} as ${r.role} → ${at.statusCode} ${at.body.slice(0, 120)}`);
      checked++;
    }
    expect(failures).toEqual([]);
    expect(checked).toBeGreaterThan(15);
  });

  it('a session restricted to MFA enrolment reaches only the enrolment routes', async () => {
    await new AuthRepository(t.graph).createUser('matrix-admin', 'Matrix-Password-1', 'admin');
    const s = await login(t.app, 'matrix-admin', 'Matrix-Password-1');
    expect(s.res.json().mfaEnrollmentRequired).toBe(true);
    const reachable: string[] = [];
    for (const r of routes) {
      // Logout is left out: it would end the session this walk uses.
      if (r.role === 'public' || r.path === '/api/v1/auth/logout') continue;
      const res = await t.app.inject({ method: r.method as 'GET', url: concrete(r.path), headers: { cookie: s.cookie } });
      if (res.statusCode === 401) throw new Error(`${r.method} ${r.path}: the session ended`);
      if (!(res.statusCode === 403 && res.json().error.code === 'MFA_ENROLMENT_REQUIRED')) reachable.push(`${r.method} ${r.path}`);
    }
    expect(reachable.sort()).toEqual(
      ['GET /api/v1/auth/me', 'POST /api/v1/auth/mfa/confirm', 'POST /api/v1/auth/mfa/enroll', 'POST /api/v1/auth/password'].sort(),
    );
  });

  it('the security settings in force are visible to admins', async () => {
    const res = await t.app.inject({ method: 'GET', url: '/api/v1/settings/security', headers: t.auth('admin') });
    expect(res.json()).toMatchObject({ mfaRequiredRoles: ['security', 'admin'], loginMaxFailures: 5, lockoutSeconds: 900, tls: false, corsOrigin: null });
  });

  it('a garbage or revoked bearer token is anonymous', async () => {
    expect((await t.app.inject({ method: 'GET', url: '/api/v1/assets', headers: { authorization: 'Bearer atl_00000000_notarealtokennotarealtoken' } })).statusCode).toBe(401);
    expect((await t.app.inject({ method: 'GET', url: '/api/v1/assets', headers: { authorization: 'Basic YWRtaW46YWRtaW4=' } })).statusCode).toBe(401);
    const created = await t.app.inject({ method: 'POST', url: '/api/v1/tokens', headers: t.auth('admin'), payload: { name: 'to-revoke', role: 'viewer' } });
    expect(created.statusCode).toBe(201);
    const { token, id } = created.json();
    expect((await t.app.inject({ method: 'GET', url: '/api/v1/assets', headers: { authorization: `Bearer ${token}` } })).statusCode).toBe(200);
    expect((await t.app.inject({ method: 'DELETE', url: `/api/v1/tokens/${id}`, headers: t.auth('admin') })).statusCode).toBe(200);
    expect((await t.app.inject({ method: 'GET', url: '/api/v1/assets', headers: { authorization: `Bearer ${token}` } })).statusCode).toBe(401);
  });
});
