import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { ASSET_KINDS, EPHI_ROLES } from '../../../../../../../graph-schema/src/schema.js';
import { FLOW_COLUMNS, INVENTORY_COLUMNS, flowRows, graphElements, inventoryRows } from '../../../../../../core/src/graph/export-repository.js';
import { BinaryFile, TextFile, contentTypes, errors } from '../../../../schemas.js';
import { csvStream, graphmlStream, jsonStream, primed, xlsxStream } from './formats.js';

const boolParam = z.enum(['true', 'false']).transform((v) => v === 'true');

const MIME = {
  csv: 'text/csv; charset=utf-8',
  json: 'application/json; charset=utf-8',
  xlsx: 'application/vnd.openxmlformats-officedocument.spreadsheetml.sheet',
  graphml: 'application/graphml+xml; charset=utf-8',
} as const;

/** One inventory or flow cell as the JSON export writes it. */
const Cell = z.union([z.string(), z.number(), z.boolean(), z.array(z.string()), z.null()]);
const InventoryJson = z.object({
  generatedAt: z.string(),
  filter: z.record(z.string(), z.union([z.string(), z.boolean()])).describe('the filters that were applied'),
  columns: z.array(z.object({ key: z.string(), header: z.string() })),
  items: z.array(z.object(Object.fromEntries(INVENTORY_COLUMNS.map(([key]) => [key, Cell])) as Record<(typeof INVENTORY_COLUMNS)[number][0], typeof Cell>)),
});
const FlowsJson = z.object({
  generatedAt: z.string(),
  items: z.array(z.object(Object.fromEntries(FLOW_COLUMNS.map((key) => [key, Cell])) as Record<(typeof FLOW_COLUMNS)[number], typeof Cell>)),
});

function filename(what: string, ext: string): string {
  return `ephi-atlas-${what}-${new Date().toISOString().slice(0, 10)}.${ext}`;
}

const route: FastifyPluginAsyncZod = async (app) => {
  app.get(
    '/exports/inventory',
    {
      config: { role: 'analyst' },
      schema: {
        tags: ['exports'],
        summary: 'The technology-asset inventory with the NPRM columns, streamed as CSV, XLSX or JSON; the asset filters apply',
        querystring: z.object({
          format: z.enum(['csv', 'xlsx', 'json']).default('csv'),
          q: z.string().max(200).optional(),
          kind: z.enum(ASSET_KINDS).optional(),
          subnet: z.string().max(64).optional(),
          ephi: z.enum(EPHI_ROLES).optional(),
          ai: boolParam.optional(),
          stale: boolParam.optional(),
        }),
        response: {
          200: contentTypes(
            {
              'text/csv': TextFile('format=csv (the default): a header row, then one row per asset'),
              'application/json': InventoryJson,
              'application/vnd.openxmlformats-officedocument.spreadsheetml.sheet': BinaryFile('format=xlsx: one sheet, a header row, one row per asset'),
            },
            'The inventory file, as an attachment; its Content-Type follows `format`',
          ),
          ...errors,
        },
      },
    },
    async (req, reply) => {
      const { format, ...filter } = req.query;
      const rows = await primed(inventoryRows(app.graph, filter));
      reply.header('content-disposition', `attachment; filename="${filename('inventory', format)}"`).type(MIME[format]);
      if (format === 'csv') return reply.send(csvStream(INVENTORY_COLUMNS, rows) as never);
      if (format === 'json') {
        return reply.send(jsonStream({ generatedAt: new Date().toISOString(), filter, columns: INVENTORY_COLUMNS.map(([key, header]) => ({ key, header })) }, rows) as never);
      }
      return reply.send(xlsxStream('Inventory', INVENTORY_COLUMNS, rows, (e) => req.log.error({ err: e }, 'inventory XLSX export failed')) as never);
    },
  );

  app.get(
    '/exports/map.graphml',
    {
      config: { role: 'analyst' },
      schema: {
        tags: ['exports'],
        summary: 'The network and ePHI flow map as GraphML (assets and vendors as nodes; connections and flows as edges)',
        response: { 200: contentTypes({ 'application/graphml+xml': TextFile('a GraphML document') }, 'The map as GraphML, as an attachment'), ...errors },
      },
    },
    async (_req, reply) => {
      const elements = await primed(graphElements(app.graph));
      reply.header('content-disposition', `attachment; filename="${filename('map', 'graphml')}"`).type(MIME.graphml);
      return reply.send(graphmlStream(elements as AsyncGenerator<{ node: Record<string, unknown> } | { edge: Record<string, unknown> }>) as never);
    },
  );

  app.get(
    '/exports/flows',
    {
      config: { role: 'analyst' },
      schema: {
        tags: ['exports'],
        summary: 'All ePHI flows with endpoints, data categories, encryption and BAA coverage, as CSV or JSON',
        querystring: z.object({ format: z.enum(['csv', 'json']).default('csv') }),
        response: {
          200: contentTypes(
            { 'text/csv': TextFile('format=csv (the default): a header row, then one row per flow'), 'application/json': FlowsJson },
            'The flows file, as an attachment; its Content-Type follows `format`',
          ),
          ...errors,
        },
      },
    },
    async (req, reply) => {
      const rows = await primed(flowRows(app.graph));
      const format = req.query.format;
      reply.header('content-disposition', `attachment; filename="${filename('ephi-flows', format)}"`).type(MIME[format]);
      const columns = FLOW_COLUMNS.map((c) => [c, c] as const);
      if (format === 'json') return reply.send(jsonStream({ generatedAt: new Date().toISOString() }, rows) as never);
      return reply.send(csvStream(columns, rows as unknown as AsyncGenerator<Record<string, unknown>>) as never);
    },
  );
};
export default route;
