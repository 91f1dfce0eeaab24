import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { ASSET_KINDS, EPHI_ROLES, TRI_STATE } from '../../../../../../../graph-schema/src/schema.js';
import { IdentityRepository } from '../../../../../../core/src/graph/identity-repository.js';
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

const Change = z.object({
  id: z.string(),
  type: z.string(),
  assetId: z.string(),
  at: z.string(),
  summary: z.string().nullable(),
  detail: z.unknown(),
  runId: z.string().nullable(),
  sourceId: z.string().nullable(),
  by: z.string().nullable(),
});
export { Change as ChangeSchema };

const AssetDetail = AssetSummarySchema.extend({
  retired: z.boolean(),
  mergedInto: z.string().nullable(),
  mergedFrom: z.array(z.string()),
  splitFrom: z.string().nullable(),
  observed: z.record(z.string(), z.unknown()).describe('what discovery saw (never edited by people)'),
  asserted: z.record(z.string(), z.unknown()).describe('what people asserted (never overwritten by discovery)'),
  effective: z.record(z.string(), z.unknown()).describe('asserted value where there is one, else observed, else unknown'),
  owner: z.object({ id: z.string(), name: z.string().nullable(), email: z.string().nullable() }).nullable(),
  site: z.object({ id: z.string(), name: z.string().nullable() }).nullable(),
  vendor: z.object({ id: z.string(), name: z.string().nullable() }).nullable(),
  services: z.array(
    z.object({
      key: z.string(),
      protocol: z.string().nullable(),
      port: z.number().nullable(),
      state: z.string().nullable(),
      reason: z.string().nullable(),
      name: z.string().nullable(),
      product: z.string().nullable(),
      version: z.string().nullable(),
      extrainfo: z.string().nullable(),
      devicetype: z.string().nullable(),
      cpe: z.array(z.string()),
      scripts: z.array(z.object({ id: z.string(), output: z.string(), elements: z.unknown().optional() })),
      firstSeen: z.string().nullable(),
      lastSeen: z.string().nullable(),
    }),
  ),
  interfaces: z.array(
    z.object({
      key: z.string(),
      ip: z.string().nullable(),
      family: z.string().nullable(),
      mac: z.string().nullable(),
      macKind: z.string().nullable(),
      macVendor: z.string().nullable(),
      subnet: z.string().nullable(),
      firstSeen: z.string().nullable(),
      lastSeen: z.string().nullable(),
    }),
  ),
  provenance: z.array(z.object({ sourceId: z.string(), sourceName: z.string().nullable(), firstSeen: z.string().nullable(), lastSeen: z.string().nullable(), lastRunId: z.string().nullable() })),
  lastRunId: z.string().nullable(),
  changes: z.array(Change),
  conflicts: z.array(z.object({ id: z.string(), state: z.string(), assetIds: z.array(z.string()), detectedAt: z.string().nullable() })),
});

const text = (max: number) => z.string().trim().max(max).nullable();
const AssetPatch = z
  .object({
    name: text(200),
    kind: z.enum(ASSET_KINDS).nullable(),
    ephiRole: z.enum(EPHI_ROLES).nullable(),
    encryptionAtRest: z.enum(TRI_STATE).nullable(),
    encryptionInTransit: z.enum(TRI_STATE).nullable(),
    mfa: z.enum(TRI_STATE).nullable(),
    criticality: z.enum(['low', 'medium', 'high', 'critical']).nullable(),
    notes: text(4000),
    assetTag: text(128),
    serial: text(128),
    cloudId: text(256),
    version: text(128),
    vendorModel: text(200),
    isAi: z.boolean().nullable(),
    ownerId: z.string().min(1).max(64).nullable(),
    siteId: z.string().min(1).max(64).nullable(),
    vendorId: z.string().min(1).max(64).nullable(),
  })
  .partial()
  .strict()
  .refine((o) => Object.keys(o).length > 0, { message: 'the body must set at least one field' })
  .meta({ minProperties: 1, description: 'Asserted facts; null clears an assertion. At least one field; unknown fields are refused.' });

const Conflict = z.object({
  id: z.string(),
  state: z.string(),
  detectedAt: z.string().nullable(),
  assetIds: z.array(z.string()),
  chosenAssetId: z.string().nullable(),
  keys: z.unknown(),
  observed: z.unknown(),
  runId: z.string().nullable(),
  resolution: z.string().nullable(),
});

const IdParams = z.object({ id: z.string().min(1).max(64) });

const AssetPageSchema = z.object({ items: z.array(AssetSummarySchema), nextCursor: z.string().nullable() });
const pageJson = new WeakMap<object, string>();

const route: FastifyPluginAsyncZod = async (app) => {
  app.get(
    '/assets',
    {
      config: { role: 'viewer' },
      schema: {
        tags: ['assets'],
        summary: 'Search and filter the inventory (cursor paging)',
        description: '`cursor` is opaque: only a `nextCursor` this API returned is valid; any other value is a 400 INVALID_CURSOR (details.field = cursor).',
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
        response: { 200: AssetPageSchema, ...errors },
      },
    },
    async (req, reply) => {
      // A cached page is the same frozen object for every request until the inventory changes:
      // validate and serialise it once, then send the stored JSON.
      const page = await app.repos.assets.list(req.query);
      let json = pageJson.get(page);
      if (json === undefined) {
        json = JSON.stringify(AssetPageSchema.parse(page));
        pageJson.set(page, json);
      }
      return reply.type('application/json; charset=utf-8').send(json as never);
    },
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

  app.patch(
    '/assets/:id',
    {
      config: { role: 'security' },
      schema: {
        tags: ['assets'],
        summary: 'Assert facts about an asset (owner, location, ePHI role, encryption, MFA, …); discovery never overwrites them',
        params: IdParams,
        body: AssetPatch,
        response: { 200: AssetDetail, ...errors },
      },
    },
    async (req) => app.repos.assets.patch(req.params.id, req.body, req.principal?.name ?? 'unknown'),
  );

  const identity = new IdentityRepository(app.graph);

  app.post(
    '/assets/:id/merge',
    {
      config: { role: 'security' },
      schema: {
        tags: ['assets'],
        summary: 'Merge another asset into this one; the other is retired (kept, with MERGED_INTO)',
        description: '`otherId` must differ from the path `id` (an asset cannot be merged into itself): otherwise a 400 SAME_ASSET naming otherId.',
        params: IdParams,
        body: z.object({ otherId: z.string().min(1).max(64) }).strict(),
        response: { 200: z.object({ survivorId: z.string(), retiredId: z.string(), interfaces: z.number(), services: z.number() }), ...errors },
      },
    },
    async (req) => identity.merge(req.params.id, req.body.otherId, req.principal?.name ?? 'unknown'),
  );

  app.post(
    '/assets/:id/split',
    {
      config: { role: 'security' },
      schema: {
        tags: ['assets'],
        summary: 'Move interfaces off this asset into a new asset (SPLIT_FROM keeps the history)',
        description: 'Every key in `interfaceKeys` must be an interface of this asset (see GET /assets/{id}): otherwise a 400 UNKNOWN_INTERFACE naming interfaceKeys and the unknown keys.',
        params: IdParams,
        body: z.object({ interfaceKeys: z.array(z.string().min(1).max(300)).min(1).max(1000) }).strict(),
        response: { 201: z.object({ originalId: z.string(), newId: z.string(), interfaces: z.array(z.string()) }), ...errors },
      },
    },
    async (req, reply) => reply.code(201).send(await identity.split(req.params.id, req.body.interfaceKeys, req.principal?.name ?? 'unknown')),
  );

  app.get(
    '/assets/conflicts',
    {
      config: { role: 'viewer' },
      schema: {
        tags: ['assets'],
        summary: 'Identity conflicts: one observation whose strong keys named different assets',
        querystring: z.object({ state: z.enum(['open', 'resolved']).optional(), limit: z.coerce.number().int().min(1).max(500).default(100) }),
        response: { 200: z.object({ items: z.array(Conflict) }), ...errors },
      },
    },
    async (req) => ({ items: await identity.conflicts(req.query.state, req.query.limit) }),
  );

  app.post(
    '/assets/conflicts/:id/dismiss',
    {
      config: { role: 'security' },
      schema: { tags: ['assets'], summary: 'Close a conflict without merging', params: z.object({ id: z.string().min(1).max(64) }), response: { 204: z.null(), ...errors } },
    },
    async (req, reply) => {
      await identity.dismissConflict(req.params.id, req.principal?.name ?? 'unknown');
      return reply.code(204).send(null);
    },
  );
};
export default route;
