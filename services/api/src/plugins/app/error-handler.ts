import fp from 'fastify-plugin';
import type { FastifyError } from 'fastify';
import { hasZodFastifySchemaValidationErrors, isResponseSerializationError } from 'fastify-type-provider-zod';
import { AtlasError } from '../../../../core/src/errors.js';

/**
 * The one error model: {"error":{"code","message","details"?}}. Bad input is a 4xx that names
 * the field; 5xx detail is logged with the request context and never sent to the client.
 */
export function errorBody(code: string, message: string, details?: unknown) {
  return { error: details === undefined ? { code, message } : { code, message, details } };
}

const FASTIFY_CODES: Record<string, string> = {
  FST_ERR_CTP_INVALID_MEDIA_TYPE: 'UNSUPPORTED_MEDIA_TYPE',
  FST_ERR_CTP_BODY_TOO_LARGE: 'BODY_TOO_LARGE',
  FST_ERR_CTP_EMPTY_JSON_BODY: 'EMPTY_BODY',
  FST_ERR_CTP_INVALID_JSON_BODY: 'INVALID_JSON',
  FST_ERR_CTP_INVALID_CONTENT_LENGTH: 'INVALID_CONTENT_LENGTH',
  FST_ERR_VALIDATION: 'VALIDATION_FAILED',
};

export default fp(
  async (app) => {
    app.setErrorHandler((err: FastifyError, req, reply) => {
      if (hasZodFastifySchemaValidationErrors(err)) {
        const details = err.validation.map((v) => ({
          field: [err.validationContext, ...String(v.instancePath).split('/').filter(Boolean)].join('.'),
          message: v.message,
        }));
        const first = details[0];
        return reply.code(400).send(errorBody('VALIDATION_FAILED', first ? `${first.field}: ${first.message}` : 'request is invalid', details));
      }
      if (err instanceof AtlasError) {
        if (err.status >= 500) req.log.error({ err }, err.message);
        return reply.code(err.status).send({ error: err.toJSON() });
      }
      if (isResponseSerializationError(err)) {
        req.log.error({ err, cause: err.cause }, 'response did not match its declared schema');
        return reply.code(500).send(errorBody('INTERNAL', 'internal error'));
      }
      const status = err.statusCode ?? 500;
      if (status >= 400 && status < 500) {
        const code = FASTIFY_CODES[err.code] ?? (status === 429 ? 'RATE_LIMITED' : 'BAD_REQUEST');
        return reply.code(status).send(errorBody(code, err.message));
      }
      req.log.error({ err }, 'unhandled error');
      return reply.code(500).send(errorBody('INTERNAL', 'internal error'));
    });

    // A known path asked with a method it does not have is a 405 naming the methods it has
    // (checked on request, before a body method such as QUERY is refused for its missing Content-Type).
    const known: { re: RegExp; params: number; methods: Set<string> }[] = [];
    app.addHook('onRoute', (r) => {
      if (!r.url.startsWith('/api/')) return;
      const methods = Array.isArray(r.method) ? r.method : [r.method];
      let entry = known.find((k) => k.re.source === pathPattern(r.url).source);
      if (!entry) known.push((entry = { re: pathPattern(r.url), params: (r.url.match(/[:*]/g) ?? []).length, methods: new Set() }));
      for (const m of methods) entry.methods.add(m);
    });
    app.addHook('onRequest', async (req, reply) => {
      if (!req.is404) return;
      const path = req.url.split('?')[0] ?? '';
      const matches = known.filter((k) => k.re.test(path));
      if (matches.length === 0) return;
      const fewest = Math.min(...matches.map((k) => k.params));
      const allow = [...new Set(matches.filter((k) => k.params === fewest).flatMap((k) => [...k.methods]))].sort();
      if (allow.includes(req.method)) return;
      return reply
        .code(405)
        .header('allow', allow.join(', '))
        .send(errorBody('METHOD_NOT_ALLOWED', `${req.method} is not allowed on ${path}; allowed: ${allow.join(', ')}`, { field: 'method', allowed: allow }));
    });

    app.setNotFoundHandler(
      { preHandler: app.rateLimit ? app.rateLimit({ max: 120, timeWindow: '1 minute' }) : undefined },
      (req, reply) => reply.code(404).send(errorBody('NOT_FOUND', `no route ${req.method} ${req.url.split('?')[0]}`)),
    );
  },
  { name: 'error-handler', dependencies: ['rate-limit'] },
);

/** A route URL (`/api/v1/assets/:id`, `/files/*`) as an anchored regular expression over request paths. */
function pathPattern(url: string): RegExp {
  const body = url
    .split('/')
    .map((seg) => (seg.startsWith(':') ? '[^/]+' : seg === '*' ? '.*' : seg.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')))
    .join('/');
  return new RegExp(`^${body}/?$`);
}
