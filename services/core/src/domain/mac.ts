import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';

/**
 * MAC address helpers. A MAC is a strong identity key only when it is universally administered
 * (the IEEE assigned its OUI): bit 1 of the first octet set means "locally administered", which
 * is what phones, laptops (Wi-Fi privacy), VMs and containers use for random addresses.
 */
const MAC_RE = /^([0-9a-f]{2})[:-]?([0-9a-f]{2})[:-]?([0-9a-f]{2})[:-]?([0-9a-f]{2})[:-]?([0-9a-f]{2})[:-]?([0-9a-f]{2})$/i;

/** `aa-bb-cc-dd-ee-ff`, `aabb.ccdd.eeff` and `aabbccddeeff` become `AA:BB:CC:DD:EE:FF`; anything else is null. */
export function normalizeMac(raw: string | null | undefined): string | null {
  if (!raw) return null;
  const m = MAC_RE.exec(raw.trim().replace(/\./g, ''));
  if (!m) return null;
  return m.slice(1, 7).join(':').toUpperCase();
}

export type MacKind = 'universal' | 'local' | 'multicast';

export function macKind(mac: string): MacKind {
  const first = parseInt(mac.slice(0, 2), 16);
  if (first & 0x01) return 'multicast';
  return first & 0x02 ? 'local' : 'universal';
}

/** True when the MAC can identify a device across time and addresses. */
export function isStrongMac(mac: string | null | undefined): mac is string {
  if (!mac) return false;
  if (mac === '00:00:00:00:00:00' || mac === 'FF:FF:FF:FF:FF:FF') return false;
  return macKind(mac) === 'universal';
}

let oui: Record<string, string> | undefined;

/** The organisation the IEEE registered the MAC's OUI to (first line of the registry entry), or null. */
export function ouiVendor(mac: string | null | undefined): string | null {
  if (!mac || !isStrongMac(mac)) return null;
  if (!oui) {
    const path = createRequire(import.meta.url).resolve('oui-data');
    oui = JSON.parse(readFileSync(path, 'utf8')) as Record<string, string>;
  }
  const entry = oui[mac.replace(/:/g, '').slice(0, 6)];
  if (!entry) return null;
  const name = entry.split('\n')[0]?.trim();
  return name && name !== 'Private' ? name : null;
}
