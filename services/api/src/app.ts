import { fileURLToPath } from 'node:url';
import type { FastifyInstance, FastifyPluginAsync } from 'fastify';
import fp from 'fastify-plugin';
import { serializerCompiler, validatorCompiler } from 'fastify-type-provider-zod';
import swagger from './plugins/external/swagger.js';
import helmet from './plugins/external/helmet.js';
import cookie from './plugins/external/cookie.js';
import rateLimit from './plugins/external/rate-limit.js';
import cors from './plugins/external/cors.js';
import staticFiles from './plugins/external/static.js';
import errorHandler from './plugins/app/error-handler.js';
import services, { type AtlasDeps } from './plugins/app/services.js';
import auth from './plugins/app/auth.js';
import audit from './plugins/app/audit.js';
import { loadRouteModules } from './routes/load-routes.js';

export interface AppOptions extends AtlasDeps {
  webRoot?: string;
}

export const API_PREFIX = '/api/v1';
export const DEFAULT_WEB_ROOT = fileURLToPath(new URL('../../../web/dist', import.meta.url));

/** The whole application as a plugin. It never listens: server.ts and the tests decide that. */
const app: FastifyPluginAsync<AppOptions> = async (instance, opts) => {
  const fastify = instance as FastifyInstance;
  fastify.setValidatorCompiler(validatorCompiler);
  fastify.setSerializerCompiler(serializerCompiler);

  await fastify.register(helmet, { tls: Boolean(opts.config.ATLAS_TLS_CERT) });
  await fastify.register(cors, { origin: opts.config.ATLAS_CORS_ORIGIN });
  await fastify.register(cookie);
  await fastify.register(rateLimit);
  await fastify.register(swagger);
  await fastify.register(errorHandler);
  await fastify.register(services, { config: opts.config, graph: opts.graph, queues: opts.queues });
  await fastify.register(auth);
  await fastify.register((await import('./plugins/external/metrics.js')).default);
  await fastify.register(audit);

  const routes = await loadRouteModules();
  await fastify.register(
    async (api) => {
      for (const r of routes) await api.register(r.plugin);
    },
    { prefix: API_PREFIX },
  );

  await fastify.register(staticFiles, { root: opts.webRoot ?? DEFAULT_WEB_ROOT });
};

export default fp(app, { name: 'ephi-atlas' });
