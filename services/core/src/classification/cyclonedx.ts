import { randomUUID } from 'node:crypto';

/**
 * CycloneDX 1.6 BOM of AI systems (`machine-learning-model` components) and of the services that
 * exchange ePHI with them or with each other (`services[].data[]` with flow direction relative
 * to the service and classification "ePHI"). Pure: the route gathers the rows.
 */
export interface CdxAiSystem {
  subjectType: 'asset' | 'vendor';
  id: string;
  name: string;
  provider: string | null;
  model: string | null;
  modelVersion: string | null;
  hosting: string | null;
  intendedUse: string | null;
  ephiInPrompts: string | null;
  ephiInOutputs: string | null;
  vendorTrainsOnData: string | null;
  retention: string | null;
  baaStatus: string | null;
  humanInTheLoop: string | null;
  riskTier: string | null;
  ips: string[];
}

export interface CdxEndpoint {
  type: 'asset' | 'vendor';
  id: string;
  name: string;
  isAi: boolean;
  domains: string[];
  ips: string[];
}

export interface CdxFlow {
  id: string;
  source: CdxEndpoint;
  target: CdxEndpoint;
  dataCategories: string[];
  protocol: string | null;
  port: number | null;
  encryptedInTransit: boolean | null;
  purpose: string | null;
}

const ref = (type: string, id: string) => `${type}:${id}`;

function props(pairs: [string, string | null | undefined][]): { name: string; value: string }[] {
  return pairs.filter(([, v]) => v !== null && v !== undefined && v !== '').map(([k, v]) => ({ name: `ephi-atlas:${k}`, value: String(v) }));
}

export function buildCycloneDx(input: { aiSystems: CdxAiSystem[]; flows: CdxFlow[]; now?: Date; version?: string }): Record<string, unknown> {
  const now = input.now ?? new Date();
  const components = input.aiSystems.map((a) => ({
    type: 'machine-learning-model',
    'bom-ref': ref(`model-${a.subjectType}`, a.id),
    name: a.model ?? a.name,
    ...(a.modelVersion ? { version: a.modelVersion } : {}),
    ...(a.provider ? { supplier: { name: a.provider } } : {}),
    description: a.intendedUse ?? `AI system ${a.name}`,
    ...(a.intendedUse ? { modelCard: { considerations: { useCases: [a.intendedUse] } } } : {}),
    properties: props([
      ['subject', `${a.subjectType}:${a.id}`],
      ['name', a.name],
      ['hosting', a.hosting],
      ['ephiInPrompts', a.ephiInPrompts],
      ['ephiInOutputs', a.ephiInOutputs],
      ['vendorTrainsOnData', a.vendorTrainsOnData],
      ['retention', a.retention],
      ['baaStatus', a.baaStatus],
      ['humanInTheLoop', a.humanInTheLoop],
      ['riskTier', a.riskTier],
    ]),
  }));

  const endpoints = new Map<string, CdxEndpoint>();
  for (const f of input.flows) {
    endpoints.set(ref(f.source.type, f.source.id), f.source);
    endpoints.set(ref(f.target.type, f.target.id), f.target);
  }
  for (const a of input.aiSystems) {
    const k = ref(a.subjectType, a.id);
    if (!endpoints.has(k)) endpoints.set(k, { type: a.subjectType, id: a.id, name: a.name, isAi: true, domains: [], ips: a.ips });
  }
  const services = [...endpoints.entries()]
    .sort(([a], [b]) => a.localeCompare(b))
    .map(([k, e]) => {
      const data = input.flows
        .filter((f) => ref(f.source.type, f.source.id) === k || ref(f.target.type, f.target.id) === k)
        .map((f) => {
          const out = ref(f.source.type, f.source.id) === k;
          return {
            flow: out ? 'outbound' : 'inbound',
            classification: 'ePHI',
            name: `${f.source.name} → ${f.target.name}`,
            description: [f.dataCategories.join(', ') || 'ePHI', f.protocol && f.port ? `${f.protocol}/${f.port}` : f.protocol, f.encryptedInTransit === false ? 'unencrypted' : f.encryptedInTransit ? 'encrypted in transit' : 'encryption unknown', f.purpose]
              .filter(Boolean)
              .join('; '),
            source: [`urn:ephi-atlas:${f.source.type}:${encodeURIComponent(f.source.id)}`],
            destination: [`urn:ephi-atlas:${f.target.type}:${encodeURIComponent(f.target.id)}`],
          };
        });
      const endpointsUrls = [...e.domains.map((d) => `https://${d}`), ...e.ips.map((ip) => (ip.includes(':') ? `urn:ephi-atlas:ip:${ip}` : `urn:ephi-atlas:ip:${ip}`))];
      return {
        'bom-ref': `service-${k}`,
        name: e.name,
        ...(endpointsUrls.length ? { endpoints: endpointsUrls } : {}),
        'x-trust-boundary': e.type === 'vendor',
        ...(data.length ? { data } : {}),
        properties: props([
          ['subject', k],
          ['isAi', String(e.isAi)],
        ]),
      };
    });

  const aiRefs = new Map(input.aiSystems.map((a) => [ref(a.subjectType, a.id), ref(`model-${a.subjectType}`, a.id)]));
  const dependencies = [...aiRefs.entries()].map(([svc, model]) => ({ ref: `service-${svc}`, dependsOn: [model] }));

  return {
    bomFormat: 'CycloneDX',
    specVersion: '1.6',
    serialNumber: `urn:uuid:${randomUUID()}`,
    version: 1,
    metadata: {
      timestamp: now.toISOString(),
      tools: { components: [{ type: 'application', name: 'ePHI Atlas', version: input.version ?? '0.1.0' }] },
      component: { type: 'application', 'bom-ref': 'ephi-atlas-inventory', name: 'AI systems and ePHI data flows' },
    },
    components,
    services,
    dependencies,
  };
}
