import { spawn } from 'node:child_process';
import { statSync } from 'node:fs';
import { loadavg } from 'node:os';
import { fileURLToPath } from 'node:url';
import { round, type Measure } from './lib.js';

const child = fileURLToPath(new URL('./parse-child.ts', import.meta.url));

interface ParseRun {
  parser: string;
  hosts: number;
  ms: number;
  cpuMs?: number;
  maxRssMiB: number;
  error?: string;
}

export function runParseChild(parser: 'ours' | 'node-nmap' | 'none', file: string, timeoutMs = 600_000): Promise<ParseRun> {
  return new Promise((resolve) => {
    const p = spawn(process.execPath, ['--import', 'tsx', child, parser, file], { stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    let err = '';
    const timer = setTimeout(() => p.kill('SIGKILL'), timeoutMs);
    p.stdout.on('data', (d) => (out += d));
    p.stderr.on('data', (d) => (err += d));
    p.on('close', (code, signal) => {
      clearTimeout(timer);
      const line = out.trim().split('\n').at(-1) ?? '';
      try {
        resolve(JSON.parse(line) as ParseRun);
      } catch {
        resolve({ parser, hosts: 0, ms: NaN, maxRssMiB: NaN, error: `exit ${code ?? signal}: ${err.trim().split('\n').slice(-3).join(' ').slice(0, 300)}` });
      }
    });
  });
}

/** Runs per parser; the fastest counts (the machine is shared: a slower run measured the neighbours). */
const RUNS = Math.max(1, Number(process.env.BENCH_PARSE_RUNS ?? 3));

const fastest = (runs: ParseRun[]): ParseRun => runs.find((r) => r.error) ?? runs.reduce((a, b) => (b.ms < a.ms ? b : a));

/**
 * Measure 1: streaming parser vs node-nmap (xml2js on the whole string), each in its own process,
 * alternating, RUNS times each; the fastest run of each parser is reported with its own peak RSS.
 */
export async function measureParse(file: string, label: string): Promise<Measure> {
  const mib = statSync(file).size / 2 ** 20;
  const oursRuns: ParseRun[] = [];
  const theirRuns: ParseRun[] = [];
  const floors: number[] = [];
  const loads: string[] = [];
  for (let i = 0; i < RUNS; i++) {
    loads.push(loadavg()[0]!.toFixed(2));
    oursRuns.push(await runParseChild('ours', file));
    // node-nmap needs about 12x the file in memory and minutes on a busy machine: once it
    // failed, it fails again.
    if (!theirRuns.some((r) => r.error)) theirRuns.push(await runParseChild('node-nmap', file));
    floors.push((await runParseChild('none', file)).maxRssMiB);
  }
  const ours = fastest(oursRuns);
  const theirs = fastest(theirRuns);
  const floor = Math.min(...floors);
  const thrOurs = ours.hosts / (ours.ms / 1000);
  const thrTheirs = theirs.hosts / (theirs.ms / 1000);
  const speed = theirs.error ? null : round(thrOurs / thrTheirs);
  const memRatio = theirs.error ? null : round(theirs.maxRssMiB / ours.maxRssMiB);
  // Above the runtime floor (Node + tsx + both modules loaded, nothing parsed).
  const netRatio = theirs.error || !(floor > 0) ? null : round((theirs.maxRssMiB - floor) / Math.max(1, ours.maxRssMiB - floor));
  const runs = (rs: ParseRun[]) => rs.map((r) => (r.error ? 'error' : `${r.ms} ms (${r.cpuMs} ms CPU)/${r.maxRssMiB} MiB`)).join(', ');
  return {
    id: 'parse',
    title: 'nmap XML parse throughput and peak RSS',
    size: `${label} (${round(mib, 1)} MiB)`,
    product: { hosts: ours.hosts, ms: ours.ms, hostsPerSec: Math.round(thrOurs), mibPerSec: round(mib / (ours.ms / 1000)), peakRssMiB: ours.maxRssMiB, aboveFloorMiB: floor > 0 ? round(ours.maxRssMiB - floor) : null, error: ours.error ?? null },
    baseline: { name: 'node-nmap 4 (xml2js)', hosts: theirs.hosts, ms: theirs.ms, hostsPerSec: Math.round(thrTheirs), peakRssMiB: theirs.maxRssMiB, aboveFloorMiB: floor > 0 ? round(theirs.maxRssMiB - floor) : null, error: theirs.error ?? null },
    ratio: speed,
    target: '≥5× throughput at ≤1/5 peak RSS',
    met: speed === null || memRatio === null ? null : speed >= 5 && memRatio >= 5,
    notes: [
      `throughput ${speed ?? 'n/a'}×; peak RSS 1/${memRatio ?? 'n/a'} of the baseline's, 1/${netRatio ?? 'n/a'} above the ${floor} MiB runtime floor (a process that loads both parsers and parses nothing)`,
      `fastest of ${RUNS} alternating runs each: ours ${runs(oursRuns)}; node-nmap ${runs(theirRuns)}; 1-min load average before each round ${loads.join(', ')}`,
    ],
  };
}
