import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { hasRole } from '../../../../../../core/src/auth/roles.js';
import { AtlasError } from '../../../../../../core/src/errors.js';
import { ReviewRepository } from '../../../../../../core/src/graph/review-repository.js';
import { errors } from '../../../../schemas.js';
import { auditRecord } from '../suggestions/index.js';

const ReviewSchema = z.object({
  id: z.string(),
  assetId: z.string(),
  assetName: z.string(),
  at: z.string(),
  note: z.string().nullable(),
  by: z.string(),
  byRole: z.string(),
  asAccountablePerson: z.boolean(),
});

const route: FastifyPluginAsyncZod = async (app) => {
  const repo = new ReviewRepository(app.graph);

  app.post(
    '/reviews',
    {
      // Declared viewer so the asset's accountable person can attest; anyone else needs analyst (checked below).
      config: { role: 'viewer' },
      schema: {
        tags: ['compliance'],
        summary: "Attest that an asset's record is correct (analyst, or the asset's accountable person)",
        body: z.object({ assetId: z.string().min(1).max(64), note: z.string().trim().max(2000).optional() }).strict(),
        response: { 201: ReviewSchema, ...errors },
      },
    },
    async (req, reply) => {
      const p = req.principal!;
      const analyst = hasRole(p.role, 'analyst');
      const accountable = await repo.isAccountable(req.body.assetId, p);
      if (!analyst && !accountable) {
        throw new AtlasError('FORBIDDEN', "attesting a review needs the analyst role or being the asset's accountable person", { status: 403 });
      }
      const r = await repo.attest({ assetId: req.body.assetId, note: req.body.note ?? null, by: p.name, byRole: p.role, asAccountablePerson: accountable });
      auditRecord(app, req, { action: 'review.attest', target: `asset:${r.assetId}`, after: r });
      return reply.code(201).send(r);
    },
  );

  app.get(
    '/reviews',
    {
      config: { role: 'viewer' },
      schema: {
        tags: ['compliance'],
        summary: 'Review attestations, newest first',
        querystring: z.object({ assetId: z.string().min(1).max(64).optional(), limit: z.coerce.number().int().min(1).max(500).default(100) }),
        response: { 200: z.object({ items: z.array(ReviewSchema) }), ...errors },
      },
    },
    async (req) => ({ items: await repo.list(req.query) }),
  );
};
export default route;
