import fp from 'fastify-plugin';
import swagger from '@fastify/swagger';
import swaggerUi from '@fastify/swagger-ui';
import { jsonSchemaTransform } from 'fastify-type-provider-zod';

/** OpenAPI 3 generated from the zod route schemas; served at /api/v1/openapi.json, UI at /docs. */
export default fp(
  async (app) => {
    await app.register(swagger, {
      openapi: {
        openapi: '3.0.3',
        info: {
          title: 'ePHI Atlas API',
          version: '1.0.0',
          description: 'Technology-asset inventory and ePHI network map. Errors are {"error":{"code","message","details"?}}.',
        },
        servers: [{ url: '/' }],
        components: {
          securitySchemes: {
            bearer: { type: 'http', scheme: 'bearer', description: 'API token (npm run atlas -- token create)' },
            session: { type: 'apiKey', in: 'cookie', name: 'atlas_session' },
          },
        },
        security: [{ bearer: [] }, { session: [] }],
      },
      // Public routes (health, sign-in, the docs) need no credentials: say so per operation.
      transform: (doc) => {
        const out = jsonSchemaTransform(doc);
        const role = (doc.route?.config as { role?: string } | undefined)?.role;
        return role === 'public' && out.schema && !out.schema.hide ? { ...out, schema: { ...out.schema, security: [] } } : out;
      },
      // A 204 has no body; zod's z.null() would otherwise document one as application/json.
      transformObject: (doc) => withoutNoContentBodies((doc as unknown as { openapiObject: Record<string, unknown> }).openapiObject),
    });
    await app.register(swaggerUi, { routePrefix: '/docs', staticCSP: true });
    app.get('/api/v1/openapi.json', { schema: { hide: true }, config: { role: 'public' } }, async () => app.swagger());
  },
  { name: 'swagger' },
);

function withoutNoContentBodies<T extends Record<string, unknown>>(doc: T): T {
  const paths = (doc.paths ?? {}) as Record<string, Record<string, { responses?: Record<string, { content?: unknown }> }>>;
  for (const ops of Object.values(paths)) for (const op of Object.values(ops)) if (op?.responses?.['204']) delete op.responses['204'].content;
  return doc;
}
