import { readFileSync } from 'node:fs';
import Fastify, { type FastifyInstance } from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import app, { type AppOptions } from './app.js';

/** The production logger: secrets in headers and bodies are redacted before anything is written. */
export function loggerOptions(config: AppOptions['config']) {
  return {
    level: config.ATLAS_LOG_LEVEL,
    redact: {
      paths: [
        'req.headers.authorization',
        'req.headers.cookie',
        'res.headers["set-cookie"]',
        '*.password',
        '*.currentPassword',
        '*.newPassword',
        '*.token',
        '*.code',
        '*.recoveryCode',
        '*.recoveryCodes',
        '*.secret',
      ],
      censor: '[redacted]',
    },
  };
}

/**
 * Room for the longest URL the OpenAPI document allows (e.g. a 4,000-character `mapping` of
 * non-ASCII text is up to 48 KB percent-encoded), so such a request reaches its route and gets the
 * route's 400 instead of Node's bare 431 (Node's default limit is 16 KB).
 */
const MAX_HEADER_BYTES = 64 * 1024;

/**
 * Builds a ready Fastify instance with explicit timeouts. It never binds a port: the runtime does;
 * the process-level shutdown (close-with-grace) lives in the runtime that owns every service.
 * `logStream` sends the production logger's output to a stream (tests capture it to prove that
 * no secret is ever logged); `logger` replaces the logger entirely.
 */
export async function buildServer(opts: AppOptions & { logger?: boolean | object; logStream?: NodeJS.WritableStream }): Promise<FastifyInstance> {
  const tls = opts.config.ATLAS_TLS_CERT && opts.config.ATLAS_TLS_KEY
    ? { key: readFileSync(opts.config.ATLAS_TLS_KEY), cert: readFileSync(opts.config.ATLAS_TLS_CERT), maxHeaderSize: MAX_HEADER_BYTES }
    : null;
  const server = Fastify({
    logger: opts.logStream ? { ...loggerOptions(opts.config), stream: opts.logStream } : (opts.logger ?? loggerOptions(opts.config)),
    ...(tls ? { https: tls } : { http: { maxHeaderSize: MAX_HEADER_BYTES } }),
    connectionTimeout: 60_000,
    requestTimeout: 600_000,
    keepAliveTimeout: 10_000,
    bodyLimit: 1024 * 1024,
    trustProxy: false,
    return503OnClosing: true,
    // Long ids are the route's validation to refuse (a 400 in our error model), not the router's 414.
    routerOptions: { maxParamLength: 1_000 },
    // Route modules are compiled on first load; on a busy 2-core machine that can pass fastify's 10 s default.
    pluginTimeout: 120_000,
    // Errors raised before routing (bad URL encoding, over-long parameters) use the same error body.
    frameworkErrors: (err, _req, reply) => {
      const status = (err as { statusCode?: number }).statusCode ?? 400;
      const r = reply as unknown as { code(n: number): { send(b: unknown): unknown } };
      void r.code(status >= 400 && status < 500 ? status : 400).send({ error: { code: 'BAD_REQUEST', message: err.message } });
    },
  }).withTypeProvider<ZodTypeProvider>();
  await server.register(app, opts);
  await server.ready();
  return server;
}
