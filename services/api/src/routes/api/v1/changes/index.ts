import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { CHANGE_TYPES } from '../../../../../../core/src/domain/changes.js';
import { ChangeRepository } from '../../../../../../core/src/graph/change-repository.js';
import { errors } from '../../../../schemas.js';
import { ChangeSchema } from '../assets/index.js';

const isoTime = z.string().max(40).refine((s) => !Number.isNaN(Date.parse(s)), { message: 'an ISO-8601 time such as 2026-01-31T00:00:00Z' });

const route: FastifyPluginAsyncZod = async (app) => {
  const changes = new ChangeRepository(app.graph);
  app.get(
    '/changes',
    {
      config: { role: 'viewer' },
      schema: {
        tags: ['changes'],
        summary: 'What changed (new assets, ports opened/closed, versions, OS, IPs, missed assets, assertions), newest first',
        description: '`since` and `until` are ISO-8601 times. `cursor` is opaque: only a `nextCursor` this API returned is valid; any other value is a 400 INVALID_CURSOR (details.field = cursor).',
        querystring: z.object({
          since: isoTime.optional(),
          until: isoTime.optional(),
          assetId: z.string().min(1).max(64).optional(),
          type: z.enum(CHANGE_TYPES).optional(),
          limit: z.coerce.number().int().min(1).max(500).default(100),
          cursor: z.string().max(512).optional(),
        }),
        response: { 200: z.object({ items: z.array(ChangeSchema), nextCursor: z.string().nullable() }), ...errors },
      },
    },
    async (req) => changes.list({ ...req.query, since: req.query.since && new Date(req.query.since).toISOString(), until: req.query.until && new Date(req.query.until).toISOString() }),
  );
};
export default route;
