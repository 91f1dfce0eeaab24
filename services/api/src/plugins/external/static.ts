import fp from 'fastify-plugin';
import fastifyStatic from '@fastify/static';
import { existsSync } from 'node:fs';

/** Serves the built UI (web/dist) at /. */
export default fp(
  async (app, opts: { root: string }) => {
    if (!existsSync(opts.root)) {
      app.log.warn({ root: opts.root }, 'UI bundle not built; only the API is served');
      return;
    }
    await app.register(fastifyStatic, { root: opts.root, prefix: '/', wildcard: false, index: ['index.html'] });
  },
  { name: 'static' },
);
