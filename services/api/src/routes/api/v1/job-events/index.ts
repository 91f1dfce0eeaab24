import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { z } from 'zod';
import type { JobView } from '../../../../../../core/src/queue/queues.js';
import { TextFile, contentTypes, errors } from '../../../../schemas.js';

const POLL_MS = 500;
const MAX_STREAM_MS = 6 * 3600 * 1000;

/**
 * Server-sent events for one job: `progress` whenever the progress changes, `state` on each state
 * change, and a final `end` with the job view once it is completed, failed or cancelled.
 * Polls the job (two Redis reads per 500 ms per client) instead of holding a QueueEvents
 * connection per client.
 */
const route: FastifyPluginAsyncZod = async (app) => {
  app.get('/jobs/:id/events', {
    config: { role: 'viewer' },
    schema: {
      tags: ['jobs'],
      summary: 'Live progress of a job as server-sent events (text/event-stream)',
      description: 'Events: `state` {state}, `progress` (the job progress, e.g. {percent, hostsFound, chunk, chunks}), `end` (the final job view). The stream closes after `end`.',
      params: z.object({ id: z.string().min(1).max(128) }),
      response: { 200: contentTypes({ 'text/event-stream': TextFile('server-sent events: state, progress, end') }, 'The event stream; it closes after `end`'), ...errors },
    },
  }, async (req, reply) => {
    let job: JobView = await app.queues.getJob(req.params.id); // 404 before the stream starts
    reply.hijack();
    const res = reply.raw;
    res.writeHead(200, { 'content-type': 'text/event-stream; charset=utf-8', 'cache-control': 'no-cache, no-transform', connection: 'keep-alive', 'x-accel-buffering': 'no' });
    const send = (event: string, data: unknown) => res.write(`event: ${event}\ndata: ${JSON.stringify(data)}\n\n`);
    let closed = false;
    req.raw.on('close', () => {
      closed = true;
    });
    const started = Date.now();
    let lastState = '';
    let lastProgress = '';
    while (!closed && Date.now() - started < MAX_STREAM_MS) {
      if (job.state !== lastState) send('state', { state: job.state });
      lastState = job.state;
      const p = JSON.stringify(job.progress ?? null);
      if (p !== lastProgress) send('progress', job.progress ?? null);
      lastProgress = p;
      if (job.state === 'completed' || job.state === 'failed' || job.state === 'cancelled') {
        send('end', job);
        break;
      }
      await new Promise((r) => setTimeout(r, POLL_MS));
      try {
        job = await app.queues.getJob(req.params.id);
      } catch (err) {
        send('error', { code: (err as { code?: string }).code ?? 'ERROR', message: (err as Error).message });
        // Redis may be briefly away: keep the stream open and try again.
        if ((err as { status?: number }).status !== 503) break;
      }
    }
    res.end();
  });
};
export default route;
