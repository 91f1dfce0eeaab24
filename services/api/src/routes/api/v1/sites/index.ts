import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { SITE_KINDS, SiteRepository } from '../../../../../../core/src/graph/site-repository.js';
import { errors } from '../../../../schemas.js';

const Params = z.object({ id: z.string().min(1).max(64) });

const SiteFields = z.object({
  name: z.string().min(1).max(200),
  kind: z.enum(SITE_KINDS).optional(),
  address: z.string().max(500).nullable().optional(),
  notes: z.string().max(2000).nullable().optional(),
});

export const SiteSchema = z.object({
  id: z.string(),
  name: z.string(),
  kind: z.enum(SITE_KINDS),
  address: z.string().nullable(),
  notes: z.string().nullable(),
  assetCount: z.number(),
  demo: z.boolean(),
  createdAt: z.string().nullable(),
  updatedAt: z.string().nullable(),
});

const route: FastifyPluginAsyncZod = async (app) => {
  const sites = new SiteRepository(app.graph);

  app.post(
    '/sites',
    { config: { role: 'security' }, schema: { tags: ['sites'], summary: 'Create a site or location', body: SiteFields.strict(), response: { 201: SiteSchema, ...errors } } },
    async (req, reply) => reply.code(201).send(await sites.create(req.body)),
  );
  app.get(
    '/sites',
    {
      config: { role: 'viewer' },
      schema: {
        tags: ['sites'],
        summary: 'List sites (name order, cursor paging)',
        querystring: z.object({ q: z.string().max(200).optional(), limit: z.coerce.number().int().min(1).max(500).default(100), cursor: z.string().max(600).regex(/^[A-Za-z0-9_-]*\.[A-Za-z0-9_-]*$/, 'a cursor from a previous page').optional() }),
        response: { 200: z.object({ items: z.array(SiteSchema), nextCursor: z.string().nullable() }), ...errors },
      },
    },
    async (req) => sites.list(req.query),
  );
  app.get(
    '/sites/:id',
    { config: { role: 'viewer' }, schema: { tags: ['sites'], summary: 'One site', params: Params, response: { 200: SiteSchema, ...errors } } },
    async (req) => sites.get(req.params.id),
  );
  app.patch(
    '/sites/:id',
    { config: { role: 'security' }, schema: { tags: ['sites'], summary: 'Change a site', params: Params, body: SiteFields.partial().strict(), response: { 200: SiteSchema, ...errors } } },
    async (req) => sites.update(req.params.id, req.body),
  );
  app.delete(
    '/sites/:id',
    { config: { role: 'security' }, schema: { tags: ['sites'], summary: 'Delete a site where no assets are located', params: Params, response: { 204: z.null(), ...errors } } },
    async (req, reply) => {
      await sites.delete(req.params.id);
      return reply.code(204).send(null);
    },
  );
};
export default route;
