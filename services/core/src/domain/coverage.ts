import { expandOctetRange, normalizeIp, parseRange } from './subnet.js';

/**
 * What a run covered, so absent assets can be marked missed. Imported files do not say what was
 * scanned beyond the command line, so coverage is (a) every address the run reported on, up or
 * down, and (b) the targets on the command line that are addresses, CIDRs or last-octet ranges.
 * Hostname targets add nothing beyond the host records themselves.
 */
export function targetsFromArgs(args: string | null | undefined): string[] {
  if (!args) return [];
  const out: string[] = [];
  for (const tok of args.split(/\s+/).slice(1)) {
    if (!tok || tok.startsWith('-')) continue;
    const octets = expandOctetRange(tok);
    if (octets) out.push(...octets);
    else if (parseRange(tok)) out.push(tok.includes('/') ? tok : (normalizeIp(tok) ?? tok));
  }
  return out;
}
