import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { ErrorSchema } from '../../../../schemas.js';

const Dep = z.object({ status: z.enum(['up', 'down']), latencyMs: z.number(), checkedAt: z.string(), error: z.string().optional() });
const Health = z.object({
  status: z.enum(['ok', 'unavailable']),
  version: z.string(),
  dependencies: z.object({ neo4j: Dep, redis: Dep }),
  error: ErrorSchema.shape.error.optional(),
});

const route: FastifyPluginAsyncZod = async (app) => {
  app.get(
    '/health',
    {
      config: { role: 'public', skipDependencyCheck: true },
      schema: { tags: ['health'], summary: 'Overall and per-dependency status (no auth)', response: { 200: Health, 503: Health } },
    },
    async (_req, reply) => {
      const s = app.dependencyStatus();
      const dep = (d: typeof s.neo4j) => ({ status: d.ok ? ('up' as const) : ('down' as const), latencyMs: d.latencyMs, checkedAt: d.checkedAt, error: d.ok ? undefined : d.error });
      const ok = s.neo4j.ok && s.redis.ok;
      const body = {
        status: ok ? ('ok' as const) : ('unavailable' as const),
        version: '1.0.0',
        dependencies: { neo4j: dep(s.neo4j), redis: dep(s.redis) },
        error: ok ? undefined : { code: 'DEPENDENCY_UNAVAILABLE', message: `${[!s.neo4j.ok && 'neo4j', !s.redis.ok && 'redis'].filter(Boolean).join(' and ')} unavailable` },
      };
      return reply.code(ok ? 200 : 503).send(body);
    },
  );
};
export default route;
