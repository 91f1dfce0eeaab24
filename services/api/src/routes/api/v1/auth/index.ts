import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { AtlasError } from '../../../../../../core/src/errors.js';
import { SESSION_COOKIE } from '../../../../plugins/app/auth.js';
import { errors } from '../../../../schemas.js';

const Me = z.object({ kind: z.enum(['user', 'token']), name: z.string(), role: z.enum(['viewer', 'analyst', 'security', 'admin']) });

const route: FastifyPluginAsyncZod = async (app) => {
  app.post(
    '/auth/login',
    {
      config: { role: 'public', rateLimit: { max: 10, timeWindow: '1 minute' } },
      bodyLimit: 4096,
      schema: {
        tags: ['auth'],
        summary: 'Start a browser session (sets an httpOnly cookie)',
        body: z.object({ username: z.string().min(1).max(64), password: z.string().min(1).max(256) }),
        response: { 200: Me, ...errors },
      },
    },
    async (req, reply) => {
      const p = await app.repos.auth.verifyLogin(req.body.username, req.body.password);
      if (!p) throw new AtlasError('INVALID_CREDENTIALS', 'unknown user or wrong password', { status: 401 });
      const sid = await app.sessions.create(p);
      reply.setCookie(SESSION_COOKIE, sid, {
        httpOnly: true,
        sameSite: 'strict',
        secure: Boolean(app.config.ATLAS_TLS_CERT),
        path: '/',
        maxAge: app.config.ATLAS_SESSION_TTL_HOURS * 3600,
      });
      return { kind: p.kind, name: p.name, role: p.role };
    },
  );

  app.post(
    '/auth/logout',
    { config: { role: 'viewer' }, schema: { tags: ['auth'], summary: 'End the browser session', response: { 204: z.null(), ...errors } } },
    async (req, reply) => {
      const sid = req.cookies[SESSION_COOKIE];
      if (sid) await app.sessions.destroy(sid);
      reply.clearCookie(SESSION_COOKIE, { path: '/' });
      return reply.code(204).send(null);
    },
  );

  app.get(
    '/auth/me',
    { config: { role: 'viewer' }, schema: { tags: ['auth'], summary: 'Who am I', response: { 200: Me, ...errors } } },
    async (req) => ({ kind: req.principal!.kind, name: req.principal!.name, role: req.principal!.role }),
  );
};
export default route;
