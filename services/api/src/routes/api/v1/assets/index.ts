import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { ASSET_KINDS, EPHI_ROLES } from '../../../../../../../graph-schema/src/schema.js';
import { ASSET_SORT_FIELDS } from '../../../../../../core/src/graph/asset-repository.js';
import { errors } from '../../../../schemas.js';

const boolParam = z.enum(['true', 'false']).transform((v) => v === 'true');

export const AssetSummarySchema = z.object({
  id: z.string(),
  name: z.string(),
  kind: z.string(),
  ips: z.array(z.string()),
  mac: z.string().nullable(),
  macVendor: z.string().nullable(),
  hostnames: z.array(z.string()),
  os: z.string().nullable(),
  status: z.string(),
  ephiRole: z.string(),
  isAi: z.boolean(),
  firstSeen: z.string().nullable(),
  lastSeen: z.string().nullable(),
  demo: z.boolean(),
});

const AssetDetail = AssetSummarySchema.extend({
  services: z.array(
    z.object({
      protocol: z.string().nullable(),
      port: z.number().nullable(),
      state: z.string().nullable(),
      name: z.string().nullable(),
      product: z.string().nullable(),
      version: z.string().nullable(),
      firstSeen: z.string().nullable(),
      lastSeen: z.string().nullable(),
    }),
  ),
  interfaces: z.array(z.object({ ip: z.string().nullable(), mac: z.string().nullable(), macVendor: z.string().nullable(), firstSeen: z.string().nullable(), lastSeen: z.string().nullable() })),
});

const route: FastifyPluginAsyncZod = async (app) => {
  app.get(
    '/assets',
    {
      config: { role: 'viewer' },
      schema: {
        tags: ['assets'],
        summary: 'Search and filter the inventory (cursor paging)',
        querystring: z.object({
          q: z.string().max(200).optional().describe('free text: IP, MAC, hostname, name'),
          kind: z.enum(ASSET_KINDS).optional(),
          subnet: z.string().max(64).optional(),
          ephi: z.enum(EPHI_ROLES).optional(),
          ai: boolParam.optional(),
          stale: boolParam.optional(),
          sort: z.enum(ASSET_SORT_FIELDS).optional(),
          order: z.enum(['asc', 'desc']).optional(),
          limit: z.coerce.number().int().min(1).max(500).default(50),
          cursor: z.string().max(512).optional(),
        }),
        response: { 200: z.object({ items: z.array(AssetSummarySchema), nextCursor: z.string().nullable() }), ...errors },
      },
    },
    async (req) => app.repos.assets.list(req.query),
  );

  app.get(
    '/assets/:id',
    {
      config: { role: 'viewer' },
      schema: {
        tags: ['assets'],
        summary: 'One asset with its interfaces and services',
        params: z.object({ id: z.string().min(1).max(64) }),
        response: { 200: AssetDetail, ...errors },
      },
    },
    async (req) => app.repos.assets.get(req.params.id),
  );
};
export default route;
