import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { PersonRepository } from '../../../../../../core/src/graph/person-repository.js';
import { errors } from '../../../../schemas.js';
import { Email } from '../vendors/index.js';

const Params = z.object({ id: z.string().min(1).max(64) });

const PersonFields = z.object({
  name: z.string().min(1).max(200),
  email: Email.nullable().optional(),
  title: z.string().max(200).nullable().optional(),
  department: z.string().max(200).nullable().optional(),
  phone: z.string().max(50).regex(/^[0-9+() .-]*$/, 'digits, spaces and + ( ) . -').nullable().optional(),
});

export const PersonSchema = z.object({
  id: z.string(),
  name: z.string(),
  email: z.string().nullable(),
  title: z.string().nullable(),
  department: z.string().nullable(),
  phone: z.string().nullable(),
  assetCount: z.number(),
  demo: z.boolean(),
  createdAt: z.string().nullable(),
  updatedAt: z.string().nullable(),
});

const route: FastifyPluginAsyncZod = async (app) => {
  const people = new PersonRepository(app.graph);

  app.post(
    '/people',
    { config: { role: 'security' }, schema: { tags: ['people'], summary: 'Create a person accountable for assets', body: PersonFields.strict(), response: { 201: PersonSchema, ...errors } } },
    async (req, reply) => reply.code(201).send(await people.create(req.body)),
  );
  app.get(
    '/people',
    {
      config: { role: 'viewer' },
      schema: {
        tags: ['people'],
        summary: 'List people (name order, cursor paging)',
        querystring: z.object({ q: z.string().max(200).optional(), limit: z.coerce.number().int().min(1).max(500).default(100), cursor: z.string().max(600).regex(/^[A-Za-z0-9_-]*\.[A-Za-z0-9_-]*$/, 'a cursor from a previous page').optional() }),
        response: { 200: z.object({ items: z.array(PersonSchema), nextCursor: z.string().nullable() }), ...errors },
      },
    },
    async (req) => people.list(req.query),
  );
  app.get(
    '/people/:id',
    { config: { role: 'viewer' }, schema: { tags: ['people'], summary: 'One person', params: Params, response: { 200: PersonSchema, ...errors } } },
    async (req) => people.get(req.params.id),
  );
  app.patch(
    '/people/:id',
    { config: { role: 'security' }, schema: { tags: ['people'], summary: 'Change a person', params: Params, body: PersonFields.partial().strict(), response: { 200: PersonSchema, ...errors } } },
    async (req) => people.update(req.params.id, req.body),
  );
  app.delete(
    '/people/:id',
    { config: { role: 'security' }, schema: { tags: ['people'], summary: 'Delete a person who owns no assets', params: Params, response: { 204: z.null(), ...errors } } },
    async (req, reply) => {
      await people.delete(req.params.id);
      return reply.code(204).send(null);
    },
  );
};
export default route;
