import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { FlowRepository } from '../../../../../../core/src/graph/flow-repository.js';
import { errors } from '../../../../schemas.js';
import { EndpointViewSchema, FlowFields, FlowSchema } from '../flows/index.js';

const ConnectionSchema = z.object({
  id: z.string().describe('opaque id of the observed connection (source, target, protocol, port)'),
  source: EndpointViewSchema,
  target: EndpointViewSchema,
  protocol: z.string().nullable(),
  port: z.number().nullable(),
  bytes: z.number().nullable(),
  packets: z.number().nullable(),
  observedBy: z.string().nullable(),
  firstSeen: z.string().nullable(),
  lastSeen: z.string().nullable(),
  promotedFlowId: z.string().nullable().describe('the ePHI flow this connection was promoted to, if any'),
});

const route: FastifyPluginAsyncZod = async (app) => {
  const flows = new FlowRepository(app.graph);

  app.get(
    '/connections',
    {
      config: { role: 'viewer' },
      schema: {
        tags: ['flows'],
        summary: 'List observed network connections (flow logs)',
        querystring: z.object({
          endpointId: z.string().min(1).max(64).optional().describe('only connections from or to this asset or vendor'),
          limit: z.coerce.number().int().min(1).max(500).default(100),
          cursor: z.string().regex(/^o\d{1,9}$/, 'a cursor from a previous page').optional(),
        }),
        response: { 200: z.object({ items: z.array(ConnectionSchema), nextCursor: z.string().nullable() }), ...errors },
      },
    },
    async (req) => flows.listConnections(req.query),
  );

  app.post(
    '/connections/:id/promote',
    {
      config: { role: 'security' },
      schema: {
        tags: ['flows'],
        summary: 'Promote an observed connection to an asserted ePHI flow',
        params: z.object({ id: z.string().max(96).regex(/^\d{1,4}:[0-9a-f-]{36}:\d{1,19}\.[0-9a-f]{10}$/, 'a connection id from GET /connections') }),
        body: FlowFields.pick({ dataCategories: true, encryptedInTransit: true, purpose: true }).strict(),
        response: { 201: FlowSchema, ...errors },
      },
    },
    async (req, reply) => reply.code(201).send(await flows.promote(req.params.id, req.body, req.principal?.name ?? null)),
  );
};
export default route;
