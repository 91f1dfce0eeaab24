import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { randomPassword, PASSWORD_POLICY } from '../../../../../../core/src/auth/secrets.js';
import { ValidationError } from '../../../../../../core/src/errors.js';
import { errors, Iso } from '../../../../schemas.js';

const RoleEnum = z.enum(['viewer', 'analyst', 'security', 'admin']);

export const UserSchema = z.object({
  id: z.string(),
  username: z.string(),
  role: RoleEnum,
  disabled: z.boolean(),
  mfaEnabled: z.boolean(),
  recoveryCodesLeft: z.number().int(),
  failedLogins: z.number().int(),
  lockedUntil: Iso.nullable(),
  createdAt: Iso,
  lastLoginAt: Iso.nullable(),
  passwordChangedAt: Iso.nullable(),
});

const Params = z.object({ id: z.string().min(1).max(64) });

const route: FastifyPluginAsyncZod = async (app) => {
  app.get(
    '/users',
    { config: { role: 'admin' }, schema: { tags: ['users'], summary: 'List users', response: { 200: z.object({ items: z.array(UserSchema) }), ...errors } } },
    async () => ({ items: await app.repos.auth.listUsers() }),
  );

  app.post(
    '/users',
    {
      config: { role: 'admin' },
      bodyLimit: 4096,
      schema: {
        tags: ['users'],
        summary: 'Create a user; without a password one is generated and returned once',
        description: `Password policy: ${PASSWORD_POLICY}.`,
        body: z.object({ username: z.string().min(2).max(64), role: RoleEnum, password: z.string().min(1).max(256).optional() }),
        response: { 201: z.object({ user: UserSchema, password: z.string().optional().describe('only when generated') }), ...errors },
      },
    },
    async (req, reply) => {
      const generated = req.body.password === undefined ? randomPassword() : undefined;
      const { id } = await app.repos.auth.createUser(req.body.username, req.body.password ?? generated!, req.body.role);
      const user = await app.repos.auth.requireUser(id);
      app.audit.record(req, { action: 'user.create', target: user.username, after: user });
      return reply.code(201).send(generated ? { user, password: generated } : { user });
    },
  );

  app.patch(
    '/users/:id',
    {
      config: { role: 'admin' },
      bodyLimit: 4096,
      schema: {
        tags: ['users'],
        summary: "Change a user's role or disable/enable them (their sessions end)",
        params: Params,
        body: z.object({ role: RoleEnum.optional(), disabled: z.boolean().optional() }).strict(),
        response: { 200: UserSchema, ...errors },
      },
    },
    async (req) => {
      if (req.body.role === undefined && req.body.disabled === undefined) throw new ValidationError('EMPTY_PATCH', 'send role and/or disabled', { field: 'body' });
      const target = await app.repos.auth.requireUser(req.params.id);
      const { before, after } = await app.repos.auth.updateUser(target.id, req.body);
      await app.sessions.destroyAllFor(target.id);
      app.audit.record(req, { action: 'user.update', target: after.username, before, after });
      return after;
    },
  );

  app.post(
    '/users/:id/unlock',
    { config: { role: 'admin' }, bodyLimit: 1024, schema: { tags: ['users'], summary: 'Clear a lockout after failed sign-ins', params: Params, response: { 200: UserSchema, ...errors } } },
    async (req) => {
      const before = await app.repos.auth.requireUser(req.params.id);
      const after = await app.repos.auth.unlockUser(before.id);
      app.audit.record(req, { action: 'user.unlock', target: after.username, before, after });
      return after;
    },
  );

  app.post(
    '/users/:id/mfa/reset',
    {
      config: { role: 'admin' },
      bodyLimit: 1024,
      schema: { tags: ['users'], summary: 'Remove MFA from a user (lost device); they enrol again at next sign-in', params: Params, response: { 200: UserSchema, ...errors } },
    },
    async (req) => {
      const before = await app.repos.auth.requireUser(req.params.id);
      const after = await app.repos.auth.resetMfa(before.id);
      await app.sessions.destroyAllFor(before.id);
      app.audit.record(req, { action: 'user.mfa.reset', target: after.username, before, after });
      return after;
    },
  );

  app.post(
    '/users/:id/password',
    {
      config: { role: 'admin' },
      bodyLimit: 1024,
      schema: {
        tags: ['users'],
        summary: 'Reset a user\'s password to a generated one (returned once); clears lockout, ends their sessions',
        params: Params,
        response: { 200: z.object({ user: UserSchema, password: z.string() }), ...errors },
      },
    },
    async (req) => {
      const target = await app.repos.auth.requireUser(req.params.id);
      const password = randomPassword();
      const user = await app.repos.auth.setPassword(target.id, password);
      await app.sessions.destroyAllFor(target.id);
      app.audit.record(req, { action: 'user.password.reset', target: user.username });
      return { user, password };
    },
  );
};
export default route;
