import { describe, expect, it } from 'vitest';
import { evaluateAsset, matchAiDomain, probesFor, scriptsFromProperty, suggestionId, type AssetFacts } from '../../../services/core/src/classification/engine.js';
import { combineRuleSets, loadRules, parseRuleSet } from '../../../services/core/src/classification/rules.js';
import { inScope } from '../../../services/core/src/classification/scope.js';

const rules = loadRules();
const svc = (port: number, o: Partial<AssetFacts['services'][number]> = {}) => ({ protocol: 'tcp', port, state: 'open', scripts: [], ...o });

describe('classification rules are data', () => {
  it('ships both rule sets with versions', () => {
    expect(rules.versions).toEqual({ 'ai-detection': '1.0.0', 'ephi-detection': '1.1.0' });
    expect(rules.rules.map((r) => r.id)).toEqual(expect.arrayContaining(['ai.ollama', 'ai.vector-db', 'ephi.dicom', 'ephi.hl7-mllp', 'ephi.fhir', 'ephi.flow-receiver']));
  });

  it('a new rule in a JSON document is used without code changes', () => {
    const extra = parseRuleSet({
      ruleset: 'site-local',
      version: '0.1.0',
      rules: [{ id: 'ai.acme', type: 'ai-system', title: 'Acme model server', value: { provider: 'Acme' }, signals: [{ product: 'acme-llm', confidence: 0.8, evidence: '{port} runs {product}' }] }],
    });
    const combined = combineRuleSets([extra]);
    const out = evaluateAsset({ assetId: 'a1', services: [svc(9000, { product: 'Acme-LLM', version: '2' })] }, combined);
    expect(out).toEqual([expect.objectContaining({ ruleId: 'ai.acme', ruleVersion: 'site-local@0.1.0', confidence: 0.8, evidence: ['9000 runs Acme-LLM'] })]);
  });

  it('refuses a rule file with a bad regex or an ePHI rule without a valid role, naming the place', () => {
    expect(() => parseRuleSet({ ruleset: 'x', version: '1.0.0', rules: [{ id: 'a', type: 'ai-system', title: 't', value: {}, signals: [{ product: '([', confidence: 1, evidence: 'e' }] }] }, 'bad.json')).toThrow(
      /bad\.json: rules\.0\.signals\.0\.product: not a valid regular expression/,
    );
    expect(() => parseRuleSet({ ruleset: 'x', version: '1.0.0', rules: [{ id: 'b', type: 'ephi-role', title: 't', value: { ephiRole: 'hoards' }, signals: [{ ports: [1], confidence: 1, evidence: 'e' }] }] })).toThrow(
      /controlled list/,
    );
  });
});

describe('evaluateAsset', () => {
  it('a modality answering dicom-ping gets a DICOM ePHI suggestion quoting the script output', () => {
    const out = evaluateAsset(
      { assetId: 'ct', services: [svc(104, { name: 'dicom', product: 'Siemens SOMATOM', scripts: [{ id: 'dicom-ping', output: '\n  dicom: DICOM Service Provider discovered!\n  config: Any AET is accepted (Insecure)' }] })] },
      rules,
    );
    expect(out).toHaveLength(1);
    expect(out[0]).toMatchObject({ type: 'ephi-role', ruleId: 'ephi.dicom', value: { ephiRole: 'processes' }, confidence: 0.95 });
    expect(out[0]!.evidence[0]).toBe('nmap dicom-ping on 104/tcp: dicom: DICOM Service Provider discovered! config: Any AET is accepted (Insecure)');
    expect(out[0]!.evidence).toContain('DICOM service on 104/tcp (Siemens SOMATOM)');
  });

  it('Orthanc is both a DICOM service and a known PACS (stores)', () => {
    const out = evaluateAsset({ assetId: 'pacs', services: [svc(4242, { name: 'dicom', product: 'Orthanc' }), svc(8042, { name: 'http', product: 'Orthanc', version: '1.10.1' })] }, rules);
    expect(out.map((d) => [d.ruleId, d.value.ephiRole, d.confidence])).toEqual([
      ['ephi.dicom', 'processes', 0.7],
      ['ephi.pacs-product', 'stores', 0.85],
    ]);
    expect(out[1]!.evidence).toEqual(['4242/tcp runs Orthanc, a PACS / imaging archive', '8042/tcp runs Orthanc 1.10.1, a PACS / imaging archive']);
  });

  it('a closed port is not evidence', () => {
    expect(evaluateAsset({ assetId: 'x', services: [svc(11434, { state: 'closed', product: 'Ollama' })] }, rules)).toEqual([]);
  });

  it('an unnamed service on 11434 asks for one probe; the probe answer raises confidence', () => {
    const facts: AssetFacts = { assetId: 'inf', services: [svc(11434, { name: 'unknown' })] };
    expect(evaluateAsset(facts, rules)[0]).toMatchObject({ ruleId: 'ai.ollama', confidence: 0.5 });
    expect(probesFor(facts, rules)).toEqual([{ port: 11434, path: '/api/tags' }]);
    const withHttp = evaluateAsset({ ...facts, http: [{ port: 11434, path: '/api/tags', url: 'http://127.0.0.1:11434/api/tags', status: 200, body: '{"models":[{"name":"llama3"}]}' }] }, rules);
    expect(withHttp[0]).toMatchObject({ ruleId: 'ai.ollama', confidence: 0.95, value: { provider: 'Ollama', hosting: 'self-hosted' } });
    expect(withHttp[0]!.evidence[0]).toBe('GET http://127.0.0.1:11434/api/tags answered with an Ollama model list: {"models":[{"name":"llama3"}]}');
  });

  it('no probe when the product already says Ollama', () => {
    expect(probesFor({ assetId: 'x', services: [svc(11434, { product: 'Ollama' })] }, rules)).toEqual([]);
  });

  it('an asserted inbound ePHI flow gives an ePHI suggestion', () => {
    const out = evaluateAsset({ assetId: 'db', services: [], inboundFlows: [{ fromName: 'ehr-app01', protocol: 'tcp', port: 1433, dataCategories: ['clinical-notes'] }] }, rules);
    expect(out).toEqual([expect.objectContaining({ ruleId: 'ephi.flow-receiver', evidence: ['receives an asserted ePHI flow from ehr-app01 (tcp 1433 clinical-notes)'] })]);
  });

  it('same facts, same id and same output (idempotent)', () => {
    const facts: AssetFacts = { assetId: 'h', services: [svc(2575, { product: 'Mirth Connect MLLP' })] };
    expect(evaluateAsset(facts, rules)).toEqual(evaluateAsset(facts, rules));
    expect(evaluateAsset(facts, rules)[0]!.id).toBe(suggestionId('h', 'ephi-role', 'ephi.hl7-mllp'));
  });
});

describe('AI domains, scripts, scope', () => {
  it('matches AI service domains and subdomains, not look-alikes', () => {
    const d = rules.aiDomains;
    expect(matchAiDomain('api.openai.com', d)?.provider).toBe('OpenAI');
    expect(matchAiDomain('myres.openai.azure.com', d)?.provider).toBe('Azure OpenAI');
    expect(matchAiDomain('bedrock-runtime.us-east-1.amazonaws.com', d)?.provider).toBe('AWS Bedrock');
    expect(matchAiDomain('api.anthropic.com.', d)?.provider).toBe('Anthropic');
    expect(matchAiDomain('notopenai.com', d)).toBeUndefined();
    expect(matchAiDomain('s3.amazonaws.com', d)).toBeUndefined();
  });

  it('reads scripts stored as a JSON string', () => {
    expect(scriptsFromProperty(JSON.stringify([{ id: 'dicom-ping', output: 'x', elements: { a: 1 } }]))).toEqual([{ id: 'dicom-ping', output: 'x' }]);
    expect(scriptsFromProperty('{"http-title":"Orthanc"}')).toEqual([{ id: 'http-title', output: 'Orthanc' }]);
    expect(scriptsFromProperty('not json')).toEqual([]);
    expect(scriptsFromProperty(null)).toEqual([]);
  });

  it('probes only inside the authorised scope', () => {
    expect(inScope('127.77.9.1', '127.0.0.0/8')).toBe(true);
    expect(inScope('10.20.4.40', '127.0.0.0/8')).toBe(false);
    expect(inScope('10.77.0.5', '127.0.0.0/8, 10.77.0.0/24')).toBe(true);
    expect(inScope('::ffff:127.0.0.1', '127.0.0.0/8')).toBe(true);
    expect(inScope('not-an-ip', '0.0.0.0/0')).toBe(false);
    expect(inScope('8.8.8.8', '')).toBe(false);
  });
});
