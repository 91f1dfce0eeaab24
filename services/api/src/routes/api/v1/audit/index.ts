import { Readable } from 'node:stream';
import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { stringify } from 'csv-stringify';
import { AUDIT_FIELDS, type AuditEntry } from '../../../../../../core/src/auth/audit-chain.js';
import { TextFile, contentTypes, errors } from '../../../../schemas.js';

const EntrySchema = z.object({
  seq: z.number().int(),
  at: z.string().describe('UTC'),
  actorKind: z.enum(['user', 'token', 'cli', 'system', 'anonymous']),
  actorId: z.string().nullable(),
  actorName: z.string().nullable(),
  actorRole: z.string().nullable(),
  ip: z.string().nullable(),
  action: z.string(),
  method: z.string().nullable(),
  route: z.string().nullable(),
  params: z.string().nullable().describe('JSON'),
  status: z.number().int().nullable(),
  target: z.string().nullable(),
  before: z.string().nullable().describe('JSON'),
  after: z.string().nullable().describe('JSON'),
  detail: z.string().nullable().describe('JSON'),
  prevHash: z.string(),
  hash: z.string(),
});

const VerifySchema = z.object({
  ok: z.boolean(),
  count: z.number().int().describe('entries checked before the first break (all of them when ok)'),
  firstBroken: z.object({ seq: z.number().int(), reason: z.string() }).optional(),
});

const Filters = z.object({
  actor: z.string().min(1).max(128).optional().describe('user name, token name or id'),
  action: z.string().min(1).max(128).optional().describe('prefix, e.g. auth.login or POST'),
  from: z.iso.datetime({ offset: true }).optional().describe('UTC, inclusive'),
  to: z.iso.datetime({ offset: true }).optional().describe('UTC, exclusive'),
  failed: z.enum(['true', 'false']).optional().describe('only entries with status ≥ 400'),
});

function toUtc(s?: string): string | undefined {
  return s === undefined ? undefined : new Date(s).toISOString();
}

/** Spreadsheet programs run cells that start with = + - @ as formulas; an audit export must not. */
function csvSafe(v: unknown): string {
  const s = v === null || v === undefined ? '' : String(v);
  return /^[=+\-@\t\r]/.test(s) ? `'${s}` : s;
}

const route: FastifyPluginAsyncZod = async (app) => {
  app.get(
    '/audit',
    {
      config: { role: 'admin' },
      schema: {
        tags: ['audit'],
        summary: 'Read the audit log, newest first',
        querystring: Filters.extend({
          limit: z.coerce.number().int().min(1).max(500).default(100),
          cursor: z.string().regex(/^\d{1,15}$/, 'a cursor from nextCursor').optional(),
        }),
        response: { 200: z.object({ items: z.array(EntrySchema), nextCursor: z.string().nullable() }), ...errors },
      },
    },
    async (req) => {
      const q = req.query;
      return app.audit.repo.list({
        limit: q.limit,
        beforeSeq: q.cursor === undefined ? undefined : Number(q.cursor),
        actor: q.actor,
        action: q.action,
        from: toUtc(q.from),
        to: toUtc(q.to),
        failedOnly: q.failed === 'true',
      });
    },
  );

  app.get(
    '/audit/verify',
    { config: { role: 'admin' }, schema: { tags: ['audit'], summary: 'Check the hash chain; names the first entry that was changed, removed or re-linked', response: { 200: VerifySchema, ...errors } } },
    async () => app.audit.repo.verify(),
  );

  app.get(
    '/audit/export',
    {
      config: { role: 'admin' },
      schema: {
        tags: ['audit'],
        summary: 'Export the whole audit log (oldest first) as CSV or JSON, with hashes for independent verification',
        querystring: z.object({ format: z.enum(['csv', 'json']).default('json') }),
        response: {
          200: contentTypes(
            { 'application/json': z.array(EntrySchema), 'text/csv': TextFile('format=csv: a header row with the entry fields and hash, one row per entry') },
            'The audit log as an attachment; its Content-Type follows `format` (json is the default)',
          ),
          ...errors,
        },
      },
    },
    async (req, reply) => {
      app.audit.record(req, { action: 'audit.export', detail: { format: req.query.format } });
      const stamp = new Date().toISOString().slice(0, 19).replace(/[:T]/g, '-');
      const entries = app.audit.repo.scan();
      if (req.query.format === 'csv') {
        const fields = [...AUDIT_FIELDS, 'hash'] as (keyof AuditEntry)[];
        const rows = Readable.from(
          (async function* () {
            for await (const e of entries) yield fields.map((f) => csvSafe(e[f]));
          })(),
        );
        reply.header('content-type', 'text/csv; charset=utf-8').header('content-disposition', `attachment; filename="atlas-audit-${stamp}.csv"`);
        return reply.send(rows.pipe(stringify({ header: true, columns: fields as string[] })) as never);
      }
      const body = Readable.from(
        (async function* () {
          yield '[';
          let first = true;
          for await (const e of entries) {
            yield `${first ? '' : ','}\n${JSON.stringify(e)}`;
            first = false;
          }
          yield '\n]\n';
        })(),
      );
      reply.header('content-type', 'application/json; charset=utf-8').header('content-disposition', `attachment; filename="atlas-audit-${stamp}.json"`);
      return reply.send(body as never);
    },
  );
};
export default route;
