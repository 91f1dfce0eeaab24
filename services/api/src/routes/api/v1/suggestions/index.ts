import type { FastifyInstance, FastifyRequest } from 'fastify';
import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { SUGGESTION_STATES, SuggestionRepository } from '../../../../../../core/src/graph/suggestion-repository.js';
import { errors } from '../../../../schemas.js';

export const SuggestionSchema = z.object({
  id: z.string(),
  type: z.enum(['ai-system', 'ephi-role']),
  state: z.enum(SUGGESTION_STATES),
  assetId: z.string(),
  assetName: z.string().nullable(),
  ruleId: z.string(),
  ruleVersion: z.string(),
  title: z.string(),
  value: z.record(z.string(), z.string()),
  confidence: z.number(),
  evidence: z.array(z.string()),
  createdAt: z.string().nullable(),
  updatedAt: z.string().nullable(),
  decidedAt: z.string().nullable(),
  decidedBy: z.string().nullable(),
  reason: z.string().nullable(),
});

const Params = z.object({ id: z.string().min(1).max(64) });

/** Adds detail to the audit entry of this request when the audit plugin is registered. */
export function auditRecord(app: FastifyInstance, req: FastifyRequest, d: { action: string; target?: string; before?: unknown; after?: unknown; detail?: unknown }): void {
  (app as unknown as { audit?: { record(r: FastifyRequest, x: typeof d): void } }).audit?.record(req, d);
}

const route: FastifyPluginAsyncZod = async (app) => {
  const repo = new SuggestionRepository(app.graph);
  const who = (req: FastifyRequest) => req.principal?.name ?? req.principal?.id ?? 'unknown';

  app.get(
    '/suggestions',
    {
      config: { role: 'viewer' },
      schema: {
        tags: ['classification'],
        summary: 'Suggested ePHI roles and AI systems with evidence, to confirm or dismiss',
        querystring: z.object({
          state: z.enum(SUGGESTION_STATES).optional(),
          type: z.enum(['ai-system', 'ephi-role']).optional(),
          assetId: z.string().min(1).max(64).optional(),
          limit: z.coerce.number().int().min(1).max(500).default(100),
          offset: z.coerce.number().int().min(0).max(1_000_000).default(0),
        }),
        response: { 200: z.object({ items: z.array(SuggestionSchema), total: z.number() }), ...errors },
      },
    },
    async (req) => repo.list(req.query),
  );

  app.get(
    '/suggestions/:id',
    { config: { role: 'viewer' }, schema: { tags: ['classification'], summary: 'One suggestion', params: Params, response: { 200: SuggestionSchema, ...errors } } },
    async (req) => repo.get(req.params.id),
  );

  app.post(
    '/suggestions/evaluate',
    {
      config: { role: 'security' },
      schema: {
        tags: ['classification'],
        summary: 'Re-evaluate suggestions and shadow-AI alerts now (queued; also runs after every import)',
        body: z.object({ assetIds: z.array(z.string().min(1).max(64)).max(1000).optional() }).strict().optional(),
        response: { 202: z.object({ jobId: z.string() }), ...errors },
      },
    },
    async (req, reply) => {
      const jobId = app.queues.newJobId('classification', `eval-${Date.now()}`);
      await app.queues.add('classification', 'evaluate', { kind: 'evaluate', assetIds: req.body?.assetIds, trigger: 'api' }, { jobId });
      return reply.code(202).send({ jobId });
    },
  );

  app.post(
    '/suggestions/:id/confirm',
    {
      config: { role: 'security' },
      schema: {
        tags: ['classification'],
        summary: 'Confirm: the suggested value becomes the asserted value of the asset',
        params: Params,
        response: { 200: z.object({ suggestion: SuggestionSchema, before: z.record(z.string(), z.unknown()), after: z.record(z.string(), z.unknown()) }), ...errors },
      },
    },
    async (req) => {
      const res = await repo.confirm(req.params.id, who(req));
      auditRecord(app, req, { action: 'suggestion.confirm', target: `asset:${res.suggestion.assetId}`, before: res.before, after: res.after, detail: { suggestionId: res.suggestion.id, ruleId: res.suggestion.ruleId } });
      return res;
    },
  );

  app.post(
    '/suggestions/:id/dismiss',
    {
      config: { role: 'security' },
      schema: {
        tags: ['classification'],
        summary: 'Dismiss: stays dismissed when the evidence is seen again',
        params: Params,
        body: z.object({ reason: z.string().max(1000).optional() }).strict().optional(),
        response: { 200: SuggestionSchema, ...errors },
      },
    },
    async (req) => {
      const s = await repo.dismiss(req.params.id, who(req), req.body?.reason ?? null);
      auditRecord(app, req, { action: 'suggestion.dismiss', target: `asset:${s.assetId}`, detail: { suggestionId: s.id, reason: s.reason } });
      return s;
    },
  );
};
export default route;
