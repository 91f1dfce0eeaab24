// The XML tokenizer under the nmap parser: what it normalizes, what it refuses, and where it
// says the problem is. Equivalence with the saxes-based parser is nmap-differential.test.ts.
import { describe, expect, it } from 'vitest';
import { isoFromWholeSeconds, parseNmapXml } from '../../../services/discovery/src/nmap/nmap-xml-parser.js';
import type { NmapEvent, NmapHost } from '../../../services/discovery/src/nmap/nmap-types.js';
import { XmlSyntaxError, XmlTokenizer, type XmlAttributes, type XmlHandler } from '../../../services/discovery/src/nmap/xml-tokenizer.js';
import { parseCollecting, pieces } from './parse-input.js';

const collect = (data: string | Buffer, size = 1 << 20) => parseCollecting(data, size);

const hostsOf = (events: NmapEvent[]): NmapHost[] => events.flatMap((e) => (e.type === 'host' ? [e.host] : []));

/** Records every token as a line of text. */
class Recorder implements XmlHandler {
  readonly log: string[] = [];
  wantsText = true;
  halted = false;
  doctype(body: string, complete: boolean): void {
    this.log.push(`doctype ${JSON.stringify(body)} ${complete}`);
  }
  open(name: string, attributes: XmlAttributes): void {
    this.log.push(`open ${name} a=${JSON.stringify(attributes.get('a'))} b=${JSON.stringify(attributes.get('b'))}`);
  }
  close(name: string): void {
    this.log.push(`close ${name}`);
  }
  text(text: string): void {
    this.log.push(`text ${JSON.stringify(text)}`);
  }
  comment(text: string): void {
    this.log.push(`comment ${JSON.stringify(text)}`);
  }
}

function tokens(xml: string, size = xml.length): string[] {
  const recorder = new Recorder();
  const tokenizer = new XmlTokenizer(recorder);
  for (let i = 0; i < xml.length; i += size) tokenizer.write(xml.slice(i, i + size));
  tokenizer.close();
  return recorder.log;
}

function syntaxError(xml: string): XmlSyntaxError {
  try {
    tokens(xml);
  } catch (err) {
    if (err instanceof XmlSyntaxError) return err;
    throw err;
  }
  throw new Error('no error');
}

describe('normalization', () => {
  it('turns CRLF and CR into LF in text and comments, and into a space in attribute values (tabs too)', () => {
    const xml = '<r a="x\r\ny\rz\tw\nv">one\r\ntwo\rthree<!-- c\r\nd --></r>';
    for (const size of [xml.length, 1, 3]) {
      expect(tokens(xml, size)).toEqual(['open r a="x y z w v" b=undefined', 'text "one\\ntwo\\nthree"', 'comment " c\\nd "', 'close r']);
    }
  });

  it('decodes predefined entities and character references, and keeps referenced line ends as they are', () => {
    expect(tokens(`<r a="&lt;&amp;&gt;&quot;&apos;&#xa;&#13;&#x1FA7B;" b='"'>&#60;x&#x3E;</r>`)).toEqual([
      `open r a="<&>\\"'\\n\\r🩻" b="\\""`,
      'text "<x>"',
      'close r',
    ]);
  });

  it('reads a value split over many chunks whole', () => {
    const value = 'v'.repeat(300_000);
    expect(tokens(`<r a="${value}"/>`, 4096)[0]).toBe(`open r a="${value}" b=undefined`);
  });

  it('skips a byte order mark and a CDATA section (nmap writes none; its content is not text)', () => {
    expect(tokens('\uFEFF<?xml version="1.0"?><r>a<![CDATA[<b>]]>c</r>')).toEqual(['open r a=undefined b=undefined', 'text "a"', 'text "c"', 'close r']);
  });

  it('treats NEL and LS as line ends in a document declared XML 1.1, and refuses C1 controls there', () => {
    expect(tokens('<?xml version="1.1"?><r a="x\u0085y">p\u2028q\r\u0085r</r>')).toEqual([
      'open r a="x y" b=undefined',
      'text "p\\nq\\nr"',
      'close r',
    ]);
    expect(tokens('<r a="x\u0085y"/>')).toEqual(['open r a="x\u0085y" b=undefined', 'close r']);
    expect(syntaxError('<?xml version="1.1"?><r>\u0090</r>').reason).toBe('disallowed character.');
  });
});

describe('well-formedness', () => {
  it.each([
    ['a mismatched end tag', '<r><a></b></r>', 'unexpected close tag.'],
    ['an unquoted attribute', '<r a=1/>', 'unquoted attribute value.'],
    ['a duplicate attribute', '<r a="1" a="2"/>', 'duplicate attribute: a.'],
    ['attributes without whitespace between them', '<r a="1"b="2"/>', 'no whitespace between attributes.'],
    ['a raw < in a value', '<r a="<"/>', 'disallowed character.'],
    ['an undefined entity', '<r>&nbsp;</r>', 'undefined entity.'],
    ['a reference to a non-character', '<r>&#0;</r>', 'malformed character entity.'],
    ['a control character', '<r>\u0001</r>', 'disallowed character.'],
    ['a lone surrogate', '<r>\uD800x</r>', 'disallowed character.'],
    ['U+FFFF', '<r a="\uFFFF"/>', 'disallowed character.'],
    [']]> in text', '<r>a]]>b</r>', 'the string "]]>" is disallowed in char data.'],
    ['-- in a comment', '<r><!-- a -- b --></r>', 'malformed comment.'],
    ['text after the root', '<r/>x', 'text data outside of root node.'],
    ['a second root', '<r/><r/>', 'documents may contain only one root.'],
    ['an XML declaration that is not first', ' <?xml version="1.0"?><r/>', 'an XML declaration must be at the start of the document.'],
    ['an XML declaration without a version', '<?xml encoding="UTF-8"?><r/>', 'malformed XML declaration.'],
    ['an unclosed element at the end', '<r><a>', 'unclosed tag: a'],
  ])('refuses %s', (_label, xml, reason) => {
    expect(syntaxError(xml).reason).toBe(reason);
  });

  it('gives the line and column of the offending character, counting CRLF as one line end', () => {
    const error = syntaxError('<r>\r\n<a>\r\n  <b x="1"\r\n     y="2">&bogus;</b></a></r>');
    expect({ reason: error.reason, line: error.line, column: error.column }).toEqual({ reason: 'undefined entity.', line: 4, column: 18 });
  });

  it('refuses a DOCTYPE subset as soon as it opens, without reading the rest of it', () => {
    const recorder = new Recorder();
    const tokenizer = new XmlTokenizer(recorder);
    expect(() => tokenizer.write('<!DOCTYPE r [')).toThrow(XmlSyntaxError);
    expect(recorder.log).toEqual(['doctype " r [" false']);
  });
});

describe('through parseNmapXml', () => {
  const host = (ip: string) => `<host><status state="up"/><address addr="${ip}" addrtype="ipv4"/></host>\r\n`;

  it('refuses a DOCTYPE with an internal subset before reading past its first chunk', async () => {
    let pulled = 0;
    async function* endless(): AsyncGenerator<string> {
      yield '<?xml version="1.0"?>\n<!DOCTYPE nmaprun [\n';
      for (;;) {
        pulled += 1;
        yield '<!-- an endless internal subset, with no entity declaration in it -->\n';
      }
    }
    const error = await (async () => {
      for await (const _ of parseNmapXml(endless())) void _;
    })().catch((e) => e);
    expect(error).toMatchObject({ code: 'XML_DTD_REFUSED' });
    expect(error.message).toMatch(/internal DTD subset/);
    expect(pulled).toBe(0);
  });

  it('decodes invalid UTF-8 bytes to U+FFFD instead of failing', async () => {
    const bytes = Buffer.concat([Buffer.from('<nmaprun><host><hostnames><hostname name="a'), Buffer.from([0xff, 0xfe]), Buffer.from('b"/></hostnames></host></nmaprun>')]);
    const { events, error } = await collect(bytes, 5);
    expect(error).toBeUndefined();
    expect(hostsOf(events)[0]!.hostnames[0]!.name).toBe('a\uFFFD\uFFFDb');
  });

  it('keeps the hosts before an error and reports its line in a CRLF document', async () => {
    const xml = `<nmaprun scanner="nmap">\r\n${host('10.0.0.1')}${host('10.0.0.2')}<host><address addr="10.0.0.3" addrtype="ipv4"/></hostx>\r\n</nmaprun>`;
    for (const size of [3, 64, 1 << 20]) {
      const { events, error } = await collect(xml, size);
      expect(hostsOf(events).map((h) => h.addresses[0]!.addr)).toEqual(['10.0.0.1', '10.0.0.2']);
      expect(error).toMatchObject({ code: 'XML_MALFORMED', details: { line: 4, reason: 'unexpected close tag.' } });
    }
  });

  it('is not nmap when an unterminated comment before the root holds a control character', async () => {
    const { error } = await collect('<?xml version="1.0"?>\n<!-- \u0002 ', 4);
    expect(error).toMatchObject({ code: 'XML_NOT_NMAP' });
  });
});

describe('epoch seconds to ISO-8601', () => {
  it('writes what Date#toISOString writes, from 1970 to 9999', () => {
    const edges = [0, 59, 86_399, 86_400, 951_782_399, 951_782_400, 951_868_800, 1_767_222_000, 4_107_542_400, 253_402_300_799];
    let seed = 12345;
    const randomSeconds = Array.from({ length: 20_000 }, () => {
      seed = (seed * 1_103_515_245 + 12_345) % 2 ** 31;
      return Math.floor((seed / 2 ** 31) * 253_402_300_800);
    });
    for (const seconds of [...edges, ...randomSeconds]) {
      expect(isoFromWholeSeconds(seconds)).toBe(new Date(seconds * 1000).toISOString());
    }
  });

  it('is used for the times nmap writes, and Date still handles the rest', async () => {
    const xml = '<nmaprun start="1767222000"><host starttime="951782400" endtime="1.5"/><host starttime="253402300800" endtime="-1"/></nmaprun>';
    const { events } = await collect(xml);
    expect(events[0]).toMatchObject({ type: 'run', run: { startedAt: '2025-12-31T23:00:00.000Z' } });
    expect(hostsOf(events).map((h) => [h.startTime, h.endTime])).toEqual([
      ['2000-02-29T00:00:00.000Z', '1970-01-01T00:00:01.500Z'],
      ['+010000-01-01T00:00:00.000Z', '1969-12-31T23:59:59.000Z'],
    ]);
  });
});
