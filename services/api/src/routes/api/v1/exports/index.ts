import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { ASSET_KINDS, EPHI_ROLES } from '../../../../../../../graph-schema/src/schema.js';
import { FLOW_COLUMNS, INVENTORY_COLUMNS, flowRows, graphElements, inventoryRows } from '../../../../../../core/src/graph/export-repository.js';
import { errors } from '../../../../schemas.js';
import { csvStream, graphmlStream, jsonStream, primed, xlsxStream } from './formats.js';

const boolParam = z.enum(['true', 'false']).transform((v) => v === 'true');

const MIME = {
  csv: 'text/csv; charset=utf-8',
  json: 'application/json; charset=utf-8',
  xlsx: 'application/vnd.openxmlformats-officedocument.spreadsheetml.sheet',
  graphml: 'application/graphml+xml; charset=utf-8',
} as const;

const Streamed = z.unknown().describe('a streamed file (see Content-Type and Content-Disposition)');

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
        produces: ['text/csv', 'application/json', 'application/vnd.openxmlformats-officedocument.spreadsheetml.sheet'],
        querystring: z.object({
          format: z.enum(['csv', 'xlsx', 'json']).default('csv'),
          q: z.string().max(200).optional(),
          kind: z.enum(ASSET_KINDS).optional(),
          subnet: z.string().max(64).optional(),
          ephi: z.enum(EPHI_ROLES).optional(),
          ai: boolParam.optional(),
          stale: boolParam.optional(),
        }),
        response: { 200: Streamed, ...errors },
      },
    },
    async (req, reply) => {
      const { format, ...filter } = req.query;
      const rows = await primed(inventoryRows(app.graph, filter));
      reply.header('content-disposition', `attachment; filename="${filename('inventory', format)}"`).type(MIME[format]);
      if (format === 'csv') return reply.send(csvStream(INVENTORY_COLUMNS, rows));
      if (format === 'json') {
        return reply.send(jsonStream({ generatedAt: new Date().toISOString(), filter, columns: INVENTORY_COLUMNS.map(([key, header]) => ({ key, header })) }, rows));
      }
      return reply.send(xlsxStream('Inventory', INVENTORY_COLUMNS, rows, (e) => req.log.error({ err: e }, 'inventory XLSX export failed')));
    },
  );

  app.get(
    '/exports/map.graphml',
    {
      config: { role: 'analyst' },
      schema: {
        tags: ['exports'],
        summary: 'The network and ePHI flow map as GraphML (assets and vendors as nodes; connections and flows as edges)',
        produces: ['application/graphml+xml', 'application/json'],
        response: { 200: Streamed, ...errors },
      },
    },
    async (_req, reply) => {
      const elements = await primed(graphElements(app.graph));
      reply.header('content-disposition', `attachment; filename="${filename('map', 'graphml')}"`).type(MIME.graphml);
      return reply.send(graphmlStream(elements as AsyncGenerator<{ node: Record<string, unknown> } | { edge: Record<string, unknown> }>));
    },
  );

  app.get(
    '/exports/flows',
    {
      config: { role: 'analyst' },
      schema: {
        tags: ['exports'],
        summary: 'All ePHI flows with endpoints, data categories, encryption and BAA coverage, as CSV or JSON',
        produces: ['text/csv', 'application/json'],
        querystring: z.object({ format: z.enum(['csv', 'json']).default('csv') }),
        response: { 200: Streamed, ...errors },
      },
    },
    async (req, reply) => {
      const rows = await primed(flowRows(app.graph));
      const format = req.query.format;
      reply.header('content-disposition', `attachment; filename="${filename('ephi-flows', format)}"`).type(MIME[format]);
      const columns = FLOW_COLUMNS.map((c) => [c, c] as const);
      if (format === 'json') return reply.send(jsonStream({ generatedAt: new Date().toISOString() }, rows));
      return reply.send(csvStream(columns, rows as unknown as AsyncGenerator<Record<string, unknown>>));
    },
  );
};
export default route;
