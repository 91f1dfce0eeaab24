import { createHash } from 'node:crypto';
import type { Observation, ScannedPorts } from './observation.js';
import { portScanned } from './observation.js';

/**
 * Change events derived on ingest by comparing an observation with what the graph held before.
 * Event ids are a hash of (asset, type, time, subject), so re-importing a file, or a retried
 * transaction, produces the same ids and MERGE adds nothing.
 */
export const CHANGE_TYPES = [
  'asset-new',
  'port-opened',
  'port-closed',
  'service-changed',
  'os-changed',
  'ip-changed',
  'mac-changed',
  'asset-missed',
  'asset-returned',
  'assertion-changed',
  'asset-merged',
  'asset-split',
  'identity-conflict',
] as const;
export type ChangeType = (typeof CHANGE_TYPES)[number];

export interface ChangeEventRow {
  id: string;
  type: ChangeType;
  assetId: string;
  at: string;
  summary: string;
  /** JSON string: {before, after, …} */
  detail: string;
}

export interface PriorService {
  protocol: string;
  port: number;
  state: string | null;
  product: string | null;
  version: string | null;
}

export interface PriorState {
  os: string | null;
  ips: string[];
  mac: string | null;
  status: string | null;
  services: PriorService[];
}

export function eventId(assetId: string, type: string, at: string, subject: string): string {
  return 'chg-' + createHash('sha256').update(`${assetId}|${type}|${at}|${subject}`).digest('hex').slice(0, 24);
}

export function changeEvent(type: ChangeType, assetId: string, at: string, subject: string, summary: string, detail: Record<string, unknown>): ChangeEventRow {
  return { id: eventId(assetId, type, at, subject), type, assetId, at, summary, detail: JSON.stringify(detail) };
}

const label = (p: { protocol: string; port: number }) => `${p.port}/${p.protocol}`;
const pv = (s: { product: string | null; version: string | null }) => [s.product, s.version].filter(Boolean).join(' ') || null;

export function diffObservation(
  assetId: string,
  prior: PriorState | null,
  obs: Observation,
  ctx: { at: string; scanned: ScannedPorts; matchedBy: string | null },
): ChangeEventRow[] {
  const { at } = ctx;
  const name = obs.fqdn ?? obs.hostnames[0] ?? obs.ips[0] ?? obs.mac ?? assetId;
  if (!prior) {
    const open = obs.services.filter((s) => s.state === 'open').map(label);
    return [changeEvent('asset-new', assetId, at, '', `New asset ${name}`, { ips: obs.ips, mac: obs.mac, hostnames: obs.hostnames, openPorts: open })];
  }
  const out: ChangeEventRow[] = [];
  if (prior.status === 'missed') out.push(changeEvent('asset-returned', assetId, at, '', `${name} is seen again`, { before: 'missed', after: 'up' }));
  const before = new Map(prior.services.map((s) => [label(s), s]));
  const now = new Map(obs.services.map((s) => [label(s), s]));
  for (const [k, s] of now) {
    const p = before.get(k);
    if (s.state === 'open' && p?.state !== 'open') {
      out.push(changeEvent('port-opened', assetId, at, k, `Port ${k} opened on ${name}`, { port: s.port, protocol: s.protocol, before: p?.state ?? null, after: s.state, service: s.name, product: s.product, version: s.version }));
    } else if (s.state !== 'open' && p?.state === 'open') {
      out.push(changeEvent('port-closed', assetId, at, k, `Port ${k} ${s.state} on ${name}`, { port: s.port, protocol: s.protocol, before: 'open', after: s.state }));
    } else if (s.state === 'open' && p && (s.product || s.version) && pv(p) !== pv(s) && (p.product || p.version)) {
      out.push(changeEvent('service-changed', assetId, at, `${k}:${pv(s)}`, `${k} on ${name}: ${pv(p)} → ${pv(s)}`, { port: s.port, protocol: s.protocol, before: { product: p.product, version: p.version }, after: { product: s.product, version: s.version } }));
    }
  }
  if (obs.portsScanned) {
    for (const [k, p] of before) {
      if (p.state !== 'open' || now.has(k)) continue;
      const covered = portScanned(ctx.scanned, p.protocol, p.port);
      if (covered === false || (covered === null && !obs.services.some((s) => s.protocol === p.protocol))) continue;
      out.push(changeEvent('port-closed', assetId, at, k, `Port ${k} no longer open on ${name}`, { port: p.port, protocol: p.protocol, before: 'open', after: 'not-reported' }));
    }
  }
  if (obs.os && prior.os && obs.os !== prior.os) {
    out.push(changeEvent('os-changed', assetId, at, obs.os, `OS of ${name}: ${prior.os} → ${obs.os}`, { before: prior.os, after: obs.os }));
  }
  if (ctx.matchedBy !== 'ip' && obs.ips.length && prior.ips.length) {
    const added = obs.ips.filter((ip) => !prior.ips.includes(ip));
    if (added.length) {
      out.push(changeEvent('ip-changed', assetId, at, added.join(','), `${name} now at ${obs.ips.join(', ')} (was ${prior.ips.join(', ')})`, { before: prior.ips, after: obs.ips, matchedBy: ctx.matchedBy }));
    }
  }
  if (ctx.matchedBy !== 'mac' && obs.mac && prior.mac && obs.mac !== prior.mac) {
    out.push(changeEvent('mac-changed', assetId, at, obs.mac, `MAC of ${name}: ${prior.mac} → ${obs.mac}`, { before: prior.mac, after: obs.mac }));
  }
  return out;
}
