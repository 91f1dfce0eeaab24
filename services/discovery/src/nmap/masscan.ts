/**
 * masscan `-oX` output goes through the same `parseNmapXml` (it borrows nmap's format, with
 * `<nmaprun scanner="masscan">`), with two quirks the parser already absorbs: no `<status>`
 * (hosts are taken as up) and `banner=` on `<service>` (surfaced as a `banner` script).
 *
 * The quirk it cannot absorb while streaming: masscan writes one `<host>` per finding (each
 * open port, and again each banner), so one machine appears many times. `mergeHostsByAddress`
 * folds those records into one host per address. It holds every distinct host in memory, so
 * use it on masscan runs (small records) rather than on large nmap runs, which never repeat.
 */
import type { NmapHost, NmapPort, NmapRunInfo } from './nmap-types.js';

export function isMasscanRun(run: NmapRunInfo): boolean {
  return run.scanner === 'masscan';
}

export function mergeHostsByAddress(hosts: Iterable<NmapHost>): NmapHost[] {
  const byAddress = new Map<string, NmapHost>();
  const merged: NmapHost[] = [];
  for (const host of hosts) {
    const key = host.addresses.find((a) => a.addrtype !== 'mac')?.addr;
    const existing = key === undefined ? undefined : byAddress.get(key);
    if (!existing) {
      const copy = structuredClone(host);
      merged.push(copy);
      if (key !== undefined) byAddress.set(key, copy);
      continue;
    }
    mergeInto(existing, host);
  }
  return merged;
}

function mergeInto(target: NmapHost, source: NmapHost): void {
  if (source.status === 'up') target.status = 'up';
  target.startTime = earliest(target.startTime, source.startTime);
  target.endTime = latest(target.endTime, source.endTime);
  for (const address of source.addresses) {
    if (!target.addresses.some((a) => a.addr === address.addr)) target.addresses.push({ ...address });
  }
  for (const hostname of source.hostnames) {
    if (!target.hostnames.some((h) => h.name === hostname.name && h.type === hostname.type)) target.hostnames.push({ ...hostname });
  }
  for (const port of source.ports) mergePort(target, port);
  target.hostScripts.push(...structuredClone(source.hostScripts));
}

function mergePort(target: NmapHost, port: NmapPort): void {
  const existing = target.ports.find((p) => p.protocol === port.protocol && p.portid === port.portid);
  if (!existing) {
    target.ports.push(structuredClone(port));
    return;
  }
  // A banner record repeats the port as open; an earlier status record may have said otherwise.
  if (port.state === 'open') existing.state = 'open';
  existing.reason ??= port.reason;
  if (port.service) existing.service ??= structuredClone(port.service);
  for (const script of port.scripts) {
    if (!existing.scripts.some((s) => s.id === script.id && s.output === script.output)) existing.scripts.push({ ...script });
  }
}

/** ISO-8601 UTC strings of equal shape compare correctly as strings. */
function earliest(a: string | undefined, b: string | undefined): string | undefined {
  return a === undefined ? b : b === undefined ? a : a < b ? a : b;
}

function latest(a: string | undefined, b: string | undefined): string | undefined {
  return a === undefined ? b : b === undefined ? a : a > b ? a : b;
}
