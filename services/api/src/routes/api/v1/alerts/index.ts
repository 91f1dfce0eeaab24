import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { ALERT_STATES, ALERT_TYPES, getAlert, listAlerts, transitionAlert } from '../../../../../../core/src/graph/alert-repository.js';
import { ensureMaintenanceSchedules } from '../../../../../../discovery/src/scan/scan-scheduler.js';
import { alertNotifier } from '../../../../../../discovery/src/workers/index.js';
import { errors, Iso } from '../../../../schemas.js';

const HistoryEntry = z.object({ at: Iso, action: z.string(), by: z.string(), note: z.string().optional() });
const AlertSchema = z.object({
  id: z.string(),
  type: z.string(),
  dedupeKey: z.string(),
  severity: z.string(),
  state: z.enum(ALERT_STATES),
  message: z.string(),
  assetId: z.string().nullable(),
  evidence: z.record(z.string(), z.unknown()).nullable(),
  occurrences: z.number(),
  openedAt: Iso,
  updatedAt: Iso,
  resolvedAt: Iso.nullable(),
  history: z.array(HistoryEntry),
});
const Params = z.object({ id: z.string().min(1).max(64) });
const NoteBody = z.object({ note: z.string().max(2000).optional() }).strict().nullish();

const route: FastifyPluginAsyncZod = async (app) => {
  const notifier = alertNotifier(app.graph, app.queues, app.config);
  // The one place the repeating sweep is upserted (see services/discovery/DESIGN.md). Not awaited:
  // with Redis down at start the API must still start; the upsert waits in the client's offline
  // queue and lands when Redis is back.
  app.addHook('onReady', async () => {
    void ensureMaintenanceSchedules(app.queues, app.config.ATLAS_STALENESS_SWEEP_SECONDS).catch((err: Error) => app.log.warn({ err }, 'could not upsert the staleness sweep schedule'));
  });

  app.get('/alerts', {
    config: { role: 'viewer' },
    schema: {
      tags: ['alerts'],
      summary: 'Alerts, newest change first',
      querystring: z.object({
        state: z.enum(ALERT_STATES).optional(),
        type: z.enum(ALERT_TYPES).optional(),
        assetId: z.string().max(64).optional(),
        limit: z.coerce.number().int().min(1).max(500).default(100),
      }),
      response: { 200: z.object({ items: z.array(AlertSchema) }), ...errors },
    },
  }, async (req) => ({ items: await listAlerts(app.graph, req.query) }));

  app.get('/alerts/:id', {
    config: { role: 'viewer' },
    schema: { tags: ['alerts'], summary: 'One alert with its history', params: Params, response: { 200: AlertSchema, ...errors } },
  }, async (req) => getAlert(app.graph, req.params.id));

  app.get('/alerts/:id/history', {
    config: { role: 'viewer' },
    schema: { tags: ['alerts'], summary: 'The state changes of one alert, oldest first', params: Params, response: { 200: z.object({ items: z.array(HistoryEntry) }), ...errors } },
  }, async (req) => ({ items: (await getAlert(app.graph, req.params.id)).history }));

  for (const [action, to] of [['acknowledge', 'acknowledged'], ['resolve', 'resolved']] as const) {
    app.post(`/alerts/:id/${action}`, {
      config: { role: 'security' },
      schema: { tags: ['alerts'], summary: `${action === 'resolve' ? 'Resolve' : 'Acknowledge'} an alert (409 if already resolved)`, params: Params, body: NoteBody, response: { 200: AlertSchema, ...errors } },
    }, async (req) => {
      const a = await transitionAlert(app.graph, req.params.id, to, req.principal?.name ?? 'unknown', req.body?.note);
      await notifier.deliver(a, to);
      return a;
    });
  }

  app.post('/alerts/sweep', {
    config: { role: 'admin' },
    schema: { tags: ['alerts'], summary: 'Run the staleness sweep now', response: { 202: z.object({ jobId: z.string() }), ...errors } },
  }, async (_req, reply) => {
    const jobId = await app.queues.add('maintenance', 'staleness-sweep', {}, { jobId: app.queues.newJobId('maintenance', `sweep-${Date.now().toString(36)}`), attempts: 1 });
    return reply.code(202).send({ jobId });
  });
};
export default route;
