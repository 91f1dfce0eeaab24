import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { buildCycloneDx } from '../../../../../../core/src/classification/cyclonedx.js';
import { AiSystemRepository, listEphiFlows } from '../../../../../../core/src/graph/ai-system-repository.js';
import { contentTypes, errors } from '../../../../schemas.js';

const route: FastifyPluginAsyncZod = async (app) => {
  const repo = new AiSystemRepository(app.graph);
  app.get(
    '/exports/cyclonedx',
    {
      config: { role: 'analyst' },
      schema: {
        tags: ['exports'],
        summary: 'CycloneDX 1.6 JSON: AI systems as machine-learning-model components, services with their ePHI data flows',
        response: { 200: contentTypes({ 'application/vnd.cyclonedx+json': z.record(z.string(), z.unknown()).describe('A CycloneDX 1.6 BOM') }, 'A CycloneDX 1.6 BOM, as an attachment (Content-Type carries version=1.6)'), ...errors },
      },
    },
    async (_req, reply) => {
      const [aiSystems, flows] = await Promise.all([repo.list(), listEphiFlows(app.graph)]);
      const bom = buildCycloneDx({ aiSystems, flows });
      const stamp = new Date().toISOString().slice(0, 10);
      return reply
        .type('application/vnd.cyclonedx+json; version=1.6')
        .header('content-disposition', `attachment; filename="ephi-atlas-ai-bom-${stamp}.cdx.json"`)
        .send(JSON.stringify(bom) as never);
    },
  );
};
export default route;
