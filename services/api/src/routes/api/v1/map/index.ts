import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { ASSET_KINDS, EPHI_ROLES } from '../../../../../../../graph-schema/src/schema.js';
import { DEFAULT_MAX_ELEMENTS, GROUP_BYS, MapAggregator, MapRepository } from '../../../../../../core/src/graph/map-repository.js';
import { leanSerializer } from './lean-serializer.js';
import { errors } from '../../../../schemas.js';

const boolParam = z.enum(['true', 'false']).transform((v) => v === 'true');
const MaxElements = z.coerce.number().int().min(10).max(10_000).default(DEFAULT_MAX_ELEMENTS).describe('element budget (nodes + edges)');

const NodeData = z
  .object({
    id: z.string(),
    label: z.string(),
    type: z.enum(['group', 'asset', 'vendor']),
    groupBy: z.string().optional(),
    count: z.number().optional(),
    ephiCount: z.number().optional(),
    aiCount: z.number().optional(),
    staleCount: z.number().optional(),
    alertCount: z.number().optional(),
    kind: z.string().optional(),
    ephiRole: z.string().optional(),
    isAi: z.boolean().optional(),
    isAiService: z.boolean().optional(),
    baaStatus: z.string().optional(),
    status: z.string().optional(),
    parent: z.string().optional(),
    hops: z.number().optional(),
    focus: z.boolean().optional(),
    neighbour: z.boolean().optional(),
  })
  .describe('Cytoscape node data');

const EdgeData = z
  .object({
    id: z.string(),
    source: z.string(),
    target: z.string(),
    type: z.enum(['connections', 'ephi-flows', 'ephi-flow']),
    count: z.number().optional(),
    encryptedInTransit: z.boolean().nullable().optional(),
    baaCovered: z.boolean().nullable().optional(),
    external: z.boolean().optional(),
    toAi: z.boolean().optional(),
    dataCategories: z.array(z.string()).optional(),
    protocol: z.string().nullable().optional(),
    port: z.number().nullable().optional(),
    origin: z.string().optional(),
    unencryptedCount: z.number().optional(),
    uncoveredCount: z.number().optional(),
    toAiCount: z.number().optional(),
  })
  .describe('Cytoscape edge data');

const MapResponse = z.object({
  elements: z.object({ nodes: z.array(z.object({ data: NodeData })), edges: z.array(z.object({ data: EdgeData })) }),
  budget: z.object({
    maxElements: z.number(),
    aggregated: z.boolean().describe('true when the server grouped elements to stay within the budget'),
    totalAssets: z.number(),
    omittedEdges: z.number().describe('edges left out to stay within the budget (the lightest ones); 0 normally'),
    note: z.string().optional(),
    source: z.enum(['live', 'aggregate']).optional().describe('live: computed for this request; aggregate: read from the maintained aggregates'),
    aggregatedAt: z.string().optional().describe('when these figures were computed; aggregated figures lag changes by at most refreshBoundMs'),
    refreshBoundMs: z.number().optional().describe('longest a change in the graph takes to show in aggregated figures'),
  }),
  generatedAt: z.string(),
});

/** The repository builds loosely typed element data; the response schema is what checks it. */
type MapBody = z.infer<typeof MapResponse>;

const route: FastifyPluginAsyncZod = async (app) => {
  const cfg = app.config;
  let aggregator: MapAggregator | undefined;
  const map = new MapRepository(app.graph, {
    aggregateAboveAssets: cfg.ATLAS_MAP_AGGREGATE_ABOVE_ASSETS,
    refreshBoundMs: () => aggregator?.boundMs() ?? cfg.ATLAS_MAP_REFRESH_CHECK_MS,
    onMissingAggregate: () => aggregator?.kick(),
  });
  aggregator = new MapAggregator(map, {
    checkMs: cfg.ATLAS_MAP_REFRESH_CHECK_MS,
    maxAgeMs: cfg.ATLAS_MAP_REFRESH_MAX_AGE_SECONDS * 1000,
    aboveAssets: cfg.ATLAS_MAP_AGGREGATE_ABOVE_ASSETS,
    onError: (err) => app.log.warn({ err }, 'map aggregate refresh failed'),
  });
  app.addHook('onReady', async () => aggregator?.start());
  app.addHook('onClose', async () => aggregator?.stop());

  app.get(
    '/map/overview',
    {
      config: { role: 'viewer' },
      serializerCompiler: leanSerializer,
      schema: {
        tags: ['map'],
        summary: 'Groups (subnets, sites, vendors or kinds) with counts and the connections and ePHI flows between them',
        querystring: z.object({
          groupBy: z.enum(GROUP_BYS).default('subnet'),
          kind: z.enum(ASSET_KINDS).optional(),
          ephi: z.enum(EPHI_ROLES).optional(),
          ai: boolParam.optional(),
          stale: boolParam.optional(),
          maxElements: MaxElements,
        }),
        response: { 200: MapResponse, ...errors },
      },
    },
    async (req) => {
      const { groupBy, maxElements, ...filter } = req.query;
      return (await map.overview(groupBy, filter, maxElements)) as MapBody;
    },
  );

  app.get(
    '/map/groups/:groupId',
    {
      config: { role: 'viewer' },
      serializerCompiler: leanSerializer,
      schema: {
        tags: ['map'],
        summary: 'The members of one group, the edges among them and aggregated edges to other groups',
        params: z.object({ groupId: z.string().max(90).regex(/^(subnet|site|vendor|kind):.+$/, 'subnet:<cidr>, site:<id>, vendor:<id> or kind:<kind>').describe('e.g. subnet:10.20.1.0/24 (URL-encoded)') }),
        querystring: z.object({ maxElements: MaxElements }),
        response: { 200: MapResponse, ...errors },
      },
    },
    async (req) => (await map.group(req.params.groupId, req.query.maxElements)) as MapBody,
  );

  app.get(
    '/map/focus/:assetId',
    {
      config: { role: 'viewer' },
      serializerCompiler: leanSerializer,
      schema: {
        tags: ['map'],
        summary: 'An asset and its k-hop neighbourhood over connections and ePHI flows',
        params: z.object({ assetId: z.string().min(1).max(64) }),
        querystring: z.object({ k: z.coerce.number().int().min(1).max(3).default(1), maxElements: MaxElements }),
        response: { 200: MapResponse, ...errors },
      },
    },
    async (req) => (await map.focus(req.params.assetId, req.query.k, req.query.maxElements)) as MapBody,
  );

  app.get(
    '/map/flows',
    {
      config: { role: 'viewer' },
      serializerCompiler: leanSerializer,
      schema: {
        tags: ['map'],
        summary: 'The ePHI flow view: flow endpoints (assets, vendors) and one edge per flow',
        querystring: z.object({ maxElements: MaxElements }),
        response: { 200: MapResponse, ...errors },
      },
    },
    async (req) => (await map.flows(req.query.maxElements)) as MapBody,
  );
};
export default route;
