import fp from 'fastify-plugin';
import rateLimit from '@fastify/rate-limit';

/**
 * Rate limits are opt-in per route (login sets its own); unknown routes are limited in the
 * not-found handler so path probing is slowed down.
 */
export default fp(
  async (app) => {
    await app.register(rateLimit, { global: false });
  },
  { name: 'rate-limit' },
);
