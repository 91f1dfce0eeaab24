import type { FastifyRouteSchemaDef } from 'fastify/types/schema.js';
import { serializerCompiler } from 'fastify-type-provider-zod';
import type { ZodType } from 'zod';

/**
 * Serialiser for the large graph answers (map views, reach): a 200 is written with JSON.stringify
 * without re-validating it against its zod schema, which cost more than the query itself on a
 * 1,000-element view (docs/readme-perf-map.md). The repositories build every field of these
 * answers explicitly (map projections in Cypher, literal objects in TypeScript), so nothing
 * unlisted can leak; the zod schema still documents the answer in OpenAPI and is checked by the
 * integration tests. Every other status keeps the validating serialiser.
 */
export function leanSerializer<T>(route: FastifyRouteSchemaDef<T>): (data: unknown) => string {
  if (String(route.httpStatus) === '200') return (data) => JSON.stringify(data);
  return serializerCompiler(route as unknown as FastifyRouteSchemaDef<ZodType>);
}
