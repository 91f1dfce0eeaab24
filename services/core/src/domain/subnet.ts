import ipaddr from 'ipaddr.js';

/**
 * Subnet derivation and address tests. Without declared subnets an IPv4 address belongs to its
 * /24 and an IPv6 address to its /64, which is how most hospital networks are cut.
 */
export function normalizeIp(raw: string): string | null {
  try {
    const a = ipaddr.parse(raw.trim());
    if (a.kind() === 'ipv6' && (a as ipaddr.IPv6).isIPv4MappedAddress()) return (a as ipaddr.IPv6).toIPv4Address().toString();
    return a.toString();
  } catch {
    return null;
  }
}

export function ipFamily(ip: string): 'ipv4' | 'ipv6' {
  return ip.includes(':') ? 'ipv6' : 'ipv4';
}

export function subnetOf(ip: string): string | null {
  try {
    const a = ipaddr.parse(ip);
    const bits = a.kind() === 'ipv4' ? 24 : 64;
    const bytes = a.toByteArray();
    const keep = bits / 8;
    for (let i = keep; i < bytes.length; i++) bytes[i] = 0;
    return `${ipaddr.fromByteArray(bytes).toString()}/${bits}`;
  } catch {
    return null;
  }
}

/** A parsed CIDR or single address, for coverage tests. */
export type Range = [ipaddr.IPv4 | ipaddr.IPv6, number];

export function parseRange(text: string): Range | null {
  try {
    if (text.includes('/')) return ipaddr.parseCIDR(text);
    const a = ipaddr.parse(text);
    return [a, a.kind() === 'ipv4' ? 32 : 128];
  } catch {
    return null;
  }
}

export function inRange(ip: string, range: Range): boolean {
  try {
    const a = ipaddr.parse(ip);
    return a.kind() === range[0].kind() && a.match(range);
  } catch {
    return false;
  }
}

/** nmap's `a.b.c.d-e` last-octet range, as single addresses (at most 256). */
export function expandOctetRange(text: string): string[] | null {
  const m = /^(\d{1,3}\.\d{1,3}\.\d{1,3}\.)(\d{1,3})-(\d{1,3})$/.exec(text);
  if (!m) return null;
  const lo = Number(m[2]);
  const hi = Number(m[3]);
  if (lo > hi || hi > 255) return null;
  const out: string[] = [];
  for (let i = lo; i <= hi; i++) out.push(`${m[1]}${i}`);
  return out;
}
