import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { chunkTargets, isSafeSpec, parseScope, validateTargets, type ValidatedTarget } from '../../../services/core/src/domain/scope.js';
import { buildNmapArgv } from '../../../services/discovery/src/scan/nmap-runner.js';
import { PROFILE_IDS, PROFILES } from '../../../services/discovery/src/scan/profiles.js';

const scope = parseScope('127.0.0.0/8,10.77.0.0/24');
const resolve = async (h: string) => (h === 'pacs.lab.test' ? ['10.77.0.10'] : h === 'evil.lab.test' ? ['10.77.0.10', '192.0.2.1'] : h === 'localhost' ? ['127.0.0.1'] : []);
const opts = { scope, maxPrefixV4: 16, resolve };

async function rejects(targets: unknown[]) {
  return validateTargets(targets, opts).then(
    () => {
      throw new Error(`accepted ${JSON.stringify(targets)}`);
    },
    (e: { code: string; status: number; message: string; details: { field: string } }) => e,
  );
}

describe('target validator', () => {
  it('accepts addresses, CIDRs, ranges and hostnames inside the scope', async () => {
    const v = await validateTargets(['127.0.0.1', '10.77.0.0/24', '127.0.1.5-10', '127.0.2.1-127.0.2.3', 'pacs.lab.test'], opts);
    expect(v.map((t) => t.kind)).toEqual(['address', 'cidr', 'range', 'range', 'hostname']);
    expect(v[4]!.resolved).toEqual(['10.77.0.10']);
  });

  it.each([
    ['-iL /etc/passwd', 'TARGET_INVALID'],
    ['--script=http-fetch', 'TARGET_INVALID'],
    ['127.0.0.1,--script,http-fetch', 'TARGET_INVALID'],
    ['-oN', 'TARGET_INVALID'],
    ['-sV', 'TARGET_INVALID'],
    ['127.0.0.1 -p1', 'TARGET_INVALID'],
    ['127.0.0.1;id', 'TARGET_INVALID'],
    ['$(id)', 'TARGET_INVALID'],
    ['8.8.8.8', 'TARGET_OUT_OF_SCOPE'],
    ['10.77.1.1', 'TARGET_OUT_OF_SCOPE'],
    ['127.0.0.0/8', 'TARGET_TOO_WIDE'],
    ['nothing.invalid', 'TARGET_UNRESOLVED'],
    ['evil.lab.test', 'TARGET_OUT_OF_SCOPE'],
    ['0127.0.0.1', 'TARGET_INVALID'],
    ['::1', 'TARGET_OUT_OF_SCOPE'],
  ])('refuses %s with %s naming it', async (t, code) => {
    const e = await rejects(['127.0.0.1', t]);
    expect(e.code).toBe(code);
    expect(e.status).toBe(400);
    expect(e.details.field).toBe('targets[1]');
    expect(e.message).toContain(t);
  });

  it('names every bad target in details.problems', async () => {
    const e = (await rejects(['8.8.8.8', '-x', '127.0.0.1'])) as unknown as { details: { problems: { field: string }[] } };
    expect(e.details.problems.map((p) => p.field)).toEqual(['targets[0]', 'targets[1]']);
  });

  it('chunks a /22 into four /24 jobs and merges overlaps', async () => {
    const v = await validateTargets(['127.0.0.0/22', '127.0.1.7', '127.0.3.250-255'], opts);
    const chunks = chunkTargets(v, 256);
    expect(chunks.map((c) => c.specs)).toEqual([['127.0.0.0/24'], ['127.0.1.0/24'], ['127.0.2.0/24'], ['127.0.3.0/24']]);
    const odd = chunkTargets(await validateTargets(['127.0.0.3-9'], opts));
    expect(odd[0]!.specs).toEqual(['127.0.0.3', '127.0.0.4/30', '127.0.0.8/31']);
  });

  // The property the issue asks for: whatever a request sends, no argv element comes from it and
  // nothing that reaches nmap's stdin can be read as an option.
  it('no input-derived argv element starts with "-" (fast-check)', async () => {
    const piece = fc.oneof(
      fc.string(),
      fc.constantFrom('-', '--', '-iL', '/etc/passwd', '--script=', ',', ' ', '127.0.0.1', '10.77.0.', '/24', '-oX', 'localhost', '\n', '\t', '=', 'pacs.lab.test'),
      fc.ipV4(),
      fc.ipV6(),
      fc.domain(),
    );
    const target = fc.array(piece, { minLength: 1, maxLength: 5 }).map((parts) => parts.join(''));
    await fc.assert(
      fc.asyncProperty(fc.array(target, { minLength: 1, maxLength: 6 }), fc.constantFrom(...PROFILE_IDS), fc.boolean(), async (targets, profile, privileged) => {
        let accepted: ValidatedTarget[] = [];
        try {
          accepted = await validateTargets(targets, opts);
        } catch {
          return; // refused: nothing is spawned
        }
        for (const chunk of chunkTargets(accepted)) {
          const argv = buildNmapArgv(profile, chunk.family, privileged);
          // argv is the same for every input: it only depends on the profile
          expect(argv).toEqual(buildNmapArgv(profile, chunk.family, privileged));
          for (const a of argv) expect(targets).not.toContain(a);
          for (const s of chunk.specs) {
            expect(s.startsWith('-')).toBe(false);
            expect(isSafeSpec(s)).toBe(true);
            expect(s).toMatch(/^[0-9a-f.:]+(\/\d+)?$/i);
          }
        }
      }),
      { numRuns: 2000 },
    );
  });

  it('profiles are fixed and read targets from stdin', () => {
    for (const id of PROFILE_IDS) {
      const argv = buildNmapArgv(id, 4, true);
      expect(argv.slice(-4)).toEqual(['-oX', '-', '-iL', '-']);
      expect(argv).toContain('-n');
      expect(argv.slice(0, PROFILES[id].args.length)).toEqual([...PROFILES[id].args]);
    }
    expect(buildNmapArgv('healthcare', 4, true)).toContain('dicom-ping');
    const unpriv = buildNmapArgv('os', 4, false);
    expect(unpriv).toContain('-sT');
    expect(unpriv).not.toContain('-sS');
    expect(unpriv).not.toContain('-O');
  });

  it('refuses a scope entry that is not a CIDR', () => {
    expect(() => parseScope(['10.0.0.0/24', 'example.org'], 'cidrs')).toThrow(/cidrs\[1\] "example.org"/);
  });
});
