import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { acceptNmapUpload } from '../../../../../../discovery/src/imports/nmap-import.js';
import { errors } from '../../../../schemas.js';

const MAX_UPLOAD = 1024 * 1024 * 1024; // a /16 scan with versions is hundreds of MB

const route: FastifyPluginAsyncZod = async (app) => {
  // Uploads are streamed to disk, never buffered whole in memory.
  app.addContentTypeParser(['application/xml', 'text/xml'], { bodyLimit: MAX_UPLOAD }, (_req, payload, done) => done(null, payload));

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
        response: { 202: z.object({ jobId: z.string() }), ...errors },
      },
    },
    async (req, reply) => {
      const jobId = await acceptNmapUpload(app.queues, app.config.ATLAS_DATA_DIR, req.body as NodeJS.ReadableStream, {
        filename: req.query.filename,
        requestedBy: req.principal?.name,
      });
      return reply.code(202).send({ jobId });
    },
  );
};
export default route;
