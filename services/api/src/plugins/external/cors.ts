import fp from 'fastify-plugin';
import cors from '@fastify/cors';

/**
 * CORS is off unless ATLAS_CORS_ORIGIN names the one origin allowed (for example a separately
 * hosted UI); without it browsers refuse cross-origin reads of the API.
 */
export default fp(
  async (app, opts: { origin?: string }) => {
    if (!opts.origin) return;
    await app.register(cors, { origin: opts.origin, credentials: true, methods: ['GET', 'POST', 'PATCH', 'PUT', 'DELETE'], maxAge: 600 });
  },
  { name: 'cors' },
);
