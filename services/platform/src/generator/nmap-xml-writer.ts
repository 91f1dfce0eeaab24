import { createWriteStream } from 'node:fs';
import { mkdir } from 'node:fs/promises';
import { once } from 'node:events';
import { dirname } from 'node:path';
import type { NmapHost, NmapOsClass, NmapPort, NmapScript, NmapService } from '../../../discovery/src/nmap/nmap-types.js';

/**
 * Writes hosts as the XML nmap 7.93 writes with `-sV -O -oX` (prolog, DOCTYPE, stylesheet PI,
 * scaninfo, one `<host>` per host, runstats), streaming: hosts are pulled one at a time from an
 * iterable and written in ~256 KiB chunks with backpressure, so a 100k-host file costs the
 * memory of one chunk. Whatever `parseNmapXml` yields for the file equals the hosts written
 * (NSE `elements` excepted: scripts are written with their text output only).
 */
export interface NmapXmlWriteOptions {
  /** Run start (ISO); default: the first host's startTime, else now. */
  startedAt?: string;
  args?: string;
}

export async function writeNmapXml(path: string, hosts: Iterable<NmapHost>, opts: NmapXmlWriteOptions = {}): Promise<{ hosts: number; bytes: number }> {
  await mkdir(dirname(path), { recursive: true });
  const out = createWriteStream(path);
  const failed = new Promise<never>((_, reject) => out.once('error', reject));
  failed.catch(() => {});
  let buffer = '';
  let bytes = 0;
  const flush = async (force = false) => {
    if (!force && buffer.length < 256 * 1024) return;
    bytes += Buffer.byteLength(buffer);
    const ok = out.write(buffer);
    buffer = '';
    if (!ok) await Promise.race([once(out, 'drain'), failed]);
  };

  const iterator = hosts[Symbol.iterator]();
  let first = iterator.next();
  const startIso = opts.startedAt ?? (first.done ? undefined : first.value.startTime) ?? new Date().toISOString();
  const start = epoch(startIso);
  const args = opts.args ?? 'nmap -sS -sV -O -T4 -oX scan.xml 10.16.0.0/12';
  buffer +=
    `<?xml version="1.0" encoding="UTF-8"?>\n<!DOCTYPE nmaprun>\n<?xml-stylesheet href="file:///usr/bin/../share/nmap/nmap.xsl" type="text/xsl"?>\n` +
    `<!-- Nmap 7.93 scan initiated ${new Date(start * 1000).toUTCString()} as: ${esc(args)} -->\n` +
    `<nmaprun scanner="nmap" args="${esc(args)}" start="${start}" startstr="${esc(new Date(start * 1000).toUTCString())}" version="7.93" xmloutputversion="1.05">\n` +
    `<scaninfo type="syn" protocol="tcp" numservices="1000" services="1,3-4,6-7,9,13,17,19-26"/>\n<verbose level="0"/>\n<debugging level="0"/>\n`;

  let count = 0;
  let last = start;
  for (; !first.done; first = iterator.next()) {
    const host = first.value;
    buffer += hostXml(host);
    count += 1;
    if (host.endTime) last = Math.max(last, epoch(host.endTime));
    await flush();
  }
  buffer +=
    `<runstats><finished time="${last}" timestr="${esc(new Date(last * 1000).toUTCString())}" summary="Nmap done at ${esc(new Date(last * 1000).toUTCString())}; ${count} IP addresses (${count} hosts up) scanned in ${last - start}.00 seconds" elapsed="${last - start}.00" exit="success"/>` +
    `<hosts up="${count}" down="0" total="${count}"/>\n</runstats>\n</nmaprun>\n`;
  await flush(true);
  out.end();
  await Promise.race([once(out, 'finish'), failed]);
  return { hosts: count, bytes };
}

export function hostXml(h: NmapHost): string {
  const parts: string[] = [];
  const times = `${h.startTime ? ` starttime="${epoch(h.startTime)}"` : ''}${h.endTime ? ` endtime="${epoch(h.endTime)}"` : ''}`;
  parts.push(`<host${times}><status state="${h.status}"${attr('reason', h.statusReason)} reason_ttl="0"/>\n`);
  for (const a of h.addresses) parts.push(`<address addr="${esc(a.addr)}" addrtype="${a.addrtype}"${attr('vendor', a.vendor)}/>\n`);
  parts.push('<hostnames>\n');
  for (const n of h.hostnames) parts.push(`<hostname name="${esc(n.name)}"${attr('type', n.type)}/>\n`);
  parts.push('</hostnames>\n<ports>');
  for (const x of h.extraPorts) parts.push(`<extraports state="${esc(x.state)}" count="${x.count}">\n<extrareasons reason="reset" count="${x.count}" proto="tcp" ports="1-65535"/>\n</extraports>\n`);
  for (const p of h.ports) parts.push(portXml(p));
  parts.push('</ports>\n<os>');
  for (const u of h.os.portsUsed) parts.push(`<portused state="${esc(u.state)}" proto="${esc(u.proto)}" portid="${u.portid}"/>\n`);
  for (const m of h.os.matches) {
    parts.push(`<osmatch name="${esc(m.name)}" accuracy="${m.accuracy}" line="0">\n`);
    for (const c of m.classes) parts.push(osClassXml(c));
    parts.push('</osmatch>\n');
  }
  for (const c of h.os.classes ?? []) parts.push(osClassXml(c));
  parts.push('</os>\n');
  if (h.uptime) parts.push(`<uptime seconds="${h.uptime.seconds}"${h.uptime.lastBoot ? attr('lastboot', h.uptime.lastBoot) : ''}/>\n`);
  if (h.distance !== undefined) parts.push(`<distance value="${h.distance}"/>\n`);
  if (h.hostScripts.length) parts.push(`<hostscript>${h.hostScripts.map(scriptXml).join('')}</hostscript>\n`);
  parts.push('<times srtt="512" rttvar="128" to="100000"/>\n</host>\n');
  return parts.join('');
}

function portXml(p: NmapPort): string {
  const service = p.service ? serviceXml(p.service) : '';
  return `<port protocol="${p.protocol}" portid="${p.portid}"><state state="${esc(p.state)}"${attr('reason', p.reason)} reason_ttl="64"/>${service}${p.scripts.map(scriptXml).join('')}</port>\n`;
}

function serviceXml(s: NmapService): string {
  const attrs = (['name', 'product', 'version', 'extrainfo', 'ostype', 'hostname', 'devicetype', 'method', 'conf', 'tunnel'] as const)
    .map((k) => attr(k, s[k] === undefined ? undefined : String(s[k])))
    .join('');
  return s.cpe.length ? `<service${attrs}>${s.cpe.map((c) => `<cpe>${esc(c)}</cpe>`).join('')}</service>` : `<service${attrs}/>`;
}

function osClassXml(c: NmapOsClass): string {
  const attrs = attr('type', c.type) + attr('vendor', c.vendor) + attr('osfamily', c.osfamily) + attr('osgen', c.osgen) + attr('accuracy', c.accuracy === undefined ? undefined : String(c.accuracy));
  return `<osclass${attrs}>\n${c.cpe.map((x) => `<cpe>${esc(x)}</cpe>\n`).join('')}</osclass>\n`;
}

function scriptXml(s: NmapScript): string {
  return `<script id="${esc(s.id)}" output="${esc(s.output)}"/>`;
}

function attr(name: string, value: string | undefined): string {
  return value === undefined ? '' : ` ${name}="${esc(value)}"`;
}

/** Attribute-safe: nmap escapes newlines in attributes as &#xa; so they survive normalisation. */
function esc(s: string): string {
  return s.replace(/[&<>"'\n\r\t]/g, (c) => ESCAPES[c]!);
}
const ESCAPES: Record<string, string> = { '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;', '\n': '&#xa;', '\r': '&#xd;', '\t': '&#x9;' };

function epoch(iso: string): number {
  return Math.floor(new Date(iso).getTime() / 1000);
}
