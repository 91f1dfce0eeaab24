/**
 * One parser over one file in a fresh process, so its peak RSS is its own:
 *   tsx bench/parse-child.ts <ours|node-nmap> <file>
 * Prints one JSON line: {parser, hosts, ms, cpuMs, maxRssMiB}. `none` parses nothing: the floor.
 * cpuMs (user + system time of the process while parsing, all threads) is less disturbed than ms
 * by other work on a shared machine.
 *
 * node-nmap keeps its parse path private to NmapScan (it spawns `nmap -oX -`, concatenates
 * stdout into one string, runs xml2js.parseString with default options, then
 * convertRawJsonToScanResults). To run exactly that path, node-nmap is pointed at a stand-in
 * "nmap" that cats the file: nothing is scanned.
 */
import { chmodSync, createReadStream, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseNmapXml } from '../services/discovery/src/nmap/nmap-xml-parser.js';

const [parser, file] = process.argv.slice(2);
if (!file || (parser !== 'ours' && parser !== 'node-nmap' && parser !== 'none')) {
  console.error('usage: parse-child.ts <ours|node-nmap|none> <file>');
  process.exit(2);
}

async function ours(path: string): Promise<number> {
  let hosts = 0;
  let openPorts = 0;
  for await (const ev of parseNmapXml(createReadStream(path))) {
    if (ev.type === 'host') {
      hosts += 1;
      openPorts += ev.host.ports.length; // touch the data so nothing is optimised away
    }
  }
  return openPorts >= 0 ? hosts : -1;
}

interface NodeNmap {
  nmapLocation: string;
  NmapScan: new (range: string) => { on(e: string, f: (x: unknown) => void): void; startScan(): void };
}

async function nodeNmap(path: string): Promise<number> {
  const dir = mkdtempSync(join(tmpdir(), 'bench-nmap-'));
  const fake = join(dir, 'nmap');
  writeFileSync(fake, '#!/bin/sh\nfor last; do :; done\nexec cat "$last"\n');
  chmodSync(fake, 0o755);
  const mod = createRequire(import.meta.url)('node-nmap') as NodeNmap;
  mod.nmapLocation = fake;
  try {
    return await new Promise<number>((resolve, reject) => {
      const scan = new mod.NmapScan(path);
      scan.on('complete', (hosts) => resolve((hosts as unknown[]).length));
      scan.on('error', (e) => reject(new Error(String(e).slice(0, 200))));
      scan.startScan();
    });
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

const t0 = performance.now();
const cpu0 = process.cpuUsage();
// `none` loads both parsers and parses nothing: the runtime floor both figures include.
if (parser === 'none') createRequire(import.meta.url)('node-nmap');
const hosts = parser === 'none' ? 0 : await (parser === 'ours' ? ours(file) : nodeNmap(file));
const ms = performance.now() - t0;
const cpu = process.cpuUsage(cpu0);
// maxRSS is in KiB on Linux.
console.log(JSON.stringify({ parser, hosts, ms: Math.round(ms), cpuMs: Math.round((cpu.user + cpu.system) / 1000), maxRssMiB: Math.round(process.resourceUsage().maxRSS / 1024) }));
process.exit(0);
