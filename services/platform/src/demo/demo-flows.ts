import { NotFoundError, AtlasError } from '../../../core/src/errors.js';
import type { GraphClient } from '../../../core/src/graph/neo4j-client.js';
import { assertDemoAssetFacts, assetIdsByHostname, FlowRepository, mergeConnections, type DataCategory, type Endpoint } from '../../../core/src/graph/flow-repository.js';
import { PersonRepository } from '../../../core/src/graph/person-repository.js';
import { SiteRepository } from '../../../core/src/graph/site-repository.js';
import { VendorRepository, type VendorInput } from '../../../core/src/graph/vendor-repository.js';

/**
 * Demo vendors (with and without a BAA, one expired, one AI SaaS), people, sites, asserted ePHI
 * flows between the demo hosts of demo-network.ts and observed connections. Idempotent: fixed
 * ids, created only when missing; classifications only fill what nobody asserted.
 */
const day = (offsetDays: number) => new Date(Date.now() + offsetDays * 86_400_000).toISOString().slice(0, 10);

const VENDORS: (Partial<VendorInput> & { id: string; name: string; supplies: string[] })[] = [
  { id: 'demo-vendor-siemens', name: 'Siemens Healthineers', isBusinessAssociate: true, baaSigned: true, baaEffective: day(-700), baaExpires: day(400), domains: ['siemens-healthineers.com'], supplies: ['ct-scanner01', 'mri01'] },
  { id: 'demo-vendor-ge', name: 'GE HealthCare', supplies: ['us-cart01'] },
  { id: 'demo-vendor-acme-ehr', name: 'Acme EHR Systems', isBusinessAssociate: true, baaSigned: true, baaEffective: day(-1000), baaExpires: day(700), supplies: ['ehr-app01', 'ehr-db01'] },
  { id: 'demo-vendor-philips', name: 'Philips Medical Systems', supplies: ['infusion-pump01', 'infusion-pump02', 'infusion-pump03'] },
  {
    id: 'demo-vendor-cloudvault',
    name: 'CloudVault Imaging Archive',
    isBusinessAssociate: true,
    baaSigned: true,
    baaEffective: day(-800),
    baaExpires: day(-35), // expired: the egress report must flag it
    domains: ['cloudvault.example'],
    notes: 'Off-site DICOM archive; renewal in legal review.',
    supplies: [],
  },
  { id: 'demo-vendor-scribeai', name: 'ScribeAI', isAiService: true, domains: ['api.scribeai.example'], notes: 'Ambient clinical documentation (LLM). No BAA on file.', supplies: [] },
  { id: 'demo-vendor-northstar', name: 'NorthStar Billing Clearinghouse', isBusinessAssociate: true, baaSigned: true, baaEffective: day(-300), baaExpires: day(365), supplies: [] },
];

const PEOPLE = [
  { id: 'demo-person-chen', name: 'Dr. Alice Chen', email: 'alice.chen@demo.example', title: 'Director of Imaging', department: 'Radiology', owns: ['pacs01', 'ct-scanner01', 'mri01', 'us-cart01'] },
  { id: 'demo-person-martinez', name: 'Bob Martinez', email: 'bob.martinez@demo.example', title: 'EHR Application Owner', department: 'Clinical Systems', owns: ['ehr-app01', 'ehr-db01', 'hl7-engine01', 'fhir01'] },
  { id: 'demo-person-singh', name: 'Carol Singh', email: 'carol.singh@demo.example', title: 'Infrastructure Lead', department: 'IT', owns: ['backup01', 'ws-ward1', 'ws-ward2', 'ws-ward3', 'ws-ward4', 'ws-ward5', 'ws-ward6', 'printer-ward1'] },
  { id: 'demo-person-okafor', name: 'Dr. Dan Okafor', email: 'dan.okafor@demo.example', title: 'Research Computing Lead', department: 'Research', owns: ['ai-infer01', 'jupyter01', 'vectordb01'] },
];

const SITES = [
  { id: 'demo-site-dc', name: 'Main Hospital Data Centre', kind: 'data-centre' as const, address: '1 Demo Way, Basement 2', has: ['pacs01', 'ehr-app01', 'ehr-db01', 'hl7-engine01', 'fhir01', 'backup01'] },
  { id: 'demo-site-radiology', name: 'Radiology Wing', kind: 'building' as const, address: '1 Demo Way, Building C', has: ['ct-scanner01', 'mri01', 'us-cart01'] },
  { id: 'demo-site-ward3', name: 'Ward 3 East', kind: 'floor' as const, address: '1 Demo Way, Building A, Floor 3', has: ['ws-ward1', 'ws-ward2', 'ws-ward3', 'ws-ward4', 'ws-ward5', 'ws-ward6', 'printer-ward1', 'infusion-pump01', 'infusion-pump02', 'infusion-pump03'] },
  { id: 'demo-site-research', name: 'Research Lab', kind: 'room' as const, address: '2 Demo Way, Room 114', has: ['ai-infer01', 'jupyter01', 'vectordb01'] },
];

const FACTS: { host: string; kind: string; ephiRole?: string; encryptionAtRest?: string; encryptionInTransit?: string; mfa?: string }[] = [
  { host: 'pacs01', kind: 'server', ephiRole: 'stores', encryptionAtRest: 'no', encryptionInTransit: 'no', mfa: 'no' },
  { host: 'ehr-app01', kind: 'server', ephiRole: 'processes', encryptionAtRest: 'yes', encryptionInTransit: 'yes', mfa: 'yes' },
  { host: 'ehr-db01', kind: 'database', ephiRole: 'stores', encryptionAtRest: 'yes', encryptionInTransit: 'yes', mfa: 'yes' },
  { host: 'hl7-engine01', kind: 'server', ephiRole: 'transmits', encryptionAtRest: 'unknown', encryptionInTransit: 'no' },
  { host: 'fhir01', kind: 'server', ephiRole: 'processes', encryptionInTransit: 'yes' },
  { host: 'backup01', kind: 'server', ephiRole: 'stores', encryptionAtRest: 'yes' },
  { host: 'ct-scanner01', kind: 'medical-device', ephiRole: 'processes', encryptionAtRest: 'no', encryptionInTransit: 'no' },
  { host: 'mri01', kind: 'medical-device', ephiRole: 'processes', encryptionInTransit: 'yes' },
  { host: 'us-cart01', kind: 'medical-device', ephiRole: 'processes' },
  ...[1, 2, 3, 4, 5, 6].map((n) => ({ host: `ws-ward${n}`, kind: 'workstation' })),
  { host: 'ai-infer01', kind: 'server' },
  { host: 'jupyter01', kind: 'application' },
  { host: 'vectordb01', kind: 'database' },
  ...[1, 2, 3].map((n) => ({ host: `infusion-pump0${n}`, kind: 'medical-device', ephiRole: 'none' })),
  { host: 'printer-ward1', kind: 'printer', ephiRole: 'transmits' },
];

type Ref = { host: string } | { vendor: string };
const FLOWS: { id: string; from: Ref; to: Ref; categories: DataCategory[]; protocol: string; port: number; encrypted: boolean | null; purpose: string }[] = [
  { id: 'demo-flow-ct-pacs', from: { host: 'ct-scanner01' }, to: { host: 'pacs01' }, categories: ['imaging', 'identifiers'], protocol: 'DICOM', port: 104, encrypted: false, purpose: 'CT studies sent to PACS (DICOM C-STORE, no TLS)' },
  { id: 'demo-flow-mri-pacs', from: { host: 'mri01' }, to: { host: 'pacs01' }, categories: ['imaging', 'identifiers'], protocol: 'DICOM-TLS', port: 2762, encrypted: true, purpose: 'MR studies sent to PACS' },
  { id: 'demo-flow-us-pacs', from: { host: 'us-cart01' }, to: { host: 'pacs01' }, categories: ['imaging', 'identifiers'], protocol: 'DICOM', port: 104, encrypted: null, purpose: 'Ultrasound studies sent to PACS' },
  { id: 'demo-flow-ehr-db', from: { host: 'ehr-app01' }, to: { host: 'ehr-db01' }, categories: ['demographics', 'identifiers', 'clinical-notes', 'diagnoses', 'medications', 'lab-results'], protocol: 'TDS', port: 1433, encrypted: true, purpose: 'EHR application database' },
  { id: 'demo-flow-hl7-ehr', from: { host: 'hl7-engine01' }, to: { host: 'ehr-app01' }, categories: ['demographics', 'lab-results', 'diagnoses'], protocol: 'HL7-MLLP', port: 2575, encrypted: false, purpose: 'ADT and ORU messages from the interface engine' },
  { id: 'demo-flow-fhir-ehr', from: { host: 'fhir01' }, to: { host: 'ehr-app01' }, categories: ['demographics', 'medications'], protocol: 'FHIR', port: 443, encrypted: true, purpose: 'Patient-app API' },
  { id: 'demo-flow-db-backup', from: { host: 'ehr-db01' }, to: { host: 'backup01' }, categories: ['demographics', 'identifiers', 'clinical-notes', 'diagnoses', 'medications', 'lab-results'], protocol: 'bacula', port: 9102, encrypted: true, purpose: 'Nightly backup' },
  { id: 'demo-flow-pacs-archive', from: { host: 'pacs01' }, to: { vendor: 'demo-vendor-cloudvault' }, categories: ['imaging', 'identifiers'], protocol: 'HTTPS', port: 443, encrypted: true, purpose: 'Off-site archive of imaging studies' },
  { id: 'demo-flow-ehr-scribeai', from: { host: 'ehr-app01' }, to: { vendor: 'demo-vendor-scribeai' }, categories: ['clinical-notes', 'diagnoses', 'medications'], protocol: 'HTTPS', port: 443, encrypted: true, purpose: 'Visit audio and notes sent for AI summarisation' },
  { id: 'demo-flow-ehr-billing', from: { host: 'ehr-app01' }, to: { vendor: 'demo-vendor-northstar' }, categories: ['demographics', 'billing', 'insurance'], protocol: 'SFTP', port: 22, encrypted: true, purpose: 'Claims submission' },
];

/** Observed connections [from, to, port]: what flow logs would show. */
const CONNECTIONS: [string, string, number][] = [
  ...[1, 2, 3, 4, 5, 6].flatMap((n): [string, string, number][] => [
    [`ws-ward${n}`, 'ehr-app01', 443],
    [`ws-ward${n}`, 'pacs01', 8042],
  ]),
  ['ws-ward1', 'printer-ward1', 9100],
  ['ct-scanner01', 'pacs01', 4242],
  ['mri01', 'pacs01', 4242],
  ['us-cart01', 'pacs01', 4242],
  ['ehr-app01', 'ehr-db01', 1433],
  ['hl7-engine01', 'ehr-app01', 2575],
  ['fhir01', 'ehr-app01', 443],
  ['ehr-db01', 'backup01', 9102],
  ['infusion-pump01', 'hl7-engine01', 2575],
  ['jupyter01', 'ehr-db01', 1433], // research pulls from the EHR database: a good promote candidate
  ['jupyter01', 'vectordb01', 6333],
  ['ai-infer01', 'vectordb01', 6333],
  ['jupyter01', 'ai-infer01', 11434],
];

async function ensure(get: () => Promise<unknown>, create: () => Promise<unknown>): Promise<void> {
  try {
    await get();
  } catch (e) {
    if (!(e instanceof NotFoundError)) throw e;
    try {
      await create();
    } catch (err) {
      // Someone already has a vendor, person or site with this name or email: keep theirs.
      if (!(err instanceof AtlasError && err.status === 409)) throw err;
    }
  }
}

export async function seed(graph: GraphClient): Promise<void> {
  const hostnames = [...new Set([...FACTS.map((f) => f.host), ...CONNECTIONS.flatMap(([a, b]) => [a, b])])];
  const ids = await assetIdsByHostname(graph, hostnames);
  const idsOf = (hosts: string[]) => hosts.map((h) => ids.get(h)).filter((x): x is string => Boolean(x));

  await assertDemoAssetFacts(
    graph,
    FACTS.filter((f) => ids.has(f.host)).map(({ host, ...f }) => ({ assetId: ids.get(host)!, ...f })),
  );

  const vendors = new VendorRepository(graph);
  for (const { supplies, id, ...v } of VENDORS) {
    await ensure(() => vendors.get(id), () => vendors.create(v, { id, demo: true }));
    if ((await vendors.exists(id)) && supplies.length) await vendors.supplyAssets(id, idsOf(supplies));
  }
  const people = new PersonRepository(graph);
  for (const { owns, id, ...p } of PEOPLE) {
    await ensure(() => people.get(id), () => people.create(p, { id, demo: true }));
    if (await people.exists(id)) await people.assignAssets(id, idsOf(owns));
  }
  const sites = new SiteRepository(graph);
  for (const { has, id, ...s } of SITES) {
    await ensure(() => sites.get(id), () => sites.create(s, { id, demo: true }));
    if (await sites.exists(id)) await sites.locateAssets(id, idsOf(has));
  }

  const flows = new FlowRepository(graph);
  const endpoint = (r: Ref): Endpoint | null => ('host' in r ? (ids.get(r.host) ? { type: 'asset', id: ids.get(r.host)! } : null) : { type: 'vendor', id: r.vendor });
  for (const f of FLOWS) {
    const source = endpoint(f.from);
    const target = endpoint(f.to);
    if (!source || !target) continue;
    await ensure(
      () => flows.get(f.id),
      () =>
        flows.create(
          { source, target, dataCategories: f.categories, protocol: f.protocol, port: f.port, encryptedInTransit: f.encrypted, purpose: f.purpose },
          'demo',
          { id: f.id, demo: true },
        ),
    );
  }

  const at = new Date().toISOString();
  await mergeConnections(
    graph,
    CONNECTIONS.filter(([a, b]) => ids.has(a) && ids.has(b)).map(([a, b, port]) => ({
      sourceId: ids.get(a)!,
      targetId: ids.get(b)!,
      protocol: 'tcp',
      port,
      bytes: 0,
      packets: 0,
      source: 'demo',
      at,
    })),
  );
}
