import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { errors, Iso } from '../../../../schemas.js';

export const TokenInfoSchema = z.object({
  id: z.string(),
  name: z.string(),
  prefix: z.string().describe('visible part of the token, e.g. atl_1a2b3c4d'),
  role: z.enum(['viewer', 'analyst', 'security', 'admin']),
  createdAt: Iso,
  createdBy: z.string().nullable(),
  expiresAt: Iso.nullable(),
  revokedAt: Iso.nullable(),
  lastUsedAt: Iso.nullable(),
});

const Params = z.object({ id: z.string().min(1).max(64) });

const route: FastifyPluginAsyncZod = async (app) => {
  app.post(
    '/tokens',
    {
      config: { role: 'admin' },
      bodyLimit: 4096,
      schema: {
        tags: ['tokens'],
        summary: 'Create an API token for automation; the token is in this response only',
        body: z.object({
          name: z.string().trim().min(1).max(100),
          role: z.enum(['viewer', 'analyst', 'security', 'admin']),
          expiresInDays: z.number().int().min(1).max(3650).default(90),
        }),
        response: { 201: TokenInfoSchema.extend({ token: z.string().describe('shown once; store it now') }), ...errors },
      },
    },
    async (req, reply) => {
      const { token, info } = await app.repos.auth.createToken(req.body.name, req.body.role, req.body.expiresInDays, `${req.principal!.kind}:${req.principal!.name}`);
      app.audit.record(req, { action: 'token.create', target: info.prefix, after: info });
      return reply.code(201).send({ ...info, token });
    },
  );

  app.get(
    '/tokens',
    { config: { role: 'admin' }, schema: { tags: ['tokens'], summary: 'List API tokens (prefixes only, never the secret)', response: { 200: z.object({ items: z.array(TokenInfoSchema) }), ...errors } } },
    async () => ({ items: await app.repos.auth.listTokens() }),
  );

  app.delete(
    '/tokens/:id',
    {
      config: { role: 'admin' },
      schema: { tags: ['tokens'], summary: 'Revoke an API token (by id or prefix); it stops working at once', params: Params, response: { 200: TokenInfoSchema, ...errors } },
    },
    async (req) => {
      const before = (await app.repos.auth.listTokens()).find((t) => t.id === req.params.id || t.prefix === req.params.id);
      const after = await app.repos.auth.revokeToken(req.params.id);
      app.audit.record(req, { action: 'token.revoke', target: after.prefix, before, after });
      return after;
    },
  );
};
export default route;
