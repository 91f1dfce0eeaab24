import { isStrongMac } from './mac.js';
import type { Observation } from './observation.js';

/**
 * Identity resolution, pure. An observation is matched to an existing asset by the strongest
 * key it carries:
 *   asserted asset tag → serial → cloud id → universally administered MAC → unique FQDN
 *   → IP address seen within the window, when the MACs on both sides do not disagree.
 * Two strong keys naming different assets is a conflict: the strongest key wins, the conflict
 * is reported, and nothing is merged. An IP address alone never matches across the window, and
 * never matches an asset whose MAC differs (a reused address is another machine).
 */
export type MatchKey = 'assetTag' | 'serial' | 'cloudId' | 'mac' | 'fqdn' | 'ip';
export const STRONG_KEYS: MatchKey[] = ['assetTag', 'serial', 'cloudId', 'mac', 'fqdn'];

export interface KnownInterface {
  ip: string | null;
  mac: string | null;
  lastSeen: string | null;
}

export interface KnownAsset {
  id: string;
  assetTag?: string | null;
  serial?: string | null;
  cloudId?: string | null;
  fqdn?: string | null;
  interfaces: KnownInterface[];
}

export interface Resolution {
  assetId: string | null;
  matchedBy: MatchKey | null;
  conflict: { key: MatchKey; value: string; assetId: string }[] | null;
}

export interface IdentityOptions {
  /** How long an IP address keeps pointing at the asset last seen on it. */
  ipWindowMs: number;
}

export class IdentityIndex {
  private readonly byKey = new Map<string, Set<string>>();
  private readonly byIp = new Map<string, { assetId: string; mac: string | null; lastSeen: number }[]>();
  private readonly strongMacs = new Map<string, Set<string>>();

  constructor(
    assets: KnownAsset[],
    private readonly opts: IdentityOptions,
  ) {
    for (const a of assets) this.add(a);
  }

  add(a: KnownAsset): void {
    for (const k of ['assetTag', 'serial', 'cloudId'] as const) {
      const v = a[k];
      if (v) this.put(`${k}:${v}`, a.id);
    }
    if (a.fqdn) this.put(`fqdn:${a.fqdn.toLowerCase()}`, a.id);
    for (const i of a.interfaces) {
      if (isStrongMac(i.mac)) {
        this.put(`mac:${i.mac}`, a.id);
        const s = this.strongMacs.get(a.id) ?? new Set<string>();
        s.add(i.mac);
        this.strongMacs.set(a.id, s);
      }
      if (i.ip) {
        const list = this.byIp.get(i.ip) ?? [];
        const t = i.lastSeen ? Date.parse(i.lastSeen) : 0;
        const prior = list.find((x) => x.assetId === a.id && x.mac === i.mac);
        if (prior) prior.lastSeen = Math.max(prior.lastSeen, t);
        else list.push({ assetId: a.id, mac: i.mac, lastSeen: t });
        this.byIp.set(i.ip, list);
      }
    }
  }

  private put(key: string, assetId: string): void {
    const s = this.byKey.get(key) ?? new Set<string>();
    s.add(assetId);
    this.byKey.set(key, s);
  }

  /** Records what an ingest decided, so later observations in the same batch see it. */
  record(assetId: string, obs: Observation, at: string): void {
    const ifaces: KnownInterface[] = obs.ips.length ? obs.ips.map((ip) => ({ ip, mac: obs.mac, lastSeen: at })) : [{ ip: null, mac: obs.mac, lastSeen: at }];
    this.add({ id: assetId, assetTag: obs.assetTag, serial: obs.serial, cloudId: obs.cloudId, fqdn: obs.fqdn, interfaces: ifaces });
  }

  resolve(obs: Observation, at: string): Resolution {
    const hits: { key: MatchKey; value: string; assetId: string }[] = [];
    const strong: [MatchKey, string | null][] = [
      ['assetTag', obs.assetTag],
      ['serial', obs.serial],
      ['cloudId', obs.cloudId],
      ['mac', isStrongMac(obs.mac) ? obs.mac : null],
      ['fqdn', obs.fqdn ? obs.fqdn.toLowerCase() : null],
    ];
    for (const [key, value] of strong) {
      if (!value) continue;
      const ids = this.byKey.get(`${key}:${value}`);
      // An FQDN shared by several assets (round-robin DNS, a reused name) identifies none of them.
      if (!ids || (key === 'fqdn' && ids.size !== 1)) continue;
      for (const id of ids) hits.push({ key, value, assetId: id });
    }
    const distinct = [...new Set(hits.map((h) => h.assetId))];
    if (distinct.length > 0) {
      const first = hits[0]!;
      return { assetId: first.assetId, matchedBy: first.key, conflict: distinct.length > 1 ? hits : null };
    }
    const t = Date.parse(at);
    let best: { assetId: string; lastSeen: number } | null = null;
    for (const ip of obs.ips) {
      for (const c of this.byIp.get(ip) ?? []) {
        if (Math.abs(t - c.lastSeen) > this.opts.ipWindowMs) continue;
        if (obs.mac && c.mac && obs.mac !== c.mac) continue;
        const theirs = this.strongMacs.get(c.assetId);
        if (isStrongMac(obs.mac) && theirs && theirs.size > 0 && !theirs.has(obs.mac)) continue;
        if (!best || c.lastSeen > best.lastSeen) best = c;
      }
    }
    if (best) return { assetId: best.assetId, matchedBy: 'ip', conflict: null };
    return { assetId: null, matchedBy: null, conflict: null };
  }
}
