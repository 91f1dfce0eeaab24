import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { BAA_STATUSES, VendorRepository } from '../../../../../../core/src/graph/vendor-repository.js';
import { errors } from '../../../../schemas.js';

const boolParam = z.enum(['true', 'false']).transform((v) => v === 'true');
const Params = z.object({ id: z.string().min(1).max(64) });

/** YYYY-MM-DD that is a real calendar date (format: date in OpenAPI). */
export const IsoDate = z.iso.date().refine((s) => {
  const d = new Date(`${s}T00:00:00Z`);
  return !Number.isNaN(d.getTime()) && d.toISOString().startsWith(s);
}, 'not a calendar date');

/** A plain address: a subset of what every email validator accepts, so clients and server agree. */
export const Email = z.string().max(254).regex(/^[A-Za-z0-9._%+-]{1,64}@[A-Za-z0-9-]{1,63}(\.[A-Za-z0-9-]{1,63})*\.[A-Za-z]{2,24}$/, 'an email address such as name@example.org');

const Domain = z.string().min(1).max(253).regex(/^(?=.{1,253}$)([a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?\.)+[a-z]{2,63}$/i, 'a domain name such as example.com');

const VendorFields = z.object({
  name: z.string().min(1).max(200),
  isBusinessAssociate: z.boolean().optional(),
  baaSigned: z.boolean().optional(),
  baaEffective: IsoDate.nullable().optional(),
  baaExpires: IsoDate.nullable().optional().describe('must be after baaEffective'),
  isAiService: z.boolean().optional(),
  domains: z.array(Domain).max(50).optional(),
  website: z.string().max(500).regex(/^https?:\/\/[A-Za-z0-9.-]+(:\d{1,5})?(\/[\x21-\x7e]*)?$/, 'an http(s) URL').nullable().optional(),
  contactEmail: Email.nullable().optional(),
  notes: z.string().max(2000).nullable().optional(),
});

export const VendorSchema = z.object({
  id: z.string(),
  name: z.string(),
  isBusinessAssociate: z.boolean(),
  baaSigned: z.boolean(),
  baaEffective: z.string().nullable(),
  baaExpires: z.string().nullable(),
  baaStatus: z.enum(BAA_STATUSES).describe('current = signed, in effect and not expired today'),
  isAiService: z.boolean(),
  domains: z.array(z.string()),
  website: z.string().nullable(),
  contactEmail: z.string().nullable(),
  notes: z.string().nullable(),
  assetCount: z.number(),
  flowCount: z.number(),
  demo: z.boolean(),
  createdAt: z.string().nullable(),
  updatedAt: z.string().nullable(),
});

const route: FastifyPluginAsyncZod = async (app) => {
  const vendors = new VendorRepository(app.graph);

  app.post(
    '/vendors',
    {
      config: { role: 'security' },
      schema: { tags: ['vendors'], summary: 'Create a vendor or business associate', description: 'When both are given, `baaExpires` must be after `baaEffective`: otherwise a 400 BAA_DATES_INVALID naming body.baaExpires.', body: VendorFields.strict(), response: { 201: VendorSchema, ...errors } },
    },
    async (req, reply) => reply.code(201).send(await vendors.create(req.body)),
  );

  app.get(
    '/vendors',
    {
      config: { role: 'viewer' },
      schema: {
        tags: ['vendors'],
        summary: 'List vendors (name order, cursor paging)',
        querystring: z.object({
          q: z.string().max(200).optional(),
          baaStatus: z.enum(BAA_STATUSES).optional(),
          ai: boolParam.optional(),
          limit: z.coerce.number().int().min(1).max(500).default(100),
          cursor: z.string().max(600).regex(/^[A-Za-z0-9_-]*\.[A-Za-z0-9_-]*$/, 'a cursor from a previous page').optional(),
        }),
        response: { 200: z.object({ items: z.array(VendorSchema), nextCursor: z.string().nullable() }), ...errors },
      },
    },
    async (req) => vendors.list(req.query),
  );

  app.get(
    '/vendors/:id',
    { config: { role: 'viewer' }, schema: { tags: ['vendors'], summary: 'One vendor with its BAA status', params: Params, response: { 200: VendorSchema, ...errors } } },
    async (req) => vendors.get(req.params.id),
  );

  app.patch(
    '/vendors/:id',
    {
      config: { role: 'security' },
      schema: { tags: ['vendors'], summary: 'Change a vendor (BAA dates are checked against the stored ones)', description: '`baaExpires` must be after `baaEffective`, each taken from the body or else from the stored vendor: otherwise a 400 BAA_DATES_INVALID naming body.baaExpires.', params: Params, body: VendorFields.partial().strict(), response: { 200: VendorSchema, ...errors } },
    },
    async (req) => vendors.update(req.params.id, req.body),
  );

  app.delete(
    '/vendors/:id',
    {
      config: { role: 'security' },
      schema: { tags: ['vendors'], summary: 'Delete a vendor that supplies no assets and has no flows', params: Params, response: { 204: z.null(), ...errors } },
    },
    async (req, reply) => {
      await vendors.delete(req.params.id);
      return reply.code(204).send(null);
    },
  );
};
export default route;
