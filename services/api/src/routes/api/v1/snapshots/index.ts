import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { SnapshotRepository } from '../../../../../../core/src/graph/snapshot-repository.js';
import { upsertClassificationSchedules } from '../../../../../../discovery/src/workers/classification-worker.js';
import { errors } from '../../../../schemas.js';
import { auditRecord } from '../suggestions/index.js';

const MetaSchema = z.object({
  id: z.string(),
  takenAt: z.string(),
  trigger: z.enum(['on-demand', 'scheduled']),
  takenBy: z.string(),
  sha256: z.string(),
  bytes: z.number(),
  file: z.string(),
  assets: z.number(),
  flows: z.number(),
  gaps: z.number(),
  note: z.string().nullable(),
});

const Change = z.object({ field: z.string(), from: z.unknown(), to: z.unknown() });
const DiffSchema = z.object({
  from: z.string(),
  to: z.string(),
  assets: z.object({
    added: z.array(z.record(z.string(), z.unknown())),
    removed: z.array(z.record(z.string(), z.unknown())),
    changed: z.array(z.object({ id: z.string(), name: z.unknown(), changes: z.array(Change) })),
  }),
  flows: z.object({
    added: z.array(z.record(z.string(), z.unknown())),
    removed: z.array(z.record(z.string(), z.unknown())),
    changed: z.array(z.object({ id: z.string(), changes: z.array(Change) })),
  }),
  gaps: z.object({ opened: z.array(z.object({ id: z.string(), gap: z.string() })), closed: z.array(z.object({ id: z.string(), gap: z.string() })) }),
});

const SnapId = z.string().regex(/^snap-[0-9a-z]+-[0-9a-f]{6}$/, 'a snapshot id');

const route: FastifyPluginAsyncZod = async (app) => {
  const repo = new SnapshotRepository(app.graph, app.config.ATLAS_DATA_DIR);
  // The scheduled snapshot, review sweep and re-evaluation are upserted here, once the app is ready.
  // Not awaited: with Redis down at start the upsert would wait for it and time out fastify's
  // onReady; the API must come up and answer 503 instead.
  app.addHook('onReady', async () => {
    void upsertClassificationSchedules(app.queues).catch((err: unknown) => app.log.warn({ err }, 'could not upsert the classification schedules'));
  });

  app.post(
    '/snapshots',
    {
      config: { role: 'analyst' },
      schema: {
        tags: ['compliance'],
        summary: 'Take a dated, immutable evidence snapshot (inventory + map + gaps)',
        body: z.object({ note: z.string().trim().max(1000).optional() }).strict().optional(),
        response: { 201: MetaSchema, ...errors },
      },
    },
    async (req, reply) => {
      const meta = await repo.take({ trigger: 'on-demand', takenBy: req.principal?.name ?? 'unknown', note: req.body?.note ?? null });
      auditRecord(app, req, { action: 'snapshot.take', target: `snapshot:${meta.id}`, after: { sha256: meta.sha256, assets: meta.assets } });
      return reply.code(201).send(meta);
    },
  );

  app.get(
    '/snapshots',
    {
      config: { role: 'analyst' },
      schema: {
        tags: ['compliance'],
        summary: 'Evidence snapshots, newest first',
        querystring: z.object({ limit: z.coerce.number().int().min(1).max(500).default(100) }),
        response: { 200: z.object({ items: z.array(MetaSchema) }), ...errors },
      },
    },
    async (req) => ({ items: await repo.list(req.query.limit) }),
  );

  app.get(
    '/snapshots/diff',
    {
      config: { role: 'analyst' },
      schema: {
        tags: ['compliance'],
        summary: 'What changed between two snapshots: assets added/removed/changed (field level), flows, gaps',
        querystring: z.object({ from: SnapId, to: SnapId }),
        response: { 200: DiffSchema, ...errors },
      },
    },
    async (req) => repo.diff(req.query.from, req.query.to),
  );

  app.get(
    '/snapshots/:id',
    {
      config: { role: 'analyst' },
      schema: {
        tags: ['compliance'],
        summary: 'One snapshot; with content=true the verified evidence itself',
        params: z.object({ id: SnapId }),
        querystring: z.object({ content: z.enum(['true', 'false']).transform((v) => v === 'true').default(false) }),
        response: { 200: MetaSchema.extend({ content: z.record(z.string(), z.unknown()).optional() }), ...errors },
      },
    },
    async (req) => {
      if (!req.query.content) return repo.meta(req.params.id);
      const { meta, content } = await repo.read(req.params.id);
      return { ...meta, content: content as unknown as Record<string, unknown> };
    },
  );
};
export default route;
