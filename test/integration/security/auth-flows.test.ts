import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { AuthRepository } from '../../../services/core/src/graph/auth-repository.js';
import { totpCode } from '../../../services/core/src/auth/mfa.js';
import { SESSION_COOKIE, MFA_PENDING_COOKIE } from '../../../services/api/src/plugins/app/auth.js';
import { buildTestApp, type TestApp } from '../../helpers/app.js';
import { cookieHeader, login, setCookie } from './session-helpers.js';

const PW = 'Correct-Horse-42';

describe('users, sessions, lockout and MFA through the API', () => {
  let t: TestApp;
  let repo: AuthRepository;

  beforeAll(async () => {
    // Lockout after 3 failures for 2 s so the test can watch it lock and unlock; a high rate
    // limit so the many sign-ins of this file are not slowed (the rate limit has its own test).
    t = await buildTestApp({ ATLAS_LOGIN_MAX_FAILURES: '3', ATLAS_LOCKOUT_SECONDS: '2', ATLAS_LOGIN_RATE_PER_MINUTE: '1000' });
    repo = new AuthRepository(t.graph);
  });
  afterAll(async () => t?.close());

  it('a viewer signs in with an httpOnly SameSite=strict cookie, and a new sign-in rotates the session id', async () => {
    await repo.createUser('vera', PW, 'viewer');
    const first = await login(t.app, 'vera', PW);
    expect(first.res.statusCode).toBe(200);
    expect(first.res.json()).toMatchObject({ mfaRequired: false, mfaEnrollmentRequired: false, name: 'vera', role: 'viewer' });
    const c = setCookie(first.res, SESSION_COOKIE)!;
    expect(c.httpOnly).toBe(true);
    expect(c.sameSite).toBe('Strict');
    expect(c.secure).toBeFalsy(); // no TLS configured here; the TLS test checks Secure
    expect((await t.app.inject({ method: 'GET', url: '/api/v1/assets', headers: { cookie: first.cookie } })).statusCode).toBe(200);

    const second = await login(t.app, 'vera', PW, first.cookie);
    expect(setCookie(second.res, SESSION_COOKIE)!.value).not.toBe(c.value);
    expect((await t.app.inject({ method: 'GET', url: '/api/v1/auth/me', headers: { cookie: first.cookie } })).statusCode).toBe(401);
    expect((await t.app.inject({ method: 'GET', url: '/api/v1/auth/me', headers: { cookie: second.cookie } })).json()).toMatchObject({ name: 'vera', role: 'viewer', mfaEnabled: false });

    const out = await t.app.inject({ method: 'POST', url: '/api/v1/auth/logout', headers: { cookie: second.cookie } });
    expect(out.statusCode).toBe(204);
    expect((await t.app.inject({ method: 'GET', url: '/api/v1/auth/me', headers: { cookie: second.cookie } })).statusCode).toBe(401);
  });

  it('wrong passwords lock the account, the right one is refused while locked, and it unlocks after the window', async () => {
    await repo.createUser('lena', PW, 'viewer');
    const codes: number[] = [];
    for (let i = 0; i < 3; i++) codes.push((await login(t.app, 'lena', 'Wrong-password-1')).res.statusCode);
    expect(codes).toEqual([401, 401, 423]);
    const locked = await login(t.app, 'lena', PW);
    expect(locked.res.statusCode).toBe(423);
    expect(locked.res.json().error.code).toBe('ACCOUNT_LOCKED');
    expect(Number(locked.res.headers['retry-after'])).toBeGreaterThan(0);
    expect((await repo.findUser('lena'))!.lockedUntil).not.toBeNull();
    await new Promise((r) => setTimeout(r, 2_300));
    const after = await login(t.app, 'lena', PW);
    expect(after.res.statusCode).toBe(200);
  });

  it('an admin can unlock a locked account at once', async () => {
    for (let i = 0; i < 3; i++) await login(t.app, 'lena', 'Wrong-password-1');
    expect((await login(t.app, 'lena', PW)).res.statusCode).toBe(423);
    const id = (await repo.findUser('lena'))!.id;
    expect((await t.app.inject({ method: 'POST', url: `/api/v1/users/${id}/unlock`, headers: t.auth('security') })).statusCode).toBe(403);
    const un = await t.app.inject({ method: 'POST', url: `/api/v1/users/${id}/unlock`, headers: t.auth('admin') });
    expect(un.statusCode).toBe(200);
    expect(un.json().lockedUntil).toBeNull();
    expect((await login(t.app, 'lena', PW)).res.statusCode).toBe(200);
  });

  it('an unknown user and a wrong password get the same answer', async () => {
    const a = await login(t.app, 'nobody-here', PW);
    const b = await login(t.app, 'vera', 'Wrong-password-1');
    expect(a.res.statusCode).toBe(401);
    expect(a.res.json()).toEqual(b.res.json());
  });

  it('first sign-in of an admin without MFA is restricted to enrolment; enrolment, TOTP login, replay and recovery codes work', async () => {
    await repo.createUser('ada', PW, 'admin');
    const first = await login(t.app, 'ada', PW);
    expect(first.res.statusCode).toBe(200);
    expect(first.res.json()).toMatchObject({ mfaRequired: false, mfaEnrollmentRequired: true, role: 'admin' });
    const restricted = { cookie: first.cookie };
    const blocked = await t.app.inject({ method: 'GET', url: '/api/v1/users', headers: restricted });
    expect(blocked.statusCode).toBe(403);
    expect(blocked.json().error.code).toBe('MFA_ENROLMENT_REQUIRED');
    expect((await t.app.inject({ method: 'GET', url: '/api/v1/assets', headers: restricted })).statusCode).toBe(403);
    expect((await t.app.inject({ method: 'GET', url: '/api/v1/auth/me', headers: restricted })).json()).toMatchObject({ mfaEnrollmentRequired: true, mfaEnabled: false });

    const enrol = await t.app.inject({ method: 'POST', url: '/api/v1/auth/mfa/enroll', headers: restricted });
    expect(enrol.statusCode).toBe(200);
    const { secret, otpauthUri, qrDataUrl: qrCode } = enrol.json();
    expect(otpauthUri).toMatch(/^otpauth:\/\/totp\/ePHI%20Atlas:ada\?.*secret=/);
    expect(qrCode).toMatch(/^data:image\/svg\+xml;base64,/);
    expect(Buffer.from(qrCode.split(',')[1], 'base64').toString()).toContain('<svg');

    const wrong = await t.app.inject({ method: 'POST', url: '/api/v1/auth/mfa/confirm', headers: restricted, payload: { code: '000000' === totpCode(secret) ? '111111' : '000000' } });
    expect(wrong.statusCode).toBe(400);
    expect(wrong.json().error.details).toMatchObject({ field: 'code' });

    const confirm = await t.app.inject({ method: 'POST', url: '/api/v1/auth/mfa/confirm', headers: restricted, payload: { code: totpCode(secret) } });
    expect(confirm.statusCode).toBe(200);
    const recovery: string[] = confirm.json().recoveryCodes;
    expect(recovery).toHaveLength(10);
    expect(new Set(recovery).size).toBe(10);
    const full = cookieHeader(confirm.cookies as never);
    expect((await t.app.inject({ method: 'GET', url: '/api/v1/users', headers: { cookie: full } })).statusCode).toBe(200);
    // The restricted session from before enrolment is gone.
    expect((await t.app.inject({ method: 'GET', url: '/api/v1/auth/me', headers: restricted })).statusCode).toBe(401);
    // Stored hashed: neither the codes nor the secret appear in what the API shows of the user.
    const users = JSON.stringify((await t.app.inject({ method: 'GET', url: '/api/v1/users', headers: t.auth('admin') })).json());
    expect(users).not.toContain(secret);
    expect(users).not.toContain(recovery[0]);

    // Two-step sign-in: no session until the code is verified.
    const step1 = await login(t.app, 'ada', PW);
    expect(step1.res.json()).toEqual({ mfaRequired: true, mfaEnrollmentRequired: false });
    expect(setCookie(step1.res, SESSION_COOKIE)?.value ?? '').toBe('');
    expect(setCookie(step1.res, MFA_PENDING_COOKIE)!.httpOnly).toBe(true);
    // The pending cookie is not a session.
    expect((await t.app.inject({ method: 'GET', url: '/api/v1/auth/me', headers: { cookie: step1.cookie } })).statusCode).toBe(401);

    // The code used for confirmation was for this time-step: it cannot be used again.
    const replay = await t.app.inject({ method: 'POST', url: '/api/v1/auth/mfa/verify', headers: { cookie: step1.cookie }, payload: { code: totpCode(secret) } });
    expect(replay.statusCode).toBe(401);
    expect(replay.json().error.code).toBe('MFA_CODE_REUSED');
    const nextCode = totpCode(secret, Date.now() + 30_000); // the next time-step, within the allowed drift
    const ok = await t.app.inject({ method: 'POST', url: '/api/v1/auth/mfa/verify', headers: { cookie: step1.cookie }, payload: { code: nextCode } });
    expect(ok.statusCode).toBe(200);
    expect(ok.json()).toMatchObject({ name: 'ada', role: 'admin', mfaEnabled: true });
    const mfaCookie = cookieHeader(ok.cookies as never);
    expect((await t.app.inject({ method: 'GET', url: '/api/v1/users', headers: { cookie: mfaCookie } })).statusCode).toBe(200);

    // The same code again, on a fresh sign-in: refused (replay), as is the older one.
    const again = await login(t.app, 'ada', PW);
    const replay2 = await t.app.inject({ method: 'POST', url: '/api/v1/auth/mfa/verify', headers: { cookie: again.cookie }, payload: { code: nextCode } });
    expect(replay2.json().error.code).toBe('MFA_CODE_REUSED');

    // A recovery code works once.
    const rc = await t.app.inject({ method: 'POST', url: '/api/v1/auth/mfa/verify', headers: { cookie: again.cookie }, payload: { recoveryCode: recovery[3] } });
    expect(rc.statusCode).toBe(200);
    // The sign-in form has one field: a recovery code typed into `code` works too (once).
    const viaCode = await login(t.app, 'ada', PW);
    expect((await t.app.inject({ method: 'POST', url: '/api/v1/auth/mfa/verify', headers: { cookie: viaCode.cookie }, payload: { code: recovery[5]!.toUpperCase() } })).statusCode).toBe(200);
    const third = await login(t.app, 'ada', PW);
    const rcAgain = await t.app.inject({ method: 'POST', url: '/api/v1/auth/mfa/verify', headers: { cookie: third.cookie }, payload: { recoveryCode: recovery[3] } });
    expect(rcAgain.statusCode).toBe(401);
    expect(rcAgain.json().error.code).toBe('INVALID_MFA_CODE');
    expect((await repo.findUser('ada'))!.recoveryCodesLeft).toBe(8);

    // Both or neither of code/recoveryCode is a 400 naming the field.
    const both = await t.app.inject({ method: 'POST', url: '/api/v1/auth/mfa/verify', headers: { cookie: third.cookie }, payload: { code: '123456', recoveryCode: recovery[4] } });
    expect(both.statusCode).toBe(400);
    expect(both.json().error.message).toMatch(/code/);
  });

  it('five wrong codes end the pending sign-in', async () => {
    const s = await login(t.app, 'ada', PW);
    const statuses: string[] = [];
    for (let i = 0; i < 6; i++) {
      const r = await t.app.inject({ method: 'POST', url: '/api/v1/auth/mfa/verify', headers: { cookie: s.cookie }, payload: { code: String(100000 + i) } });
      statuses.push(r.json().error.code);
    }
    expect(statuses.slice(0, 5).every((c) => c === 'INVALID_MFA_CODE')).toBe(true);
    expect(statuses[5]).toBe('MFA_SESSION_EXPIRED');
  });

  it('an admin resets MFA (the user enrols again) and the user changes their password (other sessions end)', async () => {
    const ada = (await repo.findUser('ada'))!;
    const reset = await t.app.inject({ method: 'POST', url: `/api/v1/users/${ada.id}/mfa/reset`, headers: t.auth('admin') });
    expect(reset.statusCode).toBe(200);
    expect(reset.json()).toMatchObject({ mfaEnabled: false, recoveryCodesLeft: 0 });
    expect((await login(t.app, 'ada', PW)).res.json()).toMatchObject({ mfaEnrollmentRequired: true });

    await repo.createUser('pat', PW, 'analyst');
    const a = await login(t.app, 'pat', PW);
    const b = await login(t.app, 'pat', PW);
    const weak = await t.app.inject({ method: 'POST', url: '/api/v1/auth/password', headers: { cookie: a.cookie }, payload: { currentPassword: PW, newPassword: 'short' } });
    expect(weak.statusCode).toBe(400);
    expect(weak.json().error.details).toMatchObject({ field: 'newPassword' });
    const wrongCurrent = await t.app.inject({ method: 'POST', url: '/api/v1/auth/password', headers: { cookie: a.cookie }, payload: { currentPassword: 'Not-the-password-1', newPassword: 'Another-Secret-77' } });
    expect(wrongCurrent.statusCode).toBe(400);
    expect(wrongCurrent.json().error.details).toMatchObject({ field: 'currentPassword' });
    const changed = await t.app.inject({ method: 'POST', url: '/api/v1/auth/password', headers: { cookie: a.cookie }, payload: { currentPassword: PW, newPassword: 'Another-Secret-77' } });
    expect(changed.statusCode).toBe(204);
    const rotated = cookieHeader(changed.cookies as never);
    expect((await t.app.inject({ method: 'GET', url: '/api/v1/auth/me', headers: { cookie: rotated } })).statusCode).toBe(200);
    expect((await t.app.inject({ method: 'GET', url: '/api/v1/auth/me', headers: { cookie: b.cookie } })).statusCode).toBe(401);
    expect((await login(t.app, 'pat', PW)).res.statusCode).toBe(401);
    expect((await login(t.app, 'pat', 'Another-Secret-77')).res.statusCode).toBe(200);
  });

  it('users admin: create with a generated password, change role (sessions end), refuse to remove the last admin', async () => {
    const created = await t.app.inject({ method: 'POST', url: '/api/v1/users', headers: t.auth('admin'), payload: { username: 'sam', role: 'viewer' } });
    expect(created.statusCode).toBe(201);
    const { user, password } = created.json();
    expect(password.length).toBeGreaterThanOrEqual(12);
    const s = await login(t.app, 'sam', password);
    expect(s.res.statusCode).toBe(200);
    const dup = await t.app.inject({ method: 'POST', url: '/api/v1/users', headers: t.auth('admin'), payload: { username: 'sam', role: 'viewer' } });
    expect(dup.statusCode).toBe(409);
    const weak = await t.app.inject({ method: 'POST', url: '/api/v1/users', headers: t.auth('admin'), payload: { username: 'tim', role: 'viewer', password: 'aaaaaaaaaaaaaaaa' } });
    expect(weak.statusCode).toBe(400);
    expect(weak.json().error.details).toMatchObject({ field: 'password' });
    const badRole = await t.app.inject({ method: 'PATCH', url: `/api/v1/users/${user.id}`, headers: t.auth('admin'), payload: { role: 'root' } });
    expect(badRole.statusCode).toBe(400);
    expect(badRole.json().error.message).toMatch(/role/);

    const up = await t.app.inject({ method: 'PATCH', url: `/api/v1/users/${user.id}`, headers: t.auth('admin'), payload: { role: 'security' } });
    expect(up.statusCode).toBe(200);
    expect(up.json().role).toBe('security');
    expect((await t.app.inject({ method: 'GET', url: '/api/v1/auth/me', headers: { cookie: s.cookie } })).statusCode).toBe(401);

    const dis = await t.app.inject({ method: 'PATCH', url: `/api/v1/users/${user.id}`, headers: t.auth('admin'), payload: { disabled: true } });
    expect(dis.json().disabled).toBe(true);
    expect((await login(t.app, 'sam', password)).res.statusCode).toBe(401);

    const ada = (await repo.findUser('ada'))!;
    const last = await t.app.inject({ method: 'PATCH', url: `/api/v1/users/${ada.id}`, headers: t.auth('admin'), payload: { role: 'viewer' } });
    expect(last.statusCode).toBe(409);
    expect(last.json().error.code).toBe('LAST_ADMIN');
    expect((await repo.findUser('ada'))!.role).toBe('admin');
    expect((await t.app.inject({ method: 'PATCH', url: '/api/v1/users/no-such-user', headers: t.auth('admin'), payload: { role: 'viewer' } })).statusCode).toBe(404);
  });

  it('API tokens: created once, listed by prefix with last use, expired and revoked ones refused', async () => {
    const res = await t.app.inject({ method: 'POST', url: '/api/v1/tokens', headers: t.auth('admin'), payload: { name: 'ci export', role: 'analyst', expiresInDays: 30 } });
    expect(res.statusCode).toBe(201);
    const tok = res.json();
    expect(tok.token.startsWith(`${tok.prefix}_`)).toBe(true);
    expect(Date.parse(tok.expiresAt) - Date.now()).toBeGreaterThan(29 * 86_400_000);
    expect(tok.lastUsedAt).toBeNull();
    expect((await t.app.inject({ method: 'GET', url: '/api/v1/assets', headers: { authorization: `Bearer ${tok.token}` } })).statusCode).toBe(200);
    const list = (await t.app.inject({ method: 'GET', url: '/api/v1/tokens', headers: t.auth('admin') })).json().items;
    const mine = list.find((x: { id: string }) => x.id === tok.id);
    expect(mine.lastUsedAt).not.toBeNull();
    expect(JSON.stringify(list)).not.toContain(tok.token);
    // A token cannot do more than its role.
    expect((await t.app.inject({ method: 'POST', url: '/api/v1/tokens', headers: { authorization: `Bearer ${tok.token}` }, payload: { name: 'x', role: 'admin' } })).statusCode).toBe(403);
    const bad = await t.app.inject({ method: 'POST', url: '/api/v1/tokens', headers: t.auth('admin'), payload: { name: 'x', role: 'admin', expiresInDays: 0 } });
    expect(bad.statusCode).toBe(400);
    expect(bad.json().error.message).toMatch(/expiresInDays/);

    // Expiry: a token whose time has passed is refused.
    const short = await repo.createToken('short-lived', 'viewer', 1, 'test');
    await t.graph.write('MATCH (k:ApiToken {id: $id}) SET k.expiresAt = datetime() - duration({seconds: 1})', { id: short.info.id });
    expect((await t.app.inject({ method: 'GET', url: '/api/v1/assets', headers: { authorization: `Bearer ${short.token}` } })).statusCode).toBe(401);

    const rev = await t.app.inject({ method: 'DELETE', url: `/api/v1/tokens/${tok.prefix}`, headers: t.auth('admin') });
    expect(rev.statusCode).toBe(200);
    expect(rev.json().revokedAt).not.toBeNull();
    expect((await t.app.inject({ method: 'GET', url: '/api/v1/assets', headers: { authorization: `Bearer ${tok.token}` } })).statusCode).toBe(401);
    expect((await t.app.inject({ method: 'DELETE', url: '/api/v1/tokens/atl_deadbeef', headers: t.auth('admin') })).statusCode).toBe(404);
  });
});
