import { AiSystemRepository } from '../../../core/src/graph/ai-system-repository.js';
import { FlowRepository, mergeConnections } from '../../../core/src/graph/flow-repository.js';
import { VendorRepository } from '../../../core/src/graph/vendor-repository.js';
import { assetIdsByHostname, setAssertedComplianceFields } from '../../../core/src/graph/compliance-repository.js';
import type { GraphClient } from '../../../core/src/graph/neo4j-client.js';
import { ReviewRepository } from '../../../core/src/graph/review-repository.js';
import { SuggestionRepository } from '../../../core/src/graph/suggestion-repository.js';
import { evaluateClassification } from '../../../discovery/src/workers/classification-worker.js';

/**
 * Compliance demo (runs after the other demo seeders): suggestions from the demo services, one
 * confirmed, one tagged AI system, asserted encryption/MFA/scan facts and reviews, so the gap
 * report shows a realistic mix. Idempotent: suggestion and review ids are deterministic and
 * asserted values are simply set again. Nothing is probed (the demo addresses are data only).
 */
const DAY = 24 * 3600 * 1000;
const DEMO_CHATBOT = 'demo-vendor-openai';

export async function seed(graph: GraphClient): Promise<void> {
  const ids = await assetIdsByHostname(graph, ['pacs01', 'ehr-db01', 'ai-infer01', 'ws-ward4']);
  // Shadow AI: a ward workstation talks to a public chatbot API that nobody registered.
  if (ids['ws-ward4']) {
    const vendors = new VendorRepository(graph);
    const openai = await vendors.get(DEMO_CHATBOT).catch(() => vendors.create({ name: 'OpenAI', isAiService: true, domains: ['api.openai.com'], notes: 'Seen in flow logs only (demo)' }, { id: DEMO_CHATBOT, demo: true }));
    const seen = await new FlowRepository(graph).listConnections({ endpointId: ids['ws-ward4'], limit: 100 });
    if (!seen.items.some((c) => c.target.id === openai.id)) {
      await mergeConnections(graph, [{ sourceId: ids['ws-ward4'], targetId: openai.id, protocol: 'tcp', port: 443, bytes: 48_213, packets: 96, source: 'demo', at: new Date().toISOString() }]);
    }
  }
  await evaluateClassification(graph, { scope: '', enabled: false });
  const now = Date.now();
  const suggestions = new SuggestionRepository(graph);

  if (ids.pacs01) {
    const open = await suggestions.list({ assetId: ids.pacs01, state: 'open', type: 'ephi-role', limit: 10 });
    const pacs = open.items.find((s) => s.ruleId === 'ephi.pacs-product');
    if (pacs) await suggestions.confirm(pacs.id, 'demo');
    await setAssertedComplianceFields(graph, ids.pacs01, {
      a_encryptionAtRest: 'yes',
      a_encryptionInTransit: 'no',
      a_mfa: 'unknown',
      a_lastVulnScanAt: new Date(now - 30 * DAY).toISOString(),
    });
    await new ReviewRepository(graph).attest({ id: 'rev-demo-pacs01', assetId: ids.pacs01, note: 'Annual review (demo)', by: 'demo', byRole: 'analyst', asAccountablePerson: false, at: new Date(now - 400 * DAY).toISOString() });
  }
  if (ids['ehr-db01']) {
    await setAssertedComplianceFields(graph, ids['ehr-db01'], {
      a_ephiRole: 'stores',
      a_encryptionAtRest: 'yes',
      a_encryptionInTransit: 'yes',
      a_mfa: 'yes',
      a_lastVulnScanAt: new Date(now - 300 * DAY).toISOString(),
    });
    await new ReviewRepository(graph).attest({ id: 'rev-demo-ehr-db01', assetId: ids['ehr-db01'], note: 'Record checked with the DBA team (demo)', by: 'demo', byRole: 'analyst', asAccountablePerson: false, at: new Date(now - 20 * DAY).toISOString() });
  }
  if (ids['ai-infer01']) {
    await new AiSystemRepository(graph).tag(
      ids['ai-infer01'],
      {
        provider: 'Ollama',
        model: 'llama3.1',
        modelVersion: '8b-instruct-q4',
        hosting: 'self-hosted',
        intendedUse: 'Drafting discharge summaries for clinician review',
        ephiInPrompts: 'yes',
        ephiInOutputs: 'yes',
        vendorTrainsOnData: 'no',
        retention: 'prompts kept 30 days',
        baaStatus: 'unknown',
        humanInTheLoop: 'yes',
        riskTier: 'high',
        owner: 'Clinical informatics',
      },
      'demo',
    );
    await setAssertedComplianceFields(graph, ids['ai-infer01'], { a_ephiRole: 'processes', a_encryptionAtRest: 'no' });
  }
}
