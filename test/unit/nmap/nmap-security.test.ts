// Hostile and foreign input: DTDs, entities, wrong roots, broken XML.
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { ValidationError } from '../../../services/core/src/errors.js';
import { NmapXmlError, parseNmapXml, parseNmapXmlFile } from '../../../services/discovery/src/nmap/nmap-xml-parser.js';

import { parseCollecting, pieces } from './parse-input.js';

const PUBLIC_DIR = new URL('../../../../shared/fixtures/nmap/public/', import.meta.url);

const collect = (text: string, size = 64) => parseCollecting(text, size);

const HOST = (ip: string) =>
  `<host><status state="up" reason="arp-response"/><address addr="${ip}" addrtype="ipv4"/><ports>` +
  `<port protocol="tcp" portid="22"><state state="open" reason="syn-ack"/><service name="ssh"/></port></ports></host>\n`;

describe('DTD refusal', () => {
  it('refuses defused_et_local_includer.xml (external entity in an internal subset)', async () => {
    const error = await parseNmapXmlFile(fileURLToPath(new URL('defused_et_local_includer.xml', PUBLIC_DIR))).catch((e) => e);
    expect(error).toBeInstanceOf(NmapXmlError);
    expect(error).toBeInstanceOf(ValidationError);
    expect(error).toMatchObject({ code: 'XML_DTD_REFUSED', status: 400 });
    expect(error.message).toMatch(/<!ENTITY|internal DTD subset/);
  });

  it('refuses defused_et_included.xml as not nmap (no DTD, root is <root>)', async () => {
    const error = await parseNmapXmlFile(fileURLToPath(new URL('defused_et_included.xml', PUBLIC_DIR))).catch((e) => e);
    expect(error).toBeInstanceOf(NmapXmlError);
    expect(error).toMatchObject({ code: 'XML_NOT_NMAP', details: { root: 'root' } });
  });

  it.each([
    ['an internal subset with an entity', '<!DOCTYPE nmaprun [<!ENTITY x "y">]>\n<nmaprun>&x;</nmaprun>'],
    ['an empty internal subset', '<!DOCTYPE nmaprun []>\n<nmaprun/>'],
    ['a SYSTEM id', '<!DOCTYPE nmaprun SYSTEM "http://example.invalid/nmap.dtd">\n<nmaprun/>'],
    ['a PUBLIC id', '<!DOCTYPE nmaprun PUBLIC "-//X//DTD nmap//EN" "nmap.dtd">\n<nmaprun/>'],
    [
      'billion laughs',
      '<?xml version="1.0"?>\n<!DOCTYPE nmaprun [\n<!ENTITY a "lol">\n<!ENTITY b "&a;&a;&a;&a;&a;&a;&a;&a;&a;&a;">\n' +
        '<!ENTITY c "&b;&b;&b;&b;&b;&b;&b;&b;&b;&b;">\n]>\n<nmaprun scanner="nmap">&c;</nmaprun>',
    ],
  ])('refuses a DOCTYPE with %s, before yielding anything', async (_label, xml) => {
    const { events, error } = await collect(xml);
    expect(error?.code).toBe('XML_DTD_REFUSED');
    expect(events).toEqual([]);
  });

  it('never reads the file an external entity points at', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'nmap-xxe-'));
    const secret = join(dir, 'secret.txt');
    writeFileSync(secret, 'TOP-SECRET-PHI');
    const xml =
      `<?xml version="1.0"?>\n<!DOCTYPE nmaprun [<!ENTITY leak SYSTEM "file://${secret}">]>\n` +
      `<nmaprun scanner="nmap"><host><address addr="&leak;" addrtype="ipv4"/></host></nmaprun>`;
    const { events, error } = await collect(xml, 7);
    expect(error?.code).toBe('XML_DTD_REFUSED');
    expect(JSON.stringify(events)).not.toContain('TOP-SECRET');
    expect(error!.message).not.toContain('TOP-SECRET');
  });

  it('refuses an entity declaration as soon as it arrives, however the input is chunked', async () => {
    const chunkSizes = [1, 3, 8, 1 << 20];
    for (const size of chunkSizes) {
      let chunksPulled = 0;
      async function* source(): AsyncGenerator<string> {
        for await (const chunk of pieces('<!DOCTYPE nmaprun [\n<!ENTITY x "y">', size)) {
          chunksPulled += 1;
          yield chunk;
        }
        // An endless subset after the declaration: never needed to decide.
        for (;;) yield '<!ELEMENT e ANY>\n';
      }
      const error = await (async () => {
        for await (const _ of parseNmapXml(source())) void _;
      })().catch((e) => e);
      expect(error.code).toBe('XML_DTD_REFUSED');
      expect(chunksPulled).toBeLessThanOrEqual(Math.ceil(36 / size));
    }
  });

  it('bounds the prolog: 9 MiB without a root element is not nmap', async () => {
    const { error } = await collect(`<?xml version="1.0"?>\n<!--${'x'.repeat(9 * 2 ** 20)}-->\n<nmaprun/>`, 2 ** 20);
    expect(error?.code).toBe('XML_NOT_NMAP');
    expect(error!.message).toMatch(/no <nmaprun> root element in the first/);
  });

  it("accepts nmap's own prolog: a bare <!DOCTYPE nmaprun> and the xml-stylesheet PI", async () => {
    const xml =
      '<?xml version="1.0" encoding="UTF-8"?>\n<!DOCTYPE nmaprun>\n' +
      '<?xml-stylesheet href="file:///usr/bin/../share/nmap/nmap.xsl" type="text/xsl"?>\n' +
      '<nmaprun scanner="nmap" version="7.93"><runstats><finished time="1" exit="success"/></runstats></nmaprun>';
    const { events, error } = await collect(xml);
    expect(error).toBeUndefined();
    expect(events.map((e) => e.type)).toEqual(['run', 'end']);
  });
});

describe('entities without a DTD', () => {
  it("decodes XML's predefined and numeric character references", async () => {
    const xml = `<nmaprun scanner="nmap" args="a &amp; b &lt;c&gt; &#45;&#45;x &#xa;"></nmaprun>`;
    const { events } = await collect(xml);
    expect(events[0]).toEqual({ type: 'run', run: { scanner: 'nmap', args: 'a & b <c> --x \n', scanInfo: [] } });
  });

  it('treats an undefined entity reference as malformed, never expanding or keeping it', async () => {
    const xml = `<nmaprun scanner="nmap">\n${HOST('10.0.0.1')}<host><address addr="&xxe;" addrtype="ipv4"/></host></nmaprun>`;
    const { events, error } = await collect(xml);
    expect(error?.code).toBe('XML_MALFORMED');
    expect(error!.message).toMatch(/undefined entity/);
    expect(events.filter((e) => e.type === 'host')).toHaveLength(1); // the host before it stays yielded
  });
});

describe('not nmap', () => {
  it.each([
    ['an empty input', ''],
    ['whitespace and a prolog only', '<?xml version="1.0"?>\n<!DOCTYPE nmaprun>\n  '],
    ['nmap normal (-oN) output', 'Starting Nmap 7.93 ( https://nmap.org )\nNmap scan report for 10.77.0.10\n'],
    ['JSON', '{"nmaprun": {}}'],
    ['another XML vocabulary', '<?xml version="1.0"?><svg xmlns="http://www.w3.org/2000/svg"/>'],
  ])('refuses %s with XML_NOT_NMAP', async (_label, text) => {
    const { events, error } = await collect(text);
    expect(error?.code).toBe('XML_NOT_NMAP');
    expect(events).toEqual([]);
  });
});

describe('malformed XML in the middle of a run', () => {
  const header = '<?xml version="1.0"?>\n<nmaprun scanner="nmap" version="7.93">\n';
  // Line 5: a </port> that closes nothing.
  const broken = `${header}${HOST('10.0.0.1')}${HOST('10.0.0.2')}<host><status state="up"/></port></host>\n</nmaprun>\n`;

  it.each([
    ['in small chunks', 16],
    ['in one chunk', 1 << 20],
  ])('keeps the hosts completed before the error (%s) and names line and column', async (_label, size) => {
    const { events, error } = await collect(broken, size);
    expect(events.map((e) => (e.type === 'host' ? e.host.addresses[0]!.addr : e.type))).toEqual(['run', '10.0.0.1', '10.0.0.2']);
    expect(error).toBeInstanceOf(NmapXmlError);
    expect(error!.code).toBe('XML_MALFORMED');
    expect(error!.details).toMatchObject({ line: 5 });
    expect(error!.message).toMatch(/^malformed XML at line 5, column \d+: /);
  });

  it('reports garbage after </nmaprun> as malformed', async () => {
    const { events, error } = await collect(`${header}${HOST('10.0.0.1')}</nmaprun>\n<nmaprun/>`);
    expect(events.filter((e) => e.type === 'host')).toHaveLength(1);
    expect(error?.code).toBe('XML_MALFORMED');
  });

  it('refuses absurd nesting instead of growing without bound', async () => {
    const { error } = await collect(`<nmaprun>${'<table>'.repeat(10_000)}`);
    expect(error?.code).toBe('XML_MALFORMED');
    expect(error!.message).toMatch(/nested deeper than/);
  });
});

describe('NSE output cannot reach object prototypes', () => {
  it('keeps a "__proto__" key as plain data', async () => {
    const xml =
      '<nmaprun scanner="nmap"><host><address addr="10.0.0.9" addrtype="ipv4"/><ports>' +
      '<port protocol="tcp" portid="80"><state state="open"/><script id="evil" output="x">' +
      '<table key="__proto__"><elem key="polluted">yes</elem></table></script></port></ports></host></nmaprun>';
    const { events } = await collect(xml);
    const host = events.find((e) => e.type === 'host');
    const elements = host?.type === 'host' ? host.host.ports[0]!.scripts[0]!.elements! : {};
    expect(Object.hasOwn(elements, '__proto__')).toBe(true);
    expect(Object.getPrototypeOf(elements)).toBe(Object.prototype);
    expect(({} as Record<string, unknown>).polluted).toBeUndefined();
  });
});
