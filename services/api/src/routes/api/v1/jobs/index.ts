import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { errors } from '../../../../schemas.js';

export const JobSchema = z.object({
  id: z.string(),
  queue: z.string(),
  name: z.string(),
  state: z.enum(['waiting', 'active', 'completed', 'failed', 'cancelled']),
  progress: z.unknown(),
  result: z.unknown().optional(),
  error: z.object({ code: z.string(), message: z.string() }).optional(),
  createdAt: z.string(),
  startedAt: z.string().optional(),
  finishedAt: z.string().optional(),
  attempts: z.number(),
});

const Params = z.object({ id: z.string().min(1).max(128) });

const route: FastifyPluginAsyncZod = async (app) => {
  app.get(
    '/jobs/:id',
    { config: { role: 'viewer' }, schema: { tags: ['jobs'], summary: 'State, progress and result of a job', params: Params, response: { 200: JobSchema, ...errors } } },
    async (req) => app.queues.getJob(req.params.id),
  );
  app.post(
    '/jobs/:id/cancel',
    { config: { role: 'security' }, schema: { tags: ['jobs'], summary: 'Cancel a waiting or running job', params: Params, response: { 200: JobSchema, ...errors } } },
    async (req) => app.queues.cancel(req.params.id),
  );
};
export default route;
