import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { REACH_MAX_HOPS, REACH_MAX_PATHS, REACH_MAX_RESULTS, ReachRepository } from '../../../../../../core/src/graph/reach-repository.js';
import { errors } from '../../../../schemas.js';
import { leanSerializer } from '../map/lean-serializer.js';

const boolParam = z.enum(['true', 'false']).transform((v) => v === 'true');

const AssetBrief = z.object({ id: z.string(), name: z.string(), kind: z.string(), ephiRole: z.string() });
const PathNode = z.object({ id: z.string(), name: z.string(), type: z.enum(['asset', 'vendor']) });

const ReachResponse = z.object({
  asset: AssetBrief.extend({ ephiBearing: z.boolean() }),
  direction: z.enum(['from', 'to']),
  items: z.array(
    z.object({
      asset: AssetBrief,
      hops: z.number(),
      paths: z.array(z.object({ nodes: z.array(PathNode), edges: z.array(z.enum(['connection', 'ephi-flow'])) })),
    }),
  ),
  bounds: z.object({
    maxHops: z.number(),
    maxResults: z.number(),
    maxPaths: z.number(),
    truncated: z.boolean().describe('true when more assets matched than maxResults'),
  }),
});

const ReachQuery = z.object({
  k: z.coerce.number().int().min(1).max(REACH_MAX_HOPS).default(3).describe('maximum hops'),
  limit: z.coerce.number().int().min(1).max(REACH_MAX_RESULTS).default(50).describe('maximum assets returned'),
  paths: z.coerce.number().int().min(1).max(REACH_MAX_PATHS).default(1).describe('shortest paths returned per asset (more cost more)'),
});

const EgressResponse = z.object({
  items: z.array(
    z.object({
      flowId: z.string(),
      source: z.object({ type: z.enum(['asset', 'vendor']), id: z.string(), name: z.string() }),
      target: z.object({ type: z.enum(['asset', 'vendor']), id: z.string(), name: z.string(), kind: z.string() }),
      vendor: z
        .object({
          id: z.string(),
          name: z.string(),
          baaSigned: z.boolean(),
          baaEffective: z.string().nullable(),
          baaExpires: z.string().nullable(),
          baaStatus: z.string(),
          isAiService: z.boolean(),
        })
        .nullable(),
      toAi: z.boolean(),
      baaCovered: z.boolean().describe('a BAA is signed, in effect and not expired today'),
      reason: z.enum(['covered', 'no-vendor', 'baa-missing', 'baa-expired', 'baa-not-yet-effective']),
      dataCategories: z.array(z.string()),
      protocol: z.string().nullable(),
      port: z.number().nullable(),
      encryptedInTransit: z.boolean().nullable(),
      purpose: z.string().nullable(),
    }),
  ),
  summary: z.object({ total: z.number(), covered: z.number(), uncovered: z.number(), toAi: z.number(), toAiUncovered: z.number() }),
  bounds: z.object({ maxResults: z.number(), truncated: z.boolean() }),
});

const Params = z.object({ assetId: z.string().min(1).max(64) });

const route: FastifyPluginAsyncZod = async (app) => {
  const reach = new ReachRepository(app.graph);

  app.get(
    '/reach/from/:assetId',
    {
      config: { role: 'security' },
      serializerCompiler: leanSerializer,
      schema: {
        tags: ['reach'],
        summary: 'ePHI-bearing assets reachable from this asset over connections and ePHI flows, with shortest paths',
        params: Params,
        querystring: ReachQuery,
        response: { 200: ReachResponse, ...errors },
      },
    },
    async (req) => reach.from(req.params.assetId, req.query),
  );

  app.get(
    '/reach/to/:assetId',
    {
      config: { role: 'security' },
      serializerCompiler: leanSerializer,
      schema: {
        tags: ['reach'],
        summary: 'Assets that can reach this asset (who can get to this store), with shortest paths',
        params: Params,
        querystring: ReachQuery,
        response: { 200: ReachResponse, ...errors },
      },
    },
    async (req) => reach.to(req.params.assetId, req.query),
  );

  app.get(
    '/reach/egress',
    {
      config: { role: 'security' },
      serializerCompiler: leanSerializer,
      schema: {
        tags: ['reach'],
        summary: 'ePHI flows leaving the organisation (to vendors, SaaS and AI services) and whether a current BAA covers each',
        querystring: z.object({
          uncovered: boolParam.optional().describe('only flows without a current BAA'),
          ai: boolParam.optional().describe('only flows to AI services'),
          limit: z.coerce.number().int().min(1).max(5000).default(500),
        }),
        response: { 200: EgressResponse, ...errors },
      },
    },
    async (req) => reach.egress({ limit: req.query.limit, uncoveredOnly: req.query.uncovered, aiOnly: req.query.ai }),
  );
};
export default route;
