import type { NmapHost, NmapRunInfo } from '../../../discovery/src/nmap/nmap-types.js';
import { isStrongMac, macKind, normalizeMac, ouiVendor, type MacKind } from './mac.js';
import { normalizeIp } from './subnet.js';

/**
 * The transform step: one parsed host becomes one Observation, plain data with every field the
 * graph keeps. Nothing here touches the database, so identity and change rules are unit-tested.
 */
export interface ServiceObservation {
  protocol: string;
  port: number;
  state: string;
  reason: string | null;
  name: string | null;
  product: string | null;
  version: string | null;
  extrainfo: string | null;
  ostype: string | null;
  devicetype: string | null;
  method: string | null;
  conf: number | null;
  tunnel: string | null;
  cpe: string[];
  /** NSE results as a JSON string: [{id, output, elements?}]. */
  scripts: string | null;
  scriptIds: string[];
}

export interface Observation {
  ips: string[];
  mac: string | null;
  macKind: MacKind | null;
  macVendor: string | null;
  /** `name (type)` pairs flattened for storage: names[i] has type hostnameTypes[i]. */
  hostnames: string[];
  hostnameTypes: string[];
  fqdn: string | null;
  assetTag: string | null;
  serial: string | null;
  cloudId: string | null;
  os: string | null;
  osAccuracy: number | null;
  osMatches: string | null;
  osKind: string | null;
  uptimeSeconds: number | null;
  lastBoot: string | null;
  distance: number | null;
  hostScripts: string | null;
  /** True when the host record carries port results, so absent ports can be read as closed. */
  portsScanned: boolean;
  services: ServiceObservation[];
}

/** OS class types nmap reports, mapped onto the controlled asset kinds. */
const OS_TYPE_KIND: Record<string, string> = {
  router: 'network-device',
  switch: 'network-device',
  firewall: 'network-device',
  'load balancer': 'network-device',
  WAP: 'network-device',
  bridge: 'network-device',
  printer: 'printer',
  'print server': 'printer',
  phone: 'mobile',
  'VoIP phone': 'iot',
  webcam: 'iot',
  'media device': 'iot',
  'specialized': 'iot',
  'storage-misc': 'storage-media',
  'general purpose': 'server',
};

export function isFqdn(name: string): boolean {
  const n = name.toLowerCase();
  return n.includes('.') && !n.startsWith('localhost') && !/^[\d.]+$/.test(n) && !n.endsWith('.in-addr.arpa') && !n.endsWith('.ip6.arpa');
}

export function hostToObservation(h: NmapHost): Observation | null {
  const ips: string[] = [];
  let mac: string | null = null;
  let nmapVendor: string | null = null;
  for (const a of h.addresses) {
    if (a.addrtype === 'mac') {
      mac = normalizeMac(a.addr);
      nmapVendor = a.vendor ?? null;
    } else {
      const ip = normalizeIp(a.addr);
      if (ip && !ips.includes(ip)) ips.push(ip);
    }
  }
  if (ips.length === 0 && !mac) return null;
  const seen = new Set<string>();
  const hostnames: string[] = [];
  const hostnameTypes: string[] = [];
  for (const hn of h.hostnames) {
    const name = hn.name.trim();
    const k = `${name}\u0000${hn.type ?? ''}`;
    if (!name || seen.has(k)) continue;
    seen.add(k);
    hostnames.push(name);
    hostnameTypes.push(hn.type ?? '');
  }
  const fqdns = [...new Set(hostnames.filter(isFqdn).map((n) => n.toLowerCase()))];
  const best = h.os.matches[0];
  const classes = best?.classes.length ? best.classes : (h.os.classes ?? []);
  const osType = classes[0]?.type;
  return {
    ips,
    mac,
    macKind: mac ? macKind(mac) : null,
    macVendor: nmapVendor ?? ouiVendor(mac),
    hostnames,
    hostnameTypes,
    fqdn: fqdns[0] ?? null,
    assetTag: null,
    serial: null,
    cloudId: null,
    os: best?.name ?? null,
    osAccuracy: best?.accuracy ?? null,
    osMatches: h.os.matches.length ? JSON.stringify(h.os.matches) : null,
    osKind: osType ? (OS_TYPE_KIND[osType] ?? null) : null,
    uptimeSeconds: h.uptime?.seconds ?? null,
    lastBoot: h.uptime?.lastBoot ?? null,
    distance: h.distance ?? null,
    hostScripts: h.hostScripts.length ? JSON.stringify(h.hostScripts) : null,
    portsScanned: h.ports.length > 0 || h.extraPorts.length > 0,
    services: h.ports.map((p) => ({
      protocol: p.protocol,
      port: p.portid,
      state: p.state,
      reason: p.reason ?? null,
      name: p.service?.name ?? null,
      product: p.service?.product ?? null,
      version: p.service?.version ?? null,
      extrainfo: p.service?.extrainfo ?? null,
      ostype: p.service?.ostype ?? null,
      devicetype: p.service?.devicetype ?? null,
      method: p.service?.method ?? null,
      conf: p.service?.conf ?? null,
      tunnel: p.service?.tunnel ?? null,
      cpe: p.service?.cpe ?? [],
      scripts: p.scripts.length ? JSON.stringify(p.scripts) : null,
      scriptIds: p.scripts.map((s) => s.id),
    })),
  };
}

export { isStrongMac };

/** Port ranges a run probed, per protocol, from nmap's `<scaninfo services="1-1000,8080">`. */
export type ScannedPorts = Partial<Record<string, [number, number][]>>;

export function scannedPortsOf(run: Pick<NmapRunInfo, 'scanInfo'> | null | undefined): ScannedPorts {
  const out: ScannedPorts = {};
  for (const si of run?.scanInfo ?? []) {
    if (!si.protocol || !si.services) continue;
    const ranges: [number, number][] = [];
    for (const part of si.services.split(',')) {
      const m = /^(?:[TUS]:)?(\d+)(?:-(\d+))?$/.exec(part.trim());
      if (m) ranges.push([Number(m[1]), Number(m[2] ?? m[1])]);
    }
    out[si.protocol] = [...(out[si.protocol] ?? []), ...ranges];
  }
  return out;
}

export function portScanned(scanned: ScannedPorts, protocol: string, port: number): boolean | null {
  const ranges = scanned[protocol];
  if (!ranges) return null;
  return ranges.some(([lo, hi]) => port >= lo && port <= hi);
}
