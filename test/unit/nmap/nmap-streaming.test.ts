// Streaming behaviour: chunking, truncation, progress, backpressure, early stop, large runs.
import { spawnSync } from 'node:child_process';
import { createReadStream, readFileSync, statSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { NmapXmlError, parseNmapXml, parseNmapXmlFile } from '../../../services/discovery/src/nmap/nmap-xml-parser.js';
import type { NmapEvent, NmapHost } from '../../../services/discovery/src/nmap/nmap-types.js';
import { pieces } from './parse-input.js';

const PUBLIC_DIR = new URL('../../../../shared/fixtures/nmap/public/', import.meta.url);
const fixturePath = (name: string) => fileURLToPath(new URL(name, PUBLIC_DIR));

const inChunks = pieces<Buffer>;
const textChunks = pieces<string>;

async function collect(source: AsyncIterable<string | Buffer>, opts?: { maxHosts?: number }): Promise<NmapEvent[]> {
  const events: NmapEvent[] = [];
  for await (const event of parseNmapXml(source, opts)) events.push(event);
  return events;
}

const hostsOf = (events: NmapEvent[]): NmapHost[] => events.flatMap((e) => (e.type === 'host' ? [e.host] : []));
const endOf = (events: NmapEvent[]) => {
  const last = events.at(-1);
  if (last?.type !== 'end') throw new Error('no end event');
  return last.summary;
};

const HEADER = '<?xml version="1.0"?>\n<!DOCTYPE nmaprun>\n<nmaprun scanner="nmap" start="1796398459" version="7.93" xmloutputversion="1.05">\n';
const host = (i: number) =>
  `<host starttime="1796398473" endtime="1796398479"><status state="up" reason="syn-ack"/>` +
  `<address addr="10.${(i >> 16) & 255}.${(i >> 8) & 255}.${i & 255}" addrtype="ipv4"/><hostnames></hostnames>` +
  `<ports><port protocol="tcp" portid="443"><state state="open" reason="syn-ack"/>` +
  `<service name="https" product="nginx" version="1.24.0" method="probed" conf="10"><cpe>cpe:/a:f5:nginx:1.24.0</cpe></service>` +
  `<script id="http-title" output="Patient portal"><elem key="title">Patient portal</elem></script></port></ports></host>\n`;
const FOOTER = (n: number) =>
  `<runstats><finished time="1796398500" elapsed="41.00" exit="success"/><hosts up="${n}" down="0" total="${n}"/></runstats>\n</nmaprun>\n`;

describe('chunk boundaries do not matter', () => {
  it.each([1, 7, 100, 4096])('full_sudo6.xml read in %i-byte Buffer chunks equals the file read whole', async (size) => {
    const bytes = readFileSync(fixturePath('full_sudo6.xml'));
    const expected = await parseNmapXmlFile(fixturePath('full_sudo6.xml'));
    const events = await collect(inChunks(bytes, size));
    expect(hostsOf(events)).toEqual(expected.hosts);
    expect(endOf(events)).toEqual(expected.summary);
  });

  it('reassembles UTF-8 characters split across byte chunks', async () => {
    const xml = `${HEADER}<host><address addr="10.0.0.1" addrtype="ipv4"/><hostnames><hostname name="radiologie-müller-🩻" type="PTR"/></hostnames></host>\n</nmaprun>`;
    const events = await collect(inChunks(Buffer.from(xml, 'utf8'), 1));
    expect(hostsOf(events)[0]!.hostnames).toEqual([{ name: 'radiologie-müller-🩻', type: 'PTR' }]);
  });
});

describe('truncated documents', () => {
  it('keeps the complete hosts of a document cut mid-host and reports complete: false', async () => {
    const full = `${HEADER}${host(1)}${host(2)}${host(3)}${FOOTER(3)}`;
    const cut = full.slice(0, full.indexOf('10.0.0.3') + 20); // inside the third host's <address>
    const events = await collect(textChunks(cut, 50));
    expect(events[0]).toMatchObject({ type: 'run', run: { version: '7.93', startedAt: '2026-12-04T15:34:19.000Z' } });
    expect(hostsOf(events).map((h) => h.addresses[0]!.addr)).toEqual(['10.0.0.1', '10.0.0.2']);
    expect(endOf(events)).toEqual({ complete: false });
  });

  it('reports complete: false when </nmaprun> closes without <runstats>', async () => {
    const events = await collect(textChunks(`${HEADER}${host(1)}</nmaprun>\n`, 64));
    expect(hostsOf(events)).toHaveLength(1);
    expect(endOf(events)).toEqual({ complete: false });
  });

  it('yields a prefix of the real hosts wherever full_sudo6.xml is cut, and never throws', async () => {
    const text = readFileSync(fixturePath('full_sudo6.xml'), 'utf8');
    const all = (await parseNmapXmlFile(fixturePath('full_sudo6.xml'))).hosts;
    const rootOpened = text.indexOf('>', text.indexOf('<nmaprun ')) + 1;
    const end = text.lastIndexOf('</nmaprun>');
    for (let cutAt = rootOpened; cutAt < end; cutAt += 997) {
      const events = await collect(textChunks(text.slice(0, cutAt), 4096));
      const hosts = hostsOf(events);
      expect(hosts).toEqual(all.slice(0, hosts.length));
      expect(endOf(events).complete).toBe(false);
    }
  });

  it('is not nmap when cut before the root element opened', async () => {
    const text = readFileSync(fixturePath('full_sudo6.xml'), 'utf8');
    const error = await collect(textChunks(text.slice(0, text.indexOf('<nmaprun ') + 20), 64)).catch((e) => e);
    expect(error).toBeInstanceOf(NmapXmlError);
    expect(error.code).toBe('XML_NOT_NMAP');
  });

  it('does not yield a host that a mismatched close tag pretends to close, but keeps one followed by a bad entity', async () => {
    const mismatched = await collect(textChunks(`${HEADER}${host(1)}<host><ports></host>`, 30)).catch((e) => e);
    expect(mismatched.code).toBe('XML_MALFORMED');

    const events: NmapEvent[] = [];
    const error = await (async () => {
      for await (const event of parseNmapXml(textChunks(`${HEADER}${host(1)}&bogus;</nmaprun>`, 1 << 20))) events.push(event);
    })().catch((e) => e);
    expect(error.code).toBe('XML_MALFORMED');
    expect(hostsOf(events)).toHaveLength(1);
  });
});

describe('progress events', () => {
  it('come from <taskprogress> in document order, between hosts (2_null_hosts.xml)', async () => {
    const events = await collect(createReadStream(fixturePath('2_null_hosts.xml'), { highWaterMark: 256 }));
    expect(events.map((e) => e.type)).toEqual([
      'run',
      ...Array(5).fill('progress'),
      'host',
      ...Array(4).fill('progress'),
      'host',
      'end',
    ]);
    expect(events[1]).toEqual({ type: 'progress', task: 'NULL Scan', percent: 15.5, remainingSeconds: 170 });
    expect(events[5]).toEqual({ type: 'progress', task: 'NULL Scan', percent: 75.15, remainingSeconds: 50 });
  });
});

describe('backpressure and early stop', () => {
  it('reads the input only as fast as events are consumed', async () => {
    let chunksRead = 0;
    async function* countingSource(): AsyncGenerator<string> {
      yield HEADER;
      for (let i = 0; i < 10_000; i++) {
        chunksRead += 1;
        yield host(i);
      }
      yield FOOTER(10_000);
    }
    const events = parseNmapXml(countingSource());
    let hostsSeen = 0;
    for await (const event of events) {
      if (event.type === 'host' && ++hostsSeen === 3) break;
    }
    // One chunk per host here: the parser is at most one chunk ahead of its consumer.
    expect(chunksRead).toBeLessThanOrEqual(4);
  });

  it('closes the source when the consumer stops early', async () => {
    let closed = false;
    async function* source(): AsyncGenerator<string> {
      try {
        yield HEADER;
        for (let i = 0; ; i++) yield host(i);
      } finally {
        closed = true;
      }
    }
    for await (const event of parseNmapXml(source())) if (event.type === 'host') break;
    expect(closed).toBe(true);
  });

  it('stops after maxHosts, ends with complete: false and closes the file early', async () => {
    const stream = createReadStream(fixturePath('full_sudo6.xml'), { highWaterMark: 1024 });
    const events = await collect(stream, { maxHosts: 10 });
    expect(hostsOf(events)).toHaveLength(10);
    expect(hostsOf(events)[0]!.addresses[0]!.addr).toBe('192.168.1.0');
    expect(endOf(events)).toEqual({ complete: false });
    expect(stream.destroyed).toBe(true);
    expect(stream.bytesRead).toBeLessThan(statSync(fixturePath('full_sudo6.xml')).size);
  });

  it('rejects a maxHosts that is not positive', async () => {
    await expect(collect(textChunks(HEADER, 10), { maxHosts: 0 })).rejects.toThrow(RangeError);
  });
});

describe('a large run', () => {
  it('streams 20,000 generated hosts fed in small chunks', async () => {
    const HOSTS = 20_000;
    // Generated lazily and cut at arbitrary 997-character boundaries (mid-tag, mid-attribute).
    async function* generated(): AsyncGenerator<string> {
      let carry = HEADER;
      for (let i = 0; i < HOSTS; i++) {
        carry += host(i);
        while (carry.length >= 997) {
          yield carry.slice(0, 997);
          carry = carry.slice(997);
        }
      }
      yield carry + FOOTER(HOSTS);
    }
    let hosts = 0;
    let last: NmapHost | undefined;
    let summary;
    for await (const event of parseNmapXml(generated())) {
      if (event.type === 'host') {
        hosts += 1;
        last = event.host;
      } else if (event.type === 'end') summary = event.summary;
    }
    expect(hosts).toBe(HOSTS);
    expect(last!.addresses[0]!.addr).toBe('10.0.78.31'); // host 19,999
    expect(last!.ports[0]!.service).toEqual({
      name: 'https',
      product: 'nginx',
      version: '1.24.0',
      method: 'probed',
      conf: 10,
      cpe: ['cpe:/a:f5:nginx:1.24.0'],
    });
    expect(summary).toMatchObject({ hostsUp: HOSTS, hostsTotal: HOSTS, complete: true, exit: 'success' });
  });

  it('stays within a 32 MiB heap while streaming 100,000 hosts, which retaining them would not', () => {
    // A fresh process with a hard heap cap: the only honest way to show memory does not grow
    // with the document. The same loop that also keeps every host runs out of heap.
    const child = (keepHosts: boolean) =>
      spawnSync(process.execPath, ['--max-old-space-size=32', '--import', 'tsx', '--input-type=module', '-e', BOUNDED_CHILD], {
        cwd: fileURLToPath(new URL('../../../', import.meta.url)),
        env: { ...process.env, KEEP_HOSTS: keepHosts ? '1' : '' },
        encoding: 'utf8',
        timeout: 60_000,
      });
    const streaming = child(false);
    expect(streaming.status, streaming.stderr).toBe(0);
    expect(streaming.stdout.trim()).toBe('100000');
    const retaining = child(true);
    expect(retaining.status).not.toBe(0);
    expect(retaining.stderr).toMatch(/heap out of memory/);
  });
});

const BOUNDED_CHILD = `
import { parseNmapXml } from './services/discovery/src/nmap/nmap-xml-parser.ts';
const host = (i) => '<host><status state="up" reason="syn-ack"/><address addr="10.' + ((i >> 16) & 255) + '.' + ((i >> 8) & 255) + '.' + (i & 255) +
  '" addrtype="ipv4"/><ports><port protocol="tcp" portid="443"><state state="open" reason="syn-ack"/><service name="https" product="nginx" version="1.24.0">' +
  '<cpe>cpe:/a:f5:nginx:1.24.0</cpe></service><script id="http-title" output="Patient portal"><elem key="title">Patient portal</elem></script></port></ports></host>\\n';
async function* documentText() {
  yield '<nmaprun scanner="nmap">\\n';
  for (let i = 0; i < 100000; i++) yield host(i);
  yield '</nmaprun>\\n';
}
const kept = [];
let count = 0;
for await (const event of parseNmapXml(documentText())) {
  if (event.type !== 'host') continue;
  count += 1;
  if (process.env.KEEP_HOSTS) kept.push(event.host);
}
console.log(count);
`;
