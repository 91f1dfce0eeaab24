import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { DATA_CATEGORIES, ENDPOINT_TYPES, FlowRepository } from '../../../../../../core/src/graph/flow-repository.js';
import { errors } from '../../../../schemas.js';

const boolParam = z.enum(['true', 'false']).transform((v) => v === 'true');
const Id = z.string().min(1).max(64);

export const EndpointRef = z.object({ type: z.enum(ENDPOINT_TYPES), id: Id });
export const EndpointViewSchema = z.object({ type: z.enum(ENDPOINT_TYPES), id: z.string(), name: z.string(), kind: z.string().nullable() });

export const FlowSchema = z.object({
  id: z.string(),
  source: EndpointViewSchema,
  target: EndpointViewSchema,
  dataCategories: z.array(z.string()),
  protocol: z.string().nullable(),
  port: z.number().nullable(),
  encryptedInTransit: z.boolean().nullable(),
  purpose: z.string().nullable(),
  origin: z.enum(['asserted', 'observed']),
  connectionId: z.string().nullable(),
  createdBy: z.string().nullable(),
  createdAt: z.string().nullable(),
  updatedAt: z.string().nullable(),
});

export const FlowFields = z.object({
  dataCategories: z.array(z.enum(DATA_CATEGORIES)).min(1).max(DATA_CATEGORIES.length).describe('controlled list of ePHI data categories'),
  protocol: z.string().min(1).max(32).regex(/^[A-Za-z0-9._/+-]+$/, 'letters, digits and . _ / + -').nullable().optional().describe('e.g. DICOM, HL7-MLLP, HTTPS, FHIR, SFTP'),
  port: z.number().int().min(1).max(65535).nullable().optional(),
  encryptedInTransit: z.boolean().nullable().optional().describe('null when unknown'),
  purpose: z.string().max(500).nullable().optional(),
});

const Params = z.object({ id: Id });

const route: FastifyPluginAsyncZod = async (app) => {
  const flows = new FlowRepository(app.graph);

  app.post(
    '/flows',
    {
      config: { role: 'security' },
      schema: {
        tags: ['flows'],
        summary: 'Assert an ePHI flow between two endpoints (assets or vendors)',
        description: '`source` and `target` must be two different endpoints: the same one twice is a 400 SAME_ENDPOINTS naming body.target. An endpoint that does not exist is a 404.',
        body: FlowFields.extend({ source: EndpointRef, target: EndpointRef }).strict(),
        response: { 201: FlowSchema, ...errors },
      },
    },
    async (req, reply) => reply.code(201).send(await flows.create(req.body, req.principal?.name ?? null)),
  );

  app.get(
    '/flows',
    {
      config: { role: 'viewer' },
      schema: {
        tags: ['flows'],
        summary: 'List ePHI flows (cursor paging)',
        querystring: z.object({
          endpointId: Id.optional().describe('only flows from or to this asset or vendor'),
          origin: z.enum(['asserted', 'observed']).optional(),
          encrypted: boolParam.optional(),
          limit: z.coerce.number().int().min(1).max(500).default(100),
          cursor: z.string().regex(/^o\d{1,9}$/, 'a cursor from a previous page (nextCursor)').optional(),
        }),
        response: { 200: z.object({ items: z.array(FlowSchema), nextCursor: z.string().nullable() }), ...errors },
      },
    },
    async (req) => flows.list(req.query),
  );

  app.get(
    '/flows/:id',
    { config: { role: 'viewer' }, schema: { tags: ['flows'], summary: 'One ePHI flow', params: Params, response: { 200: FlowSchema, ...errors } } },
    async (req) => flows.get(req.params.id),
  );

  app.patch(
    '/flows/:id',
    {
      config: { role: 'security' },
      schema: {
        tags: ['flows'],
        summary: 'Change the data categories, protocol, port, encryption or purpose of a flow',
        params: Params,
        body: FlowFields.partial().strict(),
        response: { 200: FlowSchema, ...errors },
      },
    },
    async (req) => flows.update(req.params.id, req.body),
  );

  app.delete(
    '/flows/:id',
    { config: { role: 'security' }, schema: { tags: ['flows'], summary: 'Delete an ePHI flow', params: Params, response: { 204: z.null(), ...errors } } },
    async (req, reply) => {
      await flows.delete(req.params.id);
      return reply.code(204).send(null);
    },
  );
};
export default route;
