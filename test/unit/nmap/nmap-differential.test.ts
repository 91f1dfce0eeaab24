// The parser against the saxes-based parser it replaced (kept in ./reference/ for this
// comparison only): the same events, in the same order, with the same keys in the same order,
// and the same error code, on the whole corpus, a generated 10k-host scan, every kind of cut,
// and thousands of corrupted variants.
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
import { parseNmapXml } from '../../../services/discovery/src/nmap/nmap-xml-parser.js';
import { DEFAULT_SEED, hospitalHosts, planHospital } from '../../../services/platform/src/generator/hospital-network.js';
import { writeNmapXml } from '../../../services/platform/src/generator/nmap-xml-writer.js';
import { pieces } from './parse-input.js';
import { parseNmapXml as parseWithSaxes } from './reference/saxes-nmap-parser.js';

const PUBLIC_DIR = fileURLToPath(new URL('../../../../shared/fixtures/nmap/public/', import.meta.url));
const LAB_DIR = fileURLToPath(new URL('../../../../shared/fixtures/nmap/lab/', import.meta.url));
const FIXTURES = [
  ...readdirSync(PUBLIC_DIR).filter((f) => f.endsWith('.xml')).map((f) => join(PUBLIC_DIR, f)),
  ...readdirSync(LAB_DIR).filter((f) => f.endsWith('.xml')).map((f) => join(LAB_DIR, f)),
];
const name = (path: string) => path.split('/').at(-1)!;

interface Outcome {
  /** Each event as JSON: key order counts, as it does for anyone who serializes the events. */
  events: string[];
  error?: string;
  message?: string;
}

type Parse = (input: AsyncIterable<string | Buffer>, opts?: { maxHosts?: number }) => AsyncGenerator<unknown>;

async function outcome(parse: Parse, data: Buffer | string, size: number, maxHosts?: number): Promise<Outcome> {
  const events: string[] = [];
  try {
    for await (const event of parse(pieces(data, size), { maxHosts })) events.push(JSON.stringify(event));
    return { events };
  } catch (err) {
    return { events, error: (err as { code?: string }).code ?? String(err), message: (err as Error).message };
  }
}

async function compare(data: Buffer | string, size: number, maxHosts?: number): Promise<{ ours: Outcome; saxes: Outcome }> {
  const [ours, saxes] = [await outcome(parseNmapXml, data, size, maxHosts), await outcome(parseWithSaxes, data, size, maxHosts)];
  return { ours, saxes };
}

async function expectSame(data: Buffer | string, size: number, maxHosts?: number): Promise<Outcome> {
  const { ours, saxes } = await compare(data, size, maxHosts);
  expect(ours.error).toBe(saxes.error);
  expect(ours.events.length).toBe(saxes.events.length);
  expect(ours.events).toEqual(saxes.events);
  return ours;
}

const LONE_HIGH_SURROGATE = /[\uD800-\uDBFF](?![\uDC00-\uDFFF])/;

/** Deterministic pseudo-random numbers (mulberry32), so a failure can be replayed. */
function random(seed: number): () => number {
  return () => {
    seed = (seed + 0x6d2b79f5) | 0;
    let t = Math.imul(seed ^ (seed >>> 15), 1 | seed);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

describe('same output as the saxes-based parser', () => {
  it('finds the 28 corpus files (26 scans and the two attack files)', () => {
    expect(FIXTURES).toHaveLength(28);
  });

  it.each(FIXTURES.map((f) => [name(f), f]))('%s, read in 64 KiB, 4 KiB, 100-byte and 7-byte chunks', async (_name, file) => {
    const bytes = readFileSync(file);
    const whole = await expectSame(bytes, 65536);
    for (const size of [4096, 100, 7]) await expectSame(bytes, size);
    // The attack files must still be refused, everything else must parse to its end.
    if (/defused/.test(file)) expect(whole.error).toMatch(/XML_DTD_REFUSED|XML_NOT_NMAP/);
    else expect(whole.error).toBeUndefined();
  });

  it.each(FIXTURES.map((f) => [name(f), f]))('%s, cut every 101 characters and stopped by maxHosts', async (_name, file) => {
    const text = readFileSync(file, 'utf8');
    for (let cut = 0; cut < text.length; cut += 101) await expectSame(text.slice(0, cut), 4096);
    for (const maxHosts of [1, 2, 5]) await expectSame(text, 1000, maxHosts);
  });

  describe('a generated 10k-host scan (12.7 MiB)', () => {
    const dir = mkdtempSync(join(tmpdir(), 'nmap-diff-'));
    afterAll(() => rmSync(dir, { recursive: true, force: true }));

    it('yields the same 10,002 events', async () => {
      const file = join(dir, 'hospital-10k.xml');
      await writeNmapXml(file, hospitalHosts(planHospital({ assets: 10_000, seed: DEFAULT_SEED })));
      const bytes = readFileSync(file);
      const result = await expectSame(bytes, 65536);
      expect(result.events).toHaveLength(10_002);
      expect(result.error).toBeUndefined();
    }, 120_000);
  });

  it('agrees on 3,000 corrupted copies of corpus files (one random edit each)', async () => {
    const next = random(20261204);
    const sources = ['1_os_banner_scripts.xml', 'full_sudo6.xml', '2_hosts_version.xml', 'os_scan6.xml', 'test_osclass.xml', 'dionaea_scan.xml'].map((f) =>
      readFileSync(join(PUBLIC_DIR, f), 'utf8').slice(0, 6000),
    );
    const edits = ['<', '>', '&', '"', "'", '/', '=', ' ', '\n', '\r', '\r\n', '\t', '\u0001', '\u007f', '\uFFFE', '\uD800', '\uDC00', '🩻', 'é', '\u0085', ']]>', '<!--', '-->', '--', '<?', '?>', '<![CDATA[x]]>', '&amp;', '&#38;', '&#0;', '&#x10FFFF;', '&#xD800;', '&bogus;', '</x>', '<x>', '<x/>', ' a="1"', ' a="1" a="2"', '<!DOCTYPE nmaprun>', '\uFEFF', ''];
    let errors = 0;
    let surrogates = 0;
    for (let n = 0; n < 3000; n++) {
      const text = sources[Math.floor(next() * sources.length)]!;
      const at = Math.floor(next() * text.length);
      const cutOut = next() < 0.3 ? 1 + Math.floor(next() * 4) : 0;
      const edit = edits[Math.floor(next() * edits.length)]!;
      const mutated = text.slice(0, at) + edit + text.slice(at + cutOut);
      const size = [7, 64, 1 << 20][n % 3]!;
      const { ours, saxes } = await compare(mutated, size);
      const context = JSON.stringify(mutated.slice(Math.max(0, at - 40), at + 40));
      if (LONE_HIGH_SURROGATE.test(mutated)) {
        // saxes reads a high surrogate and whatever follows it as one (invalid) code point; it is
        // refused here. A string input is the only way to get one: UTF-8 bytes never decode to it.
        expect({ error: ours.error, context }).toEqual({ error: expect.stringMatching(/^XML_(MALFORMED|NOT_NMAP)$/), context });
        expect(saxes.events.slice(0, ours.events.length)).toEqual(ours.events);
        surrogates += 1;
      } else if (saxes.message?.includes('unexpected close tag') && saxes.events.length === ours.events.length + 1 && saxes.events.at(-1)!.startsWith('{"type":"run"')) {
        // saxes "closes" the innermost element before it reports a mismatched end tag; when that
        // element is the root, the old parser yielded `run` just before the error.
        expect(ours.error).toBe(saxes.error);
        expect(saxes.events.slice(0, -1)).toEqual(ours.events);
      } else {
        expect({ error: ours.error, events: ours.events, context }).toEqual({ error: saxes.error, events: saxes.events, context });
      }
      if (ours.error) errors += 1;
    }
    expect(errors).toBeGreaterThan(500); // the edits do break documents: the comparison covers errors
    expect(surrogates).toBeGreaterThan(10);
  }, 120_000);
});
