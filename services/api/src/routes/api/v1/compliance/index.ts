import ExcelJS from 'exceljs';
import { stringify } from 'csv-stringify/sync';
import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { EPHI_ROLES } from '../../../../../../../graph-schema/src/schema.js';
import { GAP_CODES, GAP_TEXT } from '../../../../../../core/src/classification/gaps.js';
import { ComplianceRepository, type GapReport } from '../../../../../../core/src/graph/compliance-repository.js';
import { BinaryFile, TextFile, contentTypes, errors } from '../../../../schemas.js';
import { auditRecord } from '../suggestions/index.js';

export const GapRowSchema = z.object({
  subjectType: z.enum(['asset', 'vendor']),
  id: z.string(),
  name: z.string(),
  kind: z.string().nullable(),
  ephiRole: z.string().nullable(),
  owner: z.string().nullable(),
  location: z.string().nullable(),
  lastVulnScan: z.string().nullable(),
  lastReviewedAt: z.string().nullable(),
  gaps: z.array(z.enum(GAP_CODES)),
});

export const GapReportSchema = z.object({
  generatedAt: z.string(),
  totals: z.object({
    subjects: z.number(),
    assets: z.number(),
    vendors: z.number(),
    withGaps: z.number(),
    gaps: z.number(),
    byGap: z.record(z.string(), z.number()),
  }),
  rows: z.array(GapRowSchema),
  legend: z.record(z.string(), z.string()),
});

/** Cells that a spreadsheet would run as a formula are prefixed with a quote. */
function cell(v: unknown): string {
  const s = v === null || v === undefined ? '' : Array.isArray(v) ? v.join(' ') : String(v);
  return /^[=+\-@\t\r]/.test(s) ? `'${s}` : s;
}

const COLUMNS = ['subjectType', 'id', 'name', 'kind', 'ephiRole', 'owner', 'location', 'lastVulnScan', 'lastReviewedAt', 'gapCount', 'gaps'] as const;

function table(report: GapReport): string[][] {
  return report.rows.map((r) => [r.subjectType, r.id, r.name, r.kind, r.ephiRole, r.owner, r.location, r.lastVulnScan, r.lastReviewedAt, String(r.gaps.length), r.gaps.join(' ')].map(cell));
}

const route: FastifyPluginAsyncZod = async (app) => {
  const repo = new ComplianceRepository(app.graph);

  app.get(
    '/compliance/gaps',
    {
      config: { role: 'analyst' },
      schema: {
        tags: ['compliance'],
        summary: 'NPRM gap report over every asset and vendor that touches ePHI (json, csv or xlsx)',
        querystring: z.object({
          gap: z.enum(GAP_CODES).optional(),
          kind: z.string().min(1).max(64).optional(),
          ephiRole: z.enum(EPHI_ROLES).optional(),
          subjectType: z.enum(['asset', 'vendor']).optional(),
          q: z.string().min(1).max(200).optional(),
          site: z.string().min(1).max(200).optional().describe('location as shown in the report (site name or asserted location), case-insensitive'),
          format: z.enum(['json', 'csv', 'xlsx']).default('json'),
        }),
        response: {
          200: contentTypes(
            {
              'application/json': GapReportSchema,
              'text/csv': TextFile('format=csv: a header row, then one row per subject'),
              'application/vnd.openxmlformats-officedocument.spreadsheetml.sheet': BinaryFile('format=xlsx: a Gaps sheet and a Totals sheet'),
            },
            'The gap report; JSON by default, with format=csv or xlsx the same rows as an attachment',
          ),
          ...errors,
        },
      },
    },
    async (req, reply) => {
      const { format, ...filter } = req.query;
      const report = await repo.gapReport(filter);
      const stamp = report.generatedAt.slice(0, 10);
      if (format !== 'json') auditRecord(app, req, { action: 'compliance.gaps.export', detail: { format, rows: report.rows.length } });
      if (format === 'csv') {
        const csv = stringify([[...COLUMNS], ...table(report)]);
        return reply.type('text/csv; charset=utf-8').header('content-disposition', `attachment; filename="ephi-atlas-gaps-${stamp}.csv"`).send(csv as never);
      }
      if (format === 'xlsx') {
        const wb = new ExcelJS.Workbook();
        wb.created = new Date(report.generatedAt);
        const ws = wb.addWorksheet('Gaps');
        ws.addRow([...COLUMNS]);
        for (const r of table(report)) ws.addRow(r);
        ws.getRow(1).font = { bold: true };
        const totals = wb.addWorksheet('Totals');
        totals.addRow(['gap', 'meaning', 'count']);
        for (const c of GAP_CODES) totals.addRow([c, GAP_TEXT[c], report.totals.byGap[c]]);
        totals.addRow(['subjects', '', report.totals.subjects]);
        totals.addRow(['withGaps', '', report.totals.withGaps]);
        const buf = Buffer.from(await wb.xlsx.writeBuffer());
        return reply
          .type('application/vnd.openxmlformats-officedocument.spreadsheetml.sheet')
          .header('content-disposition', `attachment; filename="ephi-atlas-gaps-${stamp}.xlsx"`)
          .send(buf as never);
      }
      return { ...report, legend: GAP_TEXT };
    },
  );

  app.get(
    '/compliance/exposed',
    {
      config: { role: 'analyst' },
      schema: {
        tags: ['compliance'],
        summary: 'ePHI-exposed assets: a path of connections or ePHI flows to an ePHI store within k hops',
        querystring: z.object({ k: z.coerce.number().int().min(1).max(4).default(3), limit: z.coerce.number().int().min(1).max(1000).default(200) }),
        response: {
          200: z.object({
            items: z.array(z.object({ id: z.string(), name: z.string(), kind: z.string().nullable(), hops: z.number(), stores: z.array(z.object({ id: z.string(), name: z.string() })) })),
            bounds: z.object({ maxHops: z.number(), maxResults: z.number(), truncated: z.boolean() }),
          }),
          ...errors,
        },
      },
    },
    async (req) => {
      const r = await repo.exposed(req.query.k, req.query.limit);
      return { items: r.items, bounds: { maxHops: req.query.k, maxResults: req.query.limit, truncated: r.truncated } };
    },
  );
};
export default route;
