import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { z } from 'zod';
import { AtlasError } from '../../../../../../core/src/errors.js';
import { PASSWORD_POLICY } from '../../../../../../core/src/auth/secrets.js';
import { otpauthUri, qrDataUrl } from '../../../../../../core/src/auth/mfa.js';
import type { Principal } from '../../../../../../core/src/graph/auth-repository.js';
import { MFA_PENDING_COOKIE, MFA_PENDING_MAX_ATTEMPTS, MFA_PENDING_TTL_SECONDS, SESSION_COOKIE } from '../../../../plugins/app/auth.js';
import { ErrorSchema, errors } from '../../../../schemas.js';

const RoleEnum = z.enum(['viewer', 'analyst', 'security', 'admin']);

const Me = z.object({
  kind: z.enum(['user', 'token']),
  name: z.string(),
  role: RoleEnum,
  mfaEnabled: z.boolean().describe('always false for API tokens, which bypass MFA'),
  mfaEnrollmentRequired: z.boolean().describe('the role requires MFA and the user has not enrolled: only enrolment, password change, me and logout are allowed'),
});

const LoginResult = z
  .object({
    mfaRequired: z.boolean().describe('true: send a code to POST /auth/mfa/verify within 5 minutes to finish signing in'),
    mfaEnrollmentRequired: z.boolean().describe('true: signed in, but restricted to MFA enrolment until it is confirmed'),
    kind: z.literal('user').optional(),
    name: z.string().optional(),
    role: RoleEnum.optional(),
  })
  .describe('Present fields kind/name/role mean a session cookie was set.');

const Password = z.string().min(1).max(256);
const SMALL_BODY = 4096;

const route: FastifyPluginAsyncZod = async (app) => {
  const loginLimit = { max: app.config.ATLAS_LOGIN_RATE_PER_MINUTE, timeWindow: '1 minute' };
  const policy = { maxFailures: app.config.ATLAS_LOGIN_MAX_FAILURES, lockoutSeconds: app.config.ATLAS_LOCKOUT_SECONDS };
  const secure = Boolean(app.config.ATLAS_TLS_CERT);

  async function me(p: Principal, stage: string | null): Promise<z.infer<typeof Me>> {
    if (p.kind === 'token') return { kind: 'token', name: p.name, role: p.role, mfaEnabled: false, mfaEnrollmentRequired: false };
    const u = await app.repos.auth.findUser(p.id);
    return { kind: 'user', name: p.name, role: p.role, mfaEnabled: u?.mfaEnabled ?? false, mfaEnrollmentRequired: stage === 'mfa-enrol' };
  }

  function requireUser(req: FastifyRequest): Principal {
    const p = req.principal!;
    if (p.kind !== 'user') throw new AtlasError('NOT_A_USER', 'this is for signed-in users; API tokens have no password or MFA', { status: 400 });
    return p;
  }

  function clearPending(reply: FastifyReply) {
    reply.clearCookie(MFA_PENDING_COOKIE, { path: '/api/v1/auth/mfa' });
  }

  app.post(
    '/auth/login',
    {
      config: { role: 'public', rateLimit: loginLimit },
      bodyLimit: SMALL_BODY,
      schema: {
        tags: ['auth'],
        summary: 'Sign in with username and password (sets an httpOnly session cookie, or starts the MFA step)',
        description: `After ${policy.maxFailures} wrong passwords in a row the account is locked for ${policy.lockoutSeconds} s (423). Password policy: ${PASSWORD_POLICY}.`,
        body: z.object({ username: z.string().min(1).max(64), password: Password }),
        response: { 200: LoginResult, 423: ErrorSchema, ...errors },
      },
    },
    async (req, reply) => {
      const { username } = req.body;
      const r = await app.repos.auth.attemptLogin(username, req.body.password, policy);
      if (!r.ok) {
        app.audit.record(req, { action: 'auth.login', target: username, detail: { result: 'failure', reason: r.reason } });
        if (r.reason === 'locked') {
          reply.header('retry-after', String(r.retryAfterSeconds));
          throw new AtlasError('ACCOUNT_LOCKED', `too many failed sign-ins: the account is locked for ${r.retryAfterSeconds} s (an administrator can unlock it)`, {
            status: 423,
            details: { retryAfterSeconds: r.retryAfterSeconds },
          });
        }
        throw new AtlasError('INVALID_CREDENTIALS', 'unknown user or wrong password', { status: 401 });
      }
      const u = r.user;
      const p: Principal = { kind: 'user', id: u.id, name: u.username, role: u.role };
      if (u.mfaEnabled) {
        const old = req.cookies[SESSION_COOKIE];
        if (old) await app.sessions.destroy(old);
        reply.clearCookie(SESSION_COOKIE, { path: '/' });
        const pid = await app.sessions.createPending({ userId: u.id, username: u.username, role: u.role });
        reply.setCookie(MFA_PENDING_COOKIE, pid, { httpOnly: true, sameSite: 'strict', secure, path: '/api/v1/auth/mfa', maxAge: MFA_PENDING_TTL_SECONDS });
        app.audit.record(req, { action: 'auth.login', target: username, actor: p, detail: { result: 'password-ok', next: 'mfa' } });
        return { mfaRequired: true, mfaEnrollmentRequired: false };
      }
      const enrol = app.mfaRequiredFor(u.role);
      await app.startSession(req, reply, p, enrol ? 'mfa-enrol' : 'full');
      app.audit.record(req, { action: 'auth.login', target: username, actor: p, detail: { result: 'success', mfa: false, restrictedToEnrolment: enrol } });
      return { mfaRequired: false, mfaEnrollmentRequired: enrol, kind: 'user' as const, name: u.username, role: u.role };
    },
  );

  app.post(
    '/auth/mfa/verify',
    {
      config: { role: 'public', rateLimit: loginLimit },
      bodyLimit: SMALL_BODY,
      schema: {
        tags: ['auth'],
        summary: 'Second sign-in step: a TOTP code or a recovery code (each accepted once)',
        description: `Uses the pending-MFA cookie set by /auth/login (valid ${MFA_PENDING_TTL_SECONDS} s, ${MFA_PENDING_MAX_ATTEMPTS} attempts).`,
        body: z
          .object({
            code: z.string().trim().min(6).max(32).optional().describe('6-digit TOTP code; a recovery code is accepted here too'),
            recoveryCode: z.string().trim().min(8).max(32).optional(),
          })
          .refine((b) => (b.code === undefined) !== (b.recoveryCode === undefined), { message: 'send exactly one of code or recoveryCode', path: ['code'] }),
        response: { 200: Me, ...errors },
      },
    },
    async (req, reply) => {
      const pid = req.cookies[MFA_PENDING_COOKIE];
      const pending = pid ? await app.sessions.getPending(pid) : null;
      if (!pid || !pending) throw new AtlasError('MFA_SESSION_EXPIRED', 'no sign-in is waiting for a code (it expires after 5 minutes): sign in again', { status: 401 });
      const p: Principal = { kind: 'user', id: pending.userId, name: pending.username, role: pending.role };
      const totp = req.body.code !== undefined && /^\d{6}$/.test(req.body.code) ? req.body.code : null;
      const method = totp ? 'totp' : 'recovery-code';
      let outcome: 'ok' | 'invalid' | 'replayed';
      if (totp) outcome = await app.repos.auth.acceptTotp(pending.userId, totp);
      else outcome = (await app.repos.auth.consumeRecoveryCode(pending.userId, (req.body.recoveryCode ?? req.body.code)!)) ? 'ok' : 'invalid';
      const user = await app.repos.auth.findUser(pending.userId);
      if (outcome === 'ok' && user && !user.disabled) {
        await app.sessions.destroyPending(pid);
        clearPending(reply);
        await app.startSession(req, reply, p, 'full');
        app.audit.record(req, { action: 'auth.mfa.verify', target: pending.username, actor: p, detail: { result: 'success', method, recoveryCodesLeft: user.recoveryCodesLeft } });
        return { kind: 'user' as const, name: p.name, role: user.role, mfaEnabled: true, mfaEnrollmentRequired: false };
      }
      pending.attempts += 1;
      const exhausted = pending.attempts >= MFA_PENDING_MAX_ATTEMPTS || !user || user.disabled;
      if (exhausted) {
        await app.sessions.destroyPending(pid);
        clearPending(reply);
      } else await app.sessions.savePending(pid, pending);
      app.audit.record(req, { action: 'auth.mfa.verify', target: pending.username, detail: { result: 'failure', method, reason: outcome, attempts: pending.attempts } });
      if (outcome === 'replayed') throw new AtlasError('MFA_CODE_REUSED', 'this code was already used; wait for the next one', { status: 401, details: { field: 'code' } });
      const again = exhausted ? ' Too many attempts: sign in again.' : '';
      throw new AtlasError('INVALID_MFA_CODE', `the code is not valid.${again}`, { status: 401, details: { field: req.body.code !== undefined ? 'code' : 'recoveryCode' } });
    },
  );

  app.post(
    '/auth/mfa/enroll',
    {
      config: { role: 'viewer', duringMfaEnrolment: true },
      bodyLimit: SMALL_BODY,
      schema: {
        tags: ['auth'],
        summary: 'Start MFA enrolment: a TOTP secret as otpauth URI and QR code (confirm with /auth/mfa/confirm)',
        response: {
          200: z.object({
            otpauthUri: z.string(),
            qrDataUrl: z.string().describe('data:image/svg+xml;base64,… QR code of the otpauth URI'),
            secret: z.string().describe('base32, for typing into an app that cannot scan'),
          }),
          ...errors,
        },
      },
    },
    async (req) => {
      const p = requireUser(req);
      const { secret, username } = await app.repos.auth.startMfaEnrolment(p.id);
      const uri = otpauthUri(secret, username);
      app.audit.record(req, { action: 'auth.mfa.enroll', target: username });
      return { otpauthUri: uri, qrDataUrl: await qrDataUrl(uri), secret };
    },
  );

  app.post(
    '/auth/mfa/confirm',
    {
      config: { role: 'viewer', duringMfaEnrolment: true, rateLimit: loginLimit },
      bodyLimit: SMALL_BODY,
      schema: {
        tags: ['auth'],
        summary: 'Activate MFA with a code from the app; returns 10 single-use recovery codes, shown once',
        body: z.object({ code: z.string().regex(/^\d{6}$/, '6 digits') }),
        response: { 200: z.object({ recoveryCodes: z.array(z.string()).length(10) }), ...errors },
      },
    },
    async (req, reply) => {
      const p = requireUser(req);
      const recoveryCodes = await app.repos.auth.confirmMfa(p.id, req.body.code);
      // A fresh, unrestricted session; other sessions of this user (from before MFA) end.
      await app.startSession(req, reply, p, 'full');
      await app.sessions.destroyAllFor(p.id, req.sessionId ?? undefined);
      app.audit.record(req, { action: 'auth.mfa.confirm', target: p.name, detail: { result: 'enabled' } });
      return { recoveryCodes };
    },
  );

  app.post(
    '/auth/password',
    {
      config: { role: 'viewer', duringMfaEnrolment: true, rateLimit: loginLimit },
      bodyLimit: SMALL_BODY,
      schema: {
        tags: ['auth'],
        summary: 'Change my password (ends my other sessions)',
        description: `Policy: ${PASSWORD_POLICY}.`,
        body: z.object({ currentPassword: Password, newPassword: Password }),
        response: { 204: z.null(), ...errors },
      },
    },
    async (req, reply) => {
      const p = requireUser(req);
      await app.repos.auth.changePassword(p.id, req.body.currentPassword, req.body.newPassword);
      await app.startSession(req, reply, p, req.sessionStage ?? 'full');
      await app.sessions.destroyAllFor(p.id, req.sessionId ?? undefined);
      app.audit.record(req, { action: 'auth.password.change', target: p.name });
      return reply.code(204).send(null);
    },
  );

  app.post(
    '/auth/logout',
    {
      config: { role: 'viewer', duringMfaEnrolment: true },
      bodyLimit: SMALL_BODY,
      schema: { tags: ['auth'], summary: 'End the browser session', response: { 204: z.null(), ...errors } },
    },
    async (req, reply) => {
      const sid = req.cookies[SESSION_COOKIE];
      if (sid) await app.sessions.destroy(sid);
      reply.clearCookie(SESSION_COOKIE, { path: '/' });
      app.audit.record(req, { action: 'auth.logout' });
      return reply.code(204).send(null);
    },
  );

  app.get(
    '/auth/me',
    { config: { role: 'viewer', duringMfaEnrolment: true }, schema: { tags: ['auth'], summary: 'Who am I, and must I enrol in MFA', response: { 200: Me, ...errors } } },
    async (req) => me(req.principal!, req.sessionStage),
  );
};
export default route;
