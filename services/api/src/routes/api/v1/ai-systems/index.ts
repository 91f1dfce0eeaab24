import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { AI_BAA_STATUS, AI_HOSTING, AI_RISK_TIERS, AiSystemRepository, YES_NO_UNKNOWN } from '../../../../../../core/src/graph/ai-system-repository.js';
import { errors } from '../../../../schemas.js';
import { auditRecord } from '../suggestions/index.js';
import { IsoDate } from '../vendors/index.js';

const text = (max: number) => z.string().trim().min(1).max(max);
// A calendar date YYYY-MM-DD (format: date in OpenAPI, so a client that follows the document is never refused).
const day = IsoDate;

export const AiFieldsBody = z
  .object({
    provider: text(200).optional(),
    model: text(200).optional(),
    modelVersion: text(100).optional(),
    hosting: z.enum(AI_HOSTING).optional(),
    intendedUse: text(2000).optional(),
    ephiInPrompts: z.enum(YES_NO_UNKNOWN).optional(),
    ephiInOutputs: z.enum(YES_NO_UNKNOWN).optional(),
    vendorTrainsOnData: z.enum(YES_NO_UNKNOWN).optional(),
    retention: text(200).optional(),
    baaStatus: z.enum(AI_BAA_STATUS).optional(),
    baaTier: text(200).optional(),
    humanInTheLoop: z.enum(YES_NO_UNKNOWN).optional(),
    riskTier: z.enum(AI_RISK_TIERS).optional(),
    owner: text(200).optional(),
    lastReviewed: day.optional(),
  })
  .strict();

const nullable = z.string().nullable();
export const AiSystemSchema = z.object({
  subjectType: z.enum(['asset', 'vendor']),
  id: z.string(),
  name: z.string(),
  kind: z.string().nullable(),
  ephiRole: z.string().nullable(),
  ips: z.array(z.string()),
  touchesEphi: z.boolean(),
  source: z.string(),
  demo: z.boolean(),
  provider: nullable,
  model: nullable,
  modelVersion: nullable,
  hosting: nullable,
  intendedUse: nullable,
  ephiInPrompts: nullable,
  ephiInOutputs: nullable,
  vendorTrainsOnData: nullable,
  retention: nullable,
  baaStatus: nullable,
  baaTier: nullable,
  humanInTheLoop: nullable,
  riskTier: nullable,
  owner: nullable,
  lastReviewed: nullable,
});

const Params = z.object({ assetId: z.string().min(1).max(64) });

const route: FastifyPluginAsyncZod = async (app) => {
  const repo = new AiSystemRepository(app.graph);

  app.get(
    '/ai-systems',
    {
      config: { role: 'viewer' },
      schema: {
        tags: ['ai-systems'],
        summary: 'AI systems: tagged assets and vendor AI services',
        querystring: z.object({ touchesEphi: z.enum(['true', 'false']).transform((v) => v === 'true').optional() }),
        response: { 200: z.object({ items: z.array(AiSystemSchema) }), ...errors },
      },
    },
    async (req) => ({ items: await repo.list({ touchesEphi: req.query.touchesEphi }) }),
  );

  app.get(
    '/ai-systems/:assetId',
    { config: { role: 'viewer' }, schema: { tags: ['ai-systems'], summary: 'The AI fields of one asset', params: Params, response: { 200: AiSystemSchema, ...errors } } },
    async (req) => {
      const v = await repo.getAsset(req.params.assetId);
      return v!;
    },
  );

  app.put(
    '/ai-systems/:assetId',
    {
      config: { role: 'security' },
      schema: {
        tags: ['ai-systems'],
        summary: 'Tag an asset as an AI system and set its AI fields (asserted; replaces the previous values)',
        params: Params,
        body: AiFieldsBody,
        response: { 200: AiSystemSchema, ...errors },
      },
    },
    async (req) => {
      const { before, after } = await repo.tag(req.params.assetId, req.body, req.principal?.name ?? 'unknown');
      auditRecord(app, req, { action: 'ai-system.tag', target: `asset:${req.params.assetId}`, before, after });
      return after;
    },
  );

  app.delete(
    '/ai-systems/:assetId',
    {
      config: { role: 'security' },
      schema: { tags: ['ai-systems'], summary: 'Remove the AI-system tag and fields of an asset', params: Params, response: { 200: AiSystemSchema, ...errors } },
    },
    async (req) => {
      const before = await repo.untag(req.params.assetId, req.principal?.name ?? 'unknown');
      auditRecord(app, req, { action: 'ai-system.untag', target: `asset:${req.params.assetId}`, before });
      return before;
    },
  );
};
export default route;
