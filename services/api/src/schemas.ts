import { z } from 'zod';

/** Shared response schemas. Every route declares every status it can answer with. */
export const ErrorSchema = z
  .object({
    error: z.object({ code: z.string(), message: z.string(), details: z.unknown().optional() }),
  })
  .describe('Error');

export const errors = {
  400: ErrorSchema,
  401: ErrorSchema,
  403: ErrorSchema,
  404: ErrorSchema,
  409: ErrorSchema,
  413: ErrorSchema,
  415: ErrorSchema,
  429: ErrorSchema,
  500: ErrorSchema,
  503: ErrorSchema,
};

export const Iso = z.string().describe('ISO-8601 UTC time');

/** A file body that is not JSON (CSV, XLSX, GraphML, server-sent events): documented as a string; binary ones as format binary. */
export const TextFile = (what: string) => z.string().meta({ description: what });
export const BinaryFile = (what: string) => z.string().meta({ format: 'binary', description: what });

/**
 * A 200 that is sent in one or more content types, documented per content type so the OpenAPI
 * document names exactly what the route sends (charset parameters aside). Error statuses stay
 * application/json (spread `errors` next to it).
 */
export function contentTypes<T extends Record<string, z.ZodType>>(byType: T, description: string) {
  return {
    description,
    content: Object.fromEntries(Object.entries(byType).map(([type, schema]) => [type, { schema }])) as { [K in keyof T]: { schema: T[K] } },
  };
}
