import type { AssetKind, EphiRole } from '../../../../graph-schema/src/schema.js';
import type { NmapHost, NmapPort } from '../../../discovery/src/nmap/nmap-types.js';
import { PROFILES, type Profile } from './profiles.js';
import { hash32, intBelow, pick, rngFor, shuffle, mulberry32, type Rng } from './random.js';
import { hospitalVendors, type VendorDef } from './vendors.js';

/**
 * A deterministic, seeded hospital network at any size from a few hundred to 250k assets:
 * sites, subnets, assets with realistic kinds and services (DICOM, HL7, FHIR, AI inference),
 * vendors with and without BAAs, ePHI flows, observed connections, stale and fresh assets.
 *
 * Same (assets, seed, now) → byte-identical output. Asset i draws from its own random stream,
 * so `hostAt(i)` is cheap and random-access and a 100k-host scan can be streamed to a file
 * without holding the network in memory. Addresses are data only: nothing ever scans them.
 */
export interface HospitalOptions {
  assets: number;
  seed?: number;
  /** The generator's clock: lastSeen/firstSeen and BAA dates are relative to it. */
  now?: string;
  /** Share of assets not seen for more than 30 days (default 0.08). */
  staleShare?: number;
}

export interface SiteDef {
  id: string;
  name: string;
  kind: 'hospital' | 'clinic';
  /** Second octet of the first of the site's four /16s (10.x.0.0/14). */
  octet: number;
}

export interface SubnetDef {
  cidr: string;
  siteId: string;
  zone: Profile['zone'];
  vlan: number;
}

export interface AssetRecord {
  index: number;
  ip: string;
  /** The device's MAC; nmap only sees it for hosts on the scanner's site (`macVisible`). */
  mac: string;
  macVendor: string;
  macVisible: boolean;
  hostname: string | null;
  profile: string;
  kind: AssetKind;
  ephiRole: EphiRole;
  isAi: boolean;
  dataStore: boolean;
  siteId: string;
  subnet: string;
  /** Index into `subnets`; assets of one subnet form one map group. */
  group: number;
  vendorId: string | null;
  firstSeen: string;
  lastSeen: string;
  stale: boolean;
}

export type FlowEndpoint = { asset: string } | { vendor: string };

export interface FlowDef {
  id: string;
  from: FlowEndpoint;
  to: FlowEndpoint;
  dataCategories: string[];
  protocol: string;
  port: number;
  encryptedInTransit: boolean;
  purpose: string;
  origin: 'asserted' | 'observed';
}

export interface ConnectionDef {
  /** IPs of the two assets. */
  from: string;
  to: string;
  protocol: 'tcp' | 'udp';
  port: number;
  bytes: number;
  packets: number;
}

export interface HospitalPlan {
  options: Required<HospitalOptions>;
  sites: SiteDef[];
  subnets: SubnetDef[];
  vendors: VendorDef[];
  size: number;
  assetAt(index: number): AssetRecord;
  hostAt(index: number): NmapHost;
  /** Indexes of the assets of one profile, in index order. */
  indexesOf(profileId: string): number[];
}

export const DEFAULT_SEED = 20250106; // the NPRM's publication date
export const DEFAULT_NOW = '2026-01-01T00:00:00.000Z';
export const MAX_ASSETS = 250_000;
/** Bumped whenever the same seed would give different data (files written by older versions are stale). */
export const GENERATOR_VERSION = 2;
const HOSTS_PER_SUBNET = 200;
const DOMAIN = 'hospital.example';
const DAY = 86_400_000;

// Streams: one per purpose, so adding a draw in one place does not shift another.
const S_LAYOUT = 1;
const S_ASSET = 2;
const S_FLOW = 3;
const S_CONN = 4;

const DC_ZONES = new Set<Profile['zone']>(['clinical-dc', 'research']);

export function planHospital(input: HospitalOptions): HospitalPlan {
  const options: Required<HospitalOptions> = { seed: DEFAULT_SEED, now: DEFAULT_NOW, staleShare: 0.08, ...input };
  const total = options.assets;
  if (!Number.isInteger(total) || total < 1 || total > MAX_ASSETS) throw new RangeError(`assets must be an integer from 1 to ${MAX_ASSETS}, got ${total}`);
  if (!(options.staleShare >= 0 && options.staleShare <= 1)) throw new RangeError(`staleShare must be within 0..1, got ${options.staleShare}`);
  const now = new Date(options.now);
  if (Number.isNaN(now.getTime())) throw new RangeError(`now must be an ISO date, got ${options.now}`);
  const seed = options.seed >>> 0;

  // Sites: one main campus (with the data centre) and clinics; the main campus holds 40%.
  const siteCount = Math.min(16, Math.max(2, Math.ceil(total / 8000) + 1));
  const sites: SiteDef[] = Array.from({ length: siteCount }, (_, s) => ({
    id: `site-${String(s).padStart(2, '0')}`,
    name: s === 0 ? 'Main Campus Hospital' : `Community Clinic ${s}`,
    kind: s === 0 ? 'hospital' : 'clinic',
    octet: 16 + 4 * s,
  }));

  // Assets per profile (largest remainder), then per site: data-centre profiles at site 0 only.
  const shareSum = PROFILES.reduce((n, p) => n + p.share, 0);
  const perProfile = largestRemainder(PROFILES.map((p) => (p.share / shareSum) * total), total);
  const siteWeights = sites.map((_, s) => (s === 0 ? 0.4 : 0.6 / (siteCount - 1)));
  const bySiteZone = new Map<string, number[]>(); // "site|zone" -> profile indexes, one per asset
  PROFILES.forEach((profile, p) => {
    const counts = DC_ZONES.has(profile.zone) ? sites.map((_, s) => (s === 0 ? perProfile[p]! : 0)) : largestRemainder(siteWeights.map((w) => w * perProfile[p]!), perProfile[p]!);
    counts.forEach((count, s) => {
      const key = `${s}|${profile.zone}`;
      const list = bySiteZone.get(key) ?? [];
      for (let k = 0; k < count; k++) list.push(p);
      bySiteZone.set(key, list);
    });
  });

  const profileOf = new Uint8Array(total);
  const groupOf = new Uint16Array(total);
  const hostOctet = new Uint8Array(total);
  const subnets: SubnetDef[] = [];
  const layoutRng = mulberry32(hash32(seed, S_LAYOUT));
  let index = 0;
  const zones = [...new Set(PROFILES.map((p) => p.zone))];
  sites.forEach((site, s) => {
    let vlan = 0;
    for (const zone of zones) {
      const members = shuffle(layoutRng, bySiteZone.get(`${s}|${zone}`) ?? []);
      for (let start = 0; start < members.length; start += HOSTS_PER_SUBNET) {
        if (vlan >= 4 * 256) throw new RangeError(`too many assets for site ${site.id}: lower assets or raise the site count`);
        subnets.push({ cidr: `10.${site.octet + (vlan >> 8)}.${vlan & 255}.0/24`, siteId: site.id, zone, vlan });
        const group = subnets.length - 1;
        const chunk = members.slice(start, start + HOSTS_PER_SUBNET);
        chunk.forEach((p, k) => {
          profileOf[index] = p;
          groupOf[index] = group;
          hostOctet[index] = 10 + k;
          index += 1;
        });
        vlan += 1;
      }
    }
  });

  const vendors = hospitalVendors(now);
  const byProfile = new Map<string, number[]>();
  for (let i = 0; i < total; i++) {
    const id = PROFILES[profileOf[i]!]!.id;
    (byProfile.get(id) ?? byProfile.set(id, []).get(id)!).push(i);
  }

  const assetAt = (i: number): AssetRecord => {
    if (!(i >= 0 && i < total)) throw new RangeError(`asset index ${i} out of range`);
    const profile = PROFILES[profileOf[i]!]!;
    const subnet = subnets[groupOf[i]!]!;
    const site = sites.find((x) => x.id === subnet.siteId)!;
    const rng = rngFor(seed, S_ASSET, i);
    const mv = pick(rng, profile.macVendors);
    const serial = (i + 1).toString(16).toUpperCase().padStart(6, '0');
    const mac = `${mv.oui}:${serial.slice(-6, -4)}:${serial.slice(-4, -2)}:${serial.slice(-2)}`;
    const stale = rng() < options.staleShare;
    const lastSeen = new Date(now.getTime() - (stale ? 31 + intBelow(rng, 170) : intBelow(rng, 3)) * DAY - intBelow(rng, DAY));
    const firstSeen = new Date(lastSeen.getTime() - intBelow(rng, 700) * DAY);
    const named = rng() < 0.85;
    return {
      index: i,
      ip: `10.${site.octet + (subnet.vlan >> 8)}.${subnet.vlan & 255}.${hostOctet[i]}`,
      mac,
      macVendor: mv.vendor,
      macVisible: site.octet === sites[0]!.octet,
      hostname: named ? `${profile.hostPrefix}-${site.id.slice(5)}-${String(i).padStart(6, '0')}.${DOMAIN}` : null,
      profile: profile.id,
      kind: profile.kind,
      ephiRole: profile.ephiRole,
      isAi: profile.isAi ?? false,
      dataStore: profile.dataStore ?? false,
      siteId: site.id,
      subnet: subnet.cidr,
      group: groupOf[i]!,
      vendorId: vendorFor(profile, mv.vendor, vendors),
      firstSeen: firstSeen.toISOString(),
      lastSeen: lastSeen.toISOString(),
      stale,
    };
  };

  const hostAt = (i: number): NmapHost => toNmapHost(assetAt(i), PROFILES[profileOf[i]!]!, rngFor(seed, S_ASSET + 100, i), now);

  return {
    options,
    sites,
    subnets,
    vendors,
    size: total,
    assetAt,
    hostAt,
    indexesOf: (profileId) => byProfile.get(profileId) ?? [],
  };
}

/** All hosts, one at a time, in index order. */
export function* hospitalHosts(plan: HospitalPlan): Generator<NmapHost> {
  for (let i = 0; i < plan.size; i++) yield plan.hostAt(i);
}

export function* hospitalAssets(plan: HospitalPlan): Generator<AssetRecord> {
  for (let i = 0; i < plan.size; i++) yield plan.assetAt(i);
}

/**
 * ePHI flows as a clinical informatics team would draw them: modalities → PACS → archive and
 * radiology AI; bedside devices → HL7 engine → EHR → databases → NAS → cloud backup; FHIR
 * → telehealth; AI servers → AI vendors (some without a BAA); workstations → EHR.
 */
export function hospitalFlows(plan: HospitalPlan): FlowDef[] {
  const rng = mulberry32(hash32(plan.options.seed, S_FLOW));
  const ips = (profile: string) => plan.indexesOf(profile).map((i) => plan.assetAt(i).ip);
  const pacs = ips('pacs');
  const ehr = ips('ehr');
  const hl7 = ips('hl7-engine');
  const fhir = ips('fhir');
  const dbs = ips('database');
  const nas = ips('nas');
  const ai = ips('ai-inference');
  const vendor = (role: VendorDef['role']) => plan.vendors.filter((v) => v.role === role).map((v) => v.id);
  const flows: FlowDef[] = [];
  const add = (from: FlowEndpoint, to: FlowEndpoint, f: Omit<FlowDef, 'id' | 'from' | 'to' | 'origin'>, origin: FlowDef['origin'] = 'asserted') =>
    flows.push({ id: `flow-${String(flows.length).padStart(6, '0')}`, from, to, origin, ...f });
  const any = <T>(items: T[]): T | undefined => (items.length ? pick(rng, items) : undefined);
  const asset = (ip: string | undefined) => (ip ? { asset: ip } : undefined);

  const target = (list: string[]) => asset(any(list));
  const link = (from: FlowEndpoint | undefined, to: FlowEndpoint | undefined, f: Omit<FlowDef, 'id' | 'from' | 'to' | 'origin'>, origin?: FlowDef['origin']) => {
    if (from && to) add(from, to, f, origin);
  };
  const DICOM = { dataCategories: ['imaging'], protocol: 'dicom', port: 104, encryptedInTransit: false, purpose: 'image storage' };
  const HL7 = { dataCategories: ['orders', 'results', 'demographics'], protocol: 'hl7-mllp', port: 2575, encryptedInTransit: false, purpose: 'interface engine feed' };
  const HTTPS = (cats: string[], purpose: string) => ({ dataCategories: cats, protocol: 'https', port: 443, encryptedInTransit: true, purpose });

  for (const ip of ips('imaging-modality')) link({ asset: ip }, target(pacs), DICOM, rng() < 0.3 ? 'observed' : 'asserted');
  for (const ip of pacs) {
    link({ asset: ip }, { vendor: pick(rng, vendor('imaging-archive')) }, HTTPS(['imaging'], 'off-site image archive'));
    link({ asset: ip }, target(ai), { ...DICOM, purpose: 'AI triage of studies' });
  }
  for (const i of plan.indexesOf('bedside-device')) {
    if (rng() < 0.25) link({ asset: plan.assetAt(i).ip }, target(hl7), { ...HL7, dataCategories: ['vitals'], purpose: 'device integration' }, 'observed');
  }
  for (const ip of hl7) {
    link({ asset: ip }, target(ehr), HL7);
    link({ asset: ip }, { vendor: pick(rng, vendor('lab')) }, { ...HL7, dataCategories: ['orders', 'results'], purpose: 'reference lab orders', encryptedInTransit: true, protocol: 'hl7-mllp-tls' });
  }
  for (const ip of ehr) {
    link({ asset: ip }, target(dbs), { dataCategories: ['clinical-notes', 'demographics', 'billing'], protocol: 'tds', port: 1433, encryptedInTransit: rng() < 0.5, purpose: 'EHR database' });
    link({ asset: ip }, { vendor: pick(rng, vendor('billing')) }, HTTPS(['billing', 'demographics'], 'claims'));
    link({ asset: ip }, { vendor: pick(rng, vendor('eprescribing')) }, HTTPS(['medications'], 'e-prescribing'));
    if (rng() < 0.5) link({ asset: ip }, { vendor: pick(rng, vendor('ai-scribe')) }, HTTPS(['clinical-notes', 'audio'], 'ambient documentation'));
  }
  for (const ip of fhir) {
    link({ asset: ip }, target(ehr), HTTPS(['demographics', 'clinical-notes'], 'FHIR API'));
    link({ asset: ip }, { vendor: pick(rng, vendor('telehealth')) }, HTTPS(['demographics', 'appointments'], 'telehealth visits'));
  }
  for (const ip of dbs) link({ asset: ip }, target(nas), { dataCategories: ['backup'], protocol: 'nfs', port: 2049, encryptedInTransit: false, purpose: 'database backup' });
  for (const ip of nas) link({ asset: ip }, { vendor: pick(rng, vendor('backup')) }, HTTPS(['backup'], 'off-site backup'));
  for (const ip of ai) link({ asset: ip }, { vendor: pick(rng, [...vendor('ai-llm'), ...vendor('ai-radiology')]) }, HTTPS(['clinical-notes'], 'LLM summarisation'));
  for (const i of plan.indexesOf('clinical-workstation')) {
    if (rng() < 0.1) link({ asset: plan.assetAt(i).ip }, target(ehr), HTTPS(['clinical-notes', 'demographics'], 'EHR client'), 'observed');
  }
  for (const i of plan.indexesOf('mobile')) {
    if (rng() < 0.05) link({ asset: plan.assetAt(i).ip }, target(fhir), HTTPS(['demographics'], 'clinician mobile app'));
  }
  return flows;
}

/**
 * Observed connections (flow logs), `perAsset` outgoing per asset: 90% inside the asset's own
 * subnet, 10% to data-centre servers anywhere — the shape that makes reach queries realistic.
 */
export function* hospitalConnections(plan: HospitalPlan, perAsset = 5): Generator<ConnectionDef> {
  const servers = ['windows-server', 'linux-server', 'database', 'ehr', 'pacs', 'hl7-engine', 'fhir', 'nas', 'virtual-machine'].flatMap((p) => plan.indexesOf(p));
  const groupStart: number[] = [];
  const groupSize: number[] = [];
  for (let i = 0; i < plan.size; i++) {
    const g = plan.assetAt(i).group;
    if (groupStart[g] === undefined) groupStart[g] = i;
    groupSize[g] = (groupSize[g] ?? 0) + 1;
  }
  for (let i = 0; i < plan.size; i++) {
    const rng = rngFor(plan.options.seed, S_CONN, i);
    const me = plan.assetAt(i);
    for (let k = 0; k < perAsset; k++) {
      const local = rng() < 0.9 || servers.length === 0;
      const j = local ? groupStart[me.group]! + intBelow(rng, groupSize[me.group]!) : pick(rng, servers);
      if (j === i) continue;
      const other = plan.assetAt(j);
      const port = pick(rng, [443, 445, 22, 104, 2575, 1433, 80, 3389]);
      yield { from: me.ip, to: other.ip, protocol: 'tcp', port, bytes: 1000 + intBelow(rng, 5_000_000), packets: 10 + intBelow(rng, 5000) };
    }
  }
}

export interface HospitalNetwork {
  sites: SiteDef[];
  subnets: SubnetDef[];
  vendors: VendorDef[];
  assets: AssetRecord[];
  hosts: NmapHost[];
  flows: FlowDef[];
}

/** The whole network as plain data (fine up to 100k assets; stream `hospitalHosts` beyond). */
export function generateHospitalNetwork(options: HospitalOptions): HospitalNetwork {
  const plan = planHospital(options);
  return {
    sites: plan.sites,
    subnets: plan.subnets,
    vendors: plan.vendors,
    assets: [...hospitalAssets(plan)],
    hosts: [...hospitalHosts(plan)],
    flows: hospitalFlows(plan),
  };
}

// ---------------------------------------------------------------------------------------------

function largestRemainder(quotas: number[], total: number): number[] {
  const floors = quotas.map(Math.floor);
  let rest = total - floors.reduce((a, b) => a + b, 0);
  const order = quotas.map((q, i) => [q - Math.floor(q), i] as const).sort((a, b) => b[0] - a[0] || a[1] - b[1]);
  for (const [, i] of order) {
    if (rest <= 0) break;
    floors[i]! += 1;
    rest -= 1;
  }
  return floors;
}

function vendorFor(profile: Profile, macVendor: string, vendors: VendorDef[]): string | null {
  if (profile.kind === 'medical-device') {
    const maker = vendors.find((v) => v.role === 'device-maker' && macVendor.toLowerCase().startsWith(v.name.split(' ')[0]!.toLowerCase()));
    return maker?.id ?? null;
  }
  if (profile.id === 'ehr') return 'v-ehr';
  if (profile.id === 'network-device' || profile.kind === 'workstation') return 'v-msp';
  if (profile.zone === 'facilities') return 'v-hvac';
  return null;
}

function toNmapHost(a: AssetRecord, profile: Profile, rng: Rng, now: Date): NmapHost {
  const os = pick(rng, profile.os);
  const ports: NmapPort[] = [];
  for (const t of profile.services) {
    if (t.p !== undefined && rng() >= t.p) continue;
    const product = t.products?.length ? pick(rng, t.products) : undefined;
    const cpe = product?.cpe ? [product.cpe] : [];
    ports.push({
      protocol: t.protocol ?? 'tcp',
      portid: t.port,
      state: t.protocol === 'udp' ? 'open|filtered' : 'open',
      reason: t.protocol === 'udp' ? 'no-response' : 'syn-ack',
      service: {
        name: t.name,
        ...(product ? { product: product.product } : {}),
        ...(product?.version ? { version: product.version } : {}),
        ...(profile.kind === 'medical-device' || profile.kind === 'iot' ? { devicetype: 'specialized' } : {}),
        method: product ? 'probed' : 'table',
        conf: product ? 10 : 3,
        cpe,
      },
      scripts: t.script ? [{ id: t.script.id, output: t.script.output }] : [],
    });
  }
  ports.sort((x, y) => (x.protocol === y.protocol ? x.portid - y.portid : x.protocol < y.protocol ? -1 : 1));
  const start = Math.floor(now.getTime() / 1000) - 3600 + (a.index % 3000);
  const closedCount = 1000 - ports.filter((p) => p.protocol === 'tcp').length;
  const openTcp = ports.find((p) => p.protocol === 'tcp');
  return {
    status: 'up',
    statusReason: a.macVisible ? 'arp-response' : 'echo-reply',
    startTime: new Date(start * 1000).toISOString(),
    endTime: new Date((start + 12 + intBelow(rng, 40)) * 1000).toISOString(),
    addresses: [{ addr: a.ip, addrtype: 'ipv4' }, ...(a.macVisible ? [{ addr: a.mac, addrtype: 'mac' as const, vendor: a.macVendor }] : [])],
    hostnames: a.hostname ? [{ name: a.hostname, type: 'PTR' }] : [],
    ports,
    extraPorts: [{ state: rng() < 0.7 ? 'closed' : 'filtered', count: closedCount }],
    os: {
      matches: [{ name: os.name, accuracy: 90 + intBelow(rng, 11), classes: [{ type: os.type, vendor: os.vendor, osfamily: os.family, ...(os.gen ? { osgen: os.gen } : {}), accuracy: 95, cpe: [os.cpe] }] }],
      portsUsed: openTcp ? [{ state: 'open', proto: 'tcp', portid: openTcp.portid }] : [],
    },
    uptime: { seconds: 3600 + intBelow(rng, 3_000_000) },
    distance: a.macVisible ? 1 : 3,
    hostScripts: [],
  };
}
