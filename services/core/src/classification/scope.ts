import ipaddr from 'ipaddr.js';

/**
 * Whether an address may be probed: inside one of the authorised CIDRs (ATLAS_SCAN_SCOPE, comma
 * separated), deny by default. Only used for the bounded enrichment GET; scans have their own
 * validator in the discovery service.
 */
export function parseScope(scope: string): [ipaddr.IPv4 | ipaddr.IPv6, number][] {
  const out: [ipaddr.IPv4 | ipaddr.IPv6, number][] = [];
  for (const part of scope.split(',').map((s) => s.trim()).filter(Boolean)) {
    try {
      out.push(part.includes('/') ? ipaddr.parseCIDR(part) : [ipaddr.parse(part), ipaddr.parse(part).kind() === 'ipv4' ? 32 : 128]);
    } catch {
      /* an unparsable entry authorises nothing */
    }
  }
  return out;
}

export function inScope(ip: string, scope: string): boolean {
  if (!ipaddr.isValid(ip)) return false;
  let addr = ipaddr.parse(ip);
  if (addr.kind() === 'ipv6' && (addr as ipaddr.IPv6).isIPv4MappedAddress()) addr = (addr as ipaddr.IPv6).toIPv4Address();
  return parseScope(scope).some(([net, bits]) => net.kind() === addr.kind() && addr.match([net, bits] as never));
}
