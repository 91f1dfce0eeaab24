import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { acceptNmapUpload } from '../../../../../../discovery/src/imports/nmap-import.js';
import { acceptFlowUpload } from '../../../../../../discovery/src/imports/flow-import.js';
import { acceptCsvUpload, CSV_FIELDS, parseMapping } from '../../../../../../discovery/src/imports/csv-inventory.js';
import { AtlasError } from '../../../../../../core/src/errors.js';
import { errors } from '../../../../schemas.js';

/** The body as the raw upload stream; any other content type (JSON, forms) is a 415 naming the ones accepted. */
function uploadStream(body: unknown, contentType: string | undefined, accepted: string[]): NodeJS.ReadableStream {
  const type = (contentType ?? '').split(';')[0]!.trim().toLowerCase();
  if (!accepted.includes(type) || !body || typeof (body as NodeJS.ReadableStream).pipe !== 'function') {
    throw new AtlasError('UNSUPPORTED_MEDIA_TYPE', `Content-Type must be one of ${accepted.join(', ')} (got ${type || 'none'})`, { status: 415, details: { field: 'content-type' } });
  }
  return body as NodeJS.ReadableStream;
}

const MAX_UPLOAD = 1024 * 1024 * 1024; // a /16 scan with versions is hundreds of MB

/** The upload as the document describes it: the raw file (its format is checked by the import, a 400 naming the line or field). */
const Upload = (what: string) => z.unknown().meta({ type: 'string', format: 'binary', description: what });

const route: FastifyPluginAsyncZod = async (app) => {
  // Uploads are streamed to disk, never buffered whole in memory.
  app.addContentTypeParser(['application/xml', 'text/xml'], { bodyLimit: MAX_UPLOAD }, (_req, payload, done) => done(null, payload));
  app.addContentTypeParser(['text/plain', 'text/csv', 'application/x-ndjson'], { bodyLimit: MAX_UPLOAD }, (_req, payload, done) => done(null, payload));

  app.post(
    '/imports/csv',
    {
      bodyLimit: MAX_UPLOAD,
      config: { role: 'security' },
      schema: {
        tags: ['imports'],
        summary: 'Import an asset inventory spreadsheet (Content-Type: text/csv) as asserted facts; dryRun=true reports what would change',
        description: `The first row is the header. \`mapping\` (JSON) maps fields to column names, e.g. {"ip":"IP Address","name":"Hostname","ephiRole":"ePHI"}; unmapped fields are matched to columns of the same name. Fields: ${CSV_FIELDS.join(', ')}. Every row is validated first: errors are a 400 CSV_INVALID whose details.errors name row (spreadsheet line) and column; then all rows are written in one transaction. Rows match assets by asset tag, serial, IP or MAC; others create assets.`,
        querystring: z.object({
          mapping: z.string().max(4000).optional(),
          dryRun: z.enum(['true', 'false']).default('false').transform((v) => v === 'true'),
          filename: z.string().max(255).optional(),
        }),
        consumes: ['text/csv', 'text/plain'],
        body: Upload('the CSV file, header row first'),
        response: { 202: z.object({ jobId: z.string() }), ...errors },
      },
    },
    async (req, reply) => {
      const mapping = parseMapping(req.query.mapping);
      const body = uploadStream(req.body, req.headers['content-type'], ['text/csv', 'text/plain']);
      const jobId = await acceptCsvUpload(app.queues, app.config.ATLAS_DATA_DIR, body, { mapping, dryRun: req.query.dryRun, filename: req.query.filename, requestedBy: req.principal?.name });
      return reply.code(202).send({ jobId });
    },
  );

  app.post(
    '/imports/zeek',
    {
      bodyLimit: MAX_UPLOAD,
      config: { role: 'security' },
      schema: {
        tags: ['imports'],
        summary: 'Import a flow log (Zeek conn.log as TSV or JSON lines, or a flow CSV; Content-Type: text/plain); returns the job',
        description:
          'Formats are told apart by the first line: `#` (Zeek TSV with #fields), `{` (Zeek JSON lines), otherwise a CSV with the header `src,dst,dst_port,proto,bytes,packets,first_seen,last_seen` (times as epoch seconds or ISO-8601). Every line is checked before the job is queued: a bad line is a 400 FLOW_LOG_INVALID naming the line and field. The job adds CONNECTS_TO edges (bytes, packets, flows, first/last seen) per source, destination, protocol and port; unknown endpoints become assets.',
        querystring: z.object({ filename: z.string().max(255).optional() }),
        consumes: ['text/plain', 'text/csv', 'application/x-ndjson'],
        body: Upload('the flow log'),
        response: { 202: z.object({ jobId: z.string() }), ...errors },
      },
    },
    async (req, reply) => {
      const body = uploadStream(req.body, req.headers['content-type'], ['text/plain', 'text/csv', 'application/x-ndjson']);
      const jobId = await acceptFlowUpload(app.queues, app.config.ATLAS_DATA_DIR, body, { filename: req.query.filename, requestedBy: req.principal?.name });
      return reply.code(202).send({ jobId });
    },
  );

  app.post(
    '/imports/nmap',
    {
      bodyLimit: MAX_UPLOAD,
      config: { role: 'security' },
      schema: {
        tags: ['imports'],
        summary: 'Import an nmap XML file (Content-Type: application/xml); returns the job that ingests it',
        description:
          'The body is the nmap XML document itself. Documents with entity declarations, an internal DTD subset or external identifiers are refused (400 XML_DTD_REFUSED); a document whose root is not <nmaprun> is refused (400 XML_NOT_NMAP).',
        querystring: z.object({ filename: z.string().max(255).optional() }),
        consumes: ['application/xml', 'text/xml'],
        body: Upload('the nmap XML document (nmap -oX)'),
        response: { 202: z.object({ jobId: z.string() }), ...errors },
      },
    },
    async (req, reply) => {
      const body = uploadStream(req.body, req.headers['content-type'], ['application/xml', 'text/xml']);
      const jobId = await acceptNmapUpload(app.queues, app.config.ATLAS_DATA_DIR, body, {
        filename: req.query.filename,
        requestedBy: req.principal?.name,
      });
      return reply.code(202).send({ jobId });
    },
  );
};
export default route;
