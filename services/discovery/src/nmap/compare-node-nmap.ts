/**
 * Measures our nmap XML parser against node-nmap 4.0.0, the dependency it replaces, and prints
 * Markdown tables (the numbers in README.md come from here).
 *
 *   npx tsx services/discovery/src/nmap/compare-node-nmap.ts [--hosts 20000]
 *
 * node-nmap keeps its parser (xml2js.parseString + convertRawJsonToScanResults) private to
 * NmapScan, which spawns `nmap`. To exercise exactly that path, node-nmap is pointed at a stand-in
 * "nmap" that prints a saved XML file: nothing is scanned, the bytes are the fixture's.
 * Memory is measured in a fresh child process per parser (peak RSS), since one process cannot
 * give two back-to-back parsers honest peaks.
 */
import { spawn } from 'node:child_process';
import { createReadStream, chmodSync, createWriteStream, mkdtempSync, readdirSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { once } from 'node:events';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { SaxesParser } from 'saxes';
import { parseNmapXml, parseNmapXmlFile } from './nmap-xml-parser.js';
import type { NmapHost } from './nmap-types.js';

/** What node-nmap's convertRawJsonToScanResults returns per host. */
interface NodeNmapHost {
  hostname: string | null;
  ip: string | null;
  mac: string | null;
  vendor?: string;
  openPorts: { port?: number; protocol?: string; service?: string; tunnel?: string; method?: string; product?: string }[] | null;
  osNmap: string | null;
}

interface NodeNmapModule {
  nmapLocation: string;
  NmapScan: new (range: string, args?: string) => {
    on(event: 'complete', listener: (hosts: NodeNmapHost[]) => void): void;
    on(event: 'error', listener: (error: unknown) => void): void;
    startScan(): void;
  };
}

const workDir = mkdtempSync(join(tmpdir(), 'nmap-compare-'));
const fakeNmap = join(workDir, 'fake-nmap.sh');
// node-nmap runs `nmap -oX - <args> <range>`; the range here is a file path, printed as-is.
writeFileSync(fakeNmap, '#!/bin/sh\nfor last; do :; done\nexec cat "$last"\n');
chmodSync(fakeNmap, 0o755);

async function runNodeNmap(file: string, timeoutMs = 120_000): Promise<{ hosts?: NodeNmapHost[]; failure?: string }> {
  const nodeNmap = createRequire(import.meta.url)('node-nmap') as NodeNmapModule;
  nodeNmap.nmapLocation = fakeNmap;
  return new Promise((resolve) => {
    // NmapScan registers its own 'uncaughtException' listener, which silently swallows a crash in
    // its converter: catch it here too so the crash is reported rather than hanging.
    const onCrash = (error: Error) => finish({ failure: `crash: ${error.message}` });
    const timer = setTimeout(() => finish({ failure: 'no result (hung)' }), timeoutMs);
    function finish(result: { hosts?: NodeNmapHost[]; failure?: string }) {
      clearTimeout(timer);
      process.removeListener('uncaughtException', onCrash);
      resolve(result);
    }
    process.on('uncaughtException', onCrash);
    const scan = new nodeNmap.NmapScan(file);
    scan.on('complete', (hosts) => finish({ hosts }));
    scan.on('error', (error) => finish({ failure: `error: ${String(error).slice(0, 80)}` }));
    scan.startScan();
  });
}

// --- fidelity ----------------------------------------------------------------------------------

/** Each metric as [ours, node-nmap]; node-nmap has no notion of host status, scripts or version. */
type Fidelity = Record<FidelityMetric, [number, number]>;
type FidelityMetric = 'hosts' | 'ipv6' | 'openPorts' | 'productVersion' | 'portsWithoutService' | 'hostnames' | 'scripts' | 'osHosts';

const FIDELITY_COLUMNS: [FidelityMetric, string][] = [
  ['hosts', 'hosts listed'],
  ['ipv6', 'IPv6 addresses'],
  ['openPorts', 'open ports'],
  ['productVersion', 'open ports with product/version'],
  ['portsWithoutService', 'ports without <service>'],
  ['hostnames', 'hostnames'],
  ['scripts', 'NSE results'],
  ['osHosts', 'hosts with OS data'],
];

function compareFidelity(ours: NmapHost[], theirs: NodeNmapHost[]): Fidelity {
  const oursOpen = ours.flatMap((h) => h.ports.filter((p) => p.state === 'open'));
  const theirsOpen = theirs.flatMap((h) => h.openPorts ?? []);
  const count = <T>(items: T[], test: (item: T) => unknown) => items.filter(test).length;
  const sum = <T>(items: T[], size: (item: T) => number) => items.reduce((n, item) => n + size(item), 0);
  return {
    hosts: [ours.length, theirs.length],
    ipv6: [sum(ours, (h) => count(h.addresses, (a) => a.addrtype === 'ipv6')), count(theirs, (h) => h.ip?.includes(':'))],
    openPorts: [oursOpen.length, theirsOpen.length],
    // node-nmap copies `tunnel` into `product` and has no version: count only true products.
    productVersion: [count(oursOpen, (p) => p.service?.product || p.service?.version), count(theirsOpen, (p) => p.product && p.product !== p.tunnel)],
    // Open ports nmap wrote without a <service>: node-nmap cannot represent them (it crashes).
    portsWithoutService: [count(oursOpen, (p) => !p.service), 0],
    hostnames: [sum(ours, (h) => h.hostnames.length), count(theirs, (h) => h.hostname)],
    scripts: [sum(ours, (h) => h.hostScripts.length + sum(h.ports, (p) => p.scripts.length)), 0],
    osHosts: [count(ours, (h) => h.os.matches.length > 0 || (h.os.classes?.length ?? 0) > 0), count(theirs, (h) => h.osNmap)],
  };
}

/**
 * Shapes the corpus lacks but live scans produce, one difference each from a host that
 * node-nmap reads fine (nmap writes an empty <hostnames> as "<hostnames>\n</hostnames>").
 */
const probe = (hostBody: string) =>
  `<nmaprun scanner="nmap" version="7.93">\n<host><status state="up" reason="syn-ack"/>\n${hostBody}\n</host>\n` +
  `<runstats><finished time="1796398479" elapsed="1.00" exit="success"/><hosts up="1" down="0" total="1"/></runstats>\n</nmaprun>\n`;
const OPEN_443 = '<ports><port protocol="tcp" portid="443"><state state="open" reason="syn-ack"/><service name="https" product="nginx" version="1.24.0" method="probed" conf="10"/></port></ports>';
const PROBES: Record<string, string> = {
  'ipv6-only host': probe(`<address addr="fd00:77::10" addrtype="ipv6"/>\n<hostnames>\n</hostnames>\n${OPEN_443}`),
  'open port, no service element': probe(
    '<address addr="10.77.0.11" addrtype="ipv4"/>\n<hostnames>\n</hostnames>\n<ports><port protocol="tcp" portid="4242"><state state="open" reason="syn-ack"/></port></ports>',
  ),
  'hostnames written as <hostnames/>': probe(`<address addr="10.77.0.12" addrtype="ipv4"/>\n<hostnames/>\n${OPEN_443}`),
  '--stats-every progress line': probe(`<address addr="10.77.0.13" addrtype="ipv4"/>\n<hostnames>\n</hostnames>\n${OPEN_443}`).replace(
    '<host>',
    '<taskprogress task="Connect Scan" time="1796398470" percent="42.00" remaining="12" etc="1796398482"/>\n<host>',
  ),
};

async function fidelityReport(): Promise<string[]> {
  const fixtures = fileURLToPath(new URL('../../../../../shared/fixtures/nmap/', import.meta.url));
  const files = ['public', 'lab'].flatMap((dir) =>
    readdirSync(join(fixtures, dir))
      .filter((f) => f.endsWith('.xml') && !f.startsWith('defused_'))
      .map((f) => ({ name: f, path: join(fixtures, dir, f) })),
  );
  for (const [index, [name, xml]] of Object.entries(PROBES).entries()) {
    const path = join(workDir, `probe-${index}.xml`);
    writeFileSync(path, xml);
    files.push({ name: `(probe) ${name}`, path });
  }
  const lines = [
    `| file | node-nmap outcome | up (ours) | ${FIDELITY_COLUMNS.map(([, title]) => title).join(' | ')} |`,
    `|---|---|---|${FIDELITY_COLUMNS.map(() => '---').join('|')}|`,
  ];
  const totals = Object.fromEntries(FIDELITY_COLUMNS.map(([metric]) => [metric, [0, 0]])) as Fidelity;
  let totalUp = 0;
  let failures = 0;
  for (const file of files) {
    const ours = (await parseNmapXmlFile(file.path)).hosts;
    const theirs = await runNodeNmap(file.path, 10_000);
    const fidelity = compareFidelity(ours, theirs.hosts ?? []);
    const up = ours.filter((h) => h.status === 'up').length;
    totalUp += up;
    if (theirs.failure) failures += 1;
    for (const [metric] of FIDELITY_COLUMNS) {
      totals[metric][0] += fidelity[metric][0];
      totals[metric][1] += fidelity[metric][1];
    }
    const outcome = (theirs.failure ?? 'ok').replace(/\s+/g, ' ').trim();
    const cells = FIDELITY_COLUMNS.map(([metric]) => `${fidelity[metric][0]} vs ${fidelity[metric][1]}`);
    lines.push(`| ${file.name} | ${outcome} | ${up} | ${cells.join(' | ')} |`);
  }
  const totalCells = FIDELITY_COLUMNS.map(([metric]) => `**${totals[metric][0]} vs ${totals[metric][1]}**`);
  lines.push(`| **total (${files.length} files)** | **${failures} failed** | **${totalUp}** | ${totalCells.join(' | ')} |`);
  return lines;
}

// --- performance ---------------------------------------------------------------------------------

/** A host shaped like nmap 7.93 -sV -O --script output: three open ports, scripts, OS, uptime. */
function generatedHost(i: number): string {
  const ip = `10.${(i >> 16) & 255}.${(i >> 8) & 255}.${i & 255}`;
  const mac = `02:00:00:${((i >> 16) & 255).toString(16).padStart(2, '0')}:${((i >> 8) & 255).toString(16).padStart(2, '0')}:${(i & 255).toString(16).padStart(2, '0')}`.toUpperCase();
  const port = (id: number, name: string, product: string, version: string, cpe: string) =>
    `<port protocol="tcp" portid="${id}"><state state="open" reason="syn-ack" reason_ttl="64"/><service name="${name}" product="${product}" version="${version}" method="probed" conf="10"><cpe>${cpe}</cpe></service>` +
    `<script id="banner" output="${product} ${version}"><elem key="banner">${product} ${version}</elem></script></port>\n`;
  return (
    `<host starttime="1796398473" endtime="1796398479"><status state="up" reason="arp-response" reason_ttl="0"/>\n` +
    `<address addr="${ip}" addrtype="ipv4"/>\n<address addr="${mac}" addrtype="mac" vendor="Siemens Healthineers"/>\n` +
    `<hostnames>\n<hostname name="host-${i}.ward.example.org" type="PTR"/>\n</hostnames>\n` +
    `<ports><extraports state="closed" count="997">\n<extrareasons reason="conn-refused" count="997" proto="tcp" ports="1-21,23-79"/>\n</extraports>\n` +
    port(22, 'ssh', 'OpenSSH', '9.2p1 Debian 2+deb12u3', 'cpe:/a:openbsd:openssh:9.2p1') +
    port(104, 'dicom', 'Orthanc DICOM', '1.12.1', 'cpe:/a:orthanc-server:orthanc:1.12.1') +
    port(8042, 'http', 'Orthanc httpd', '1.12.1', 'cpe:/a:orthanc-server:orthanc:1.12.1') +
    `</ports>\n<os><portused state="open" proto="tcp" portid="22"/>\n<osmatch name="Linux 4.15 - 5.19" accuracy="100" line="69748">\n` +
    `<osclass type="general purpose" vendor="Linux" osfamily="Linux" osgen="5.X" accuracy="100"><cpe>cpe:/o:linux:linux_kernel:5</cpe></osclass>\n</osmatch>\n</os>\n` +
    `<uptime seconds="4190117" lastboot="Mon Oct  5 05:19:16 2026"/>\n<distance value="1"/>\n<times srtt="470" rttvar="352" to="100000"/>\n</host>\n`
  );
}

async function writeLargeScan(path: string, hosts: number): Promise<void> {
  const out = createWriteStream(path);
  const write = async (text: string) => {
    if (!out.write(text)) await once(out, 'drain');
  };
  await write('<?xml version="1.0" encoding="UTF-8"?>\n<!DOCTYPE nmaprun>\n<nmaprun scanner="nmap" start="1796398459" version="7.93" xmloutputversion="1.05">\n');
  for (let i = 0; i < hosts; i++) await write(generatedHost(i));
  await write(`<runstats><finished time="1796398500" elapsed="41.00" exit="success"/><hosts up="${hosts}" down="0" total="${hosts}"/>\n</runstats>\n</nmaprun>\n`);
  out.end();
  await once(out, 'finish');
}

type Measured = { mode: string; hosts: number; seconds: number; firstHostMs?: number; peakRssMiB: number; failure?: string };

/** Runs in the child process: one parser over one file, then reports time and peak RSS. */
async function measureInThisProcess(mode: string, file: string): Promise<Measured> {
  const started = performance.now();
  let hosts = 0;
  let firstHostMs: number | undefined;
  let failure: string | undefined;
  if (mode === 'baseline') {
    // Loads the same modules as the others and parses nothing: the floor to subtract.
  } else if (mode === 'saxes-alone') {
    // The tokenizer with one no-op handler and no model: the floor for any saxes-based parser.
    const parser = new SaxesParser({ position: true });
    parser.on('opentag', () => (hosts += 0));
    for await (const chunk of createReadStream(file, { encoding: 'utf8' })) parser.write(chunk as string);
    parser.close();
  } else if (mode === 'ours-streaming') {
    for await (const event of parseNmapXml(createReadStream(file))) {
      if (event.type !== 'host') continue;
      firstHostMs ??= performance.now() - started;
      hosts += 1;
    }
  } else if (mode === 'ours-collect-all') {
    hosts = (await parseNmapXmlFile(file)).hosts.length;
  } else if (mode === 'node-nmap') {
    const result = await runNodeNmap(file);
    hosts = result.hosts?.length ?? 0;
    failure = result.failure;
  }
  const seconds = (performance.now() - started) / 1000;
  // maxRSS is in KiB; it includes a child process's memory only for node-nmap's `cat`, which is tiny.
  return { mode, hosts, seconds, firstHostMs, peakRssMiB: process.resourceUsage().maxRSS / 1024, failure };
}

async function measureInChild(mode: string, file: string): Promise<Measured> {
  const script = fileURLToPath(import.meta.url);
  const child = spawn(process.execPath, [...process.execArgv, script, '--measure', mode, file], { stdio: ['ignore', 'pipe', 'inherit'] });
  let output = '';
  child.stdout.on('data', (data: Buffer) => (output += data.toString()));
  await once(child, 'close');
  return JSON.parse(output.trim().split('\n').at(-1)!) as Measured;
}

async function performanceReport(hostCount: number): Promise<string[]> {
  const file = join(workDir, 'large-scan.xml');
  await writeLargeScan(file, hostCount);
  const sizeMiB = statSync(file).size / 2 ** 20;
  const lines = [
    `Generated ${hostCount} hosts (3 open ports, 3 scripts, OS match each): ${sizeMiB.toFixed(1)} MiB.`,
    '',
    '| parser | hosts | wall time | first host after | peak RSS | peak RSS above baseline |',
    '|---|---|---|---|---|---|',
  ];
  const baseline = await measureInChild('baseline', file);
  for (const mode of ['saxes-alone', 'ours-streaming', 'ours-collect-all', 'node-nmap']) {
    const m = await measureInChild(mode, file);
    const first = m.firstHostMs === undefined ? 'at the end' : `${m.firstHostMs.toFixed(0)} ms`;
    lines.push(
      `| ${mode}${m.failure ? ` (${m.failure})` : ''} | ${m.hosts} | ${m.seconds.toFixed(2)} s | ${first} | ${m.peakRssMiB.toFixed(0)} MiB | ${(m.peakRssMiB - baseline.peakRssMiB).toFixed(0)} MiB |`,
    );
  }
  lines.push('', `Baseline (same modules loaded, nothing parsed): ${baseline.peakRssMiB.toFixed(0)} MiB peak RSS.`);
  return lines;
}

async function main(): Promise<void> {
  const args = process.argv.slice(2);
  if (args[0] === '--measure') {
    const measured = await measureInThisProcess(args[1]!, args[2]!);
    rmSync(workDir, { recursive: true, force: true }); // this child's own stand-in nmap
    console.log(JSON.stringify(measured));
    process.exit(0); // node-nmap leaves an interval timer running after a failed parse
  }
  const hostsFlag = args.indexOf('--hosts');
  const hostCount = hostsFlag >= 0 ? Number(args[hostsFlag + 1]) : 20_000;
  try {
    console.log('## Fidelity per file (ours vs node-nmap)\n');
    console.log((await fidelityReport()).join('\n'));
    console.log('\n## Time and memory\n');
    console.log((await performanceReport(hostCount)).join('\n'));
  } finally {
    rmSync(workDir, { recursive: true, force: true });
  }
  process.exit(0);
}

await main();
