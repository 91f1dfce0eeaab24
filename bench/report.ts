import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { cpus, totalmem, release } from 'node:os';
import type { Measure } from './lib.js';

export interface RunInfo {
  mode: 'full' | 'quick';
  startedAt: string;
  minutes: number;
  neo4jVersion: string;
  seed: number;
  command: string;
  finished: boolean;
  /** os.loadavg() when the report was written by the run itself. */
  loadavg?: number[];
}

function fmt(v: Record<string, number | string | null> | undefined): string {
  if (!v) return '—';
  return Object.entries(v)
    .filter(([, x]) => x !== null && x !== undefined && x !== '')
    .map(([k, x]) => `${k}: ${typeof x === 'number' ? x.toLocaleString('en-US') : x}`)
    .join('<br>')
    .replace(/\|/g, '\\|');
}

export function renderReport(measures: Measure[], info: RunInfo, analysisPath?: string): string {
  const cpu = cpus();
  const lines = [
    '# ePHI Atlas benchmarks',
    '',
    `Written by \`${info.command}\` started ${info.startedAt} (${info.mode} run, ${info.finished ? `finished in ${info.minutes} min` : `**incomplete**: stopped or still running after ${info.minutes} min`}, generator seed ${info.seed}).`,
    '',
    `Machine: ${cpu.length} × ${cpu[0]?.model ?? 'unknown CPU'}, ${Math.round(totalmem() / 2 ** 30)} GiB RAM, Linux ${release()}, Node ${process.versions.node}, Neo4j ${info.neo4jVersion} (embedded, the product's own provisioning), Redis (embedded).${info.loadavg ? ` Load average when this report was written: ${info.loadavg.map((x) => x.toFixed(1)).join(' / ')} (1/5/15 min) on ${cpu.length} cores.` : ''} The machine is shared: absolute times drift between runs, the ratios against baselines measured in the same run are the figures to compare.`,
    '',
    '| # | measure | size | product | baseline | ratio | target | met |',
    '|---|---|---|---|---|---|---|---|',
    ...measures.map((m, i) => `| ${i + 1} | ${m.title} | ${m.size ?? ''} | ${fmt(m.product)} | ${fmt(m.baseline)} | ${m.ratio ?? '—'} | ${m.target ?? ''} | ${m.met === true ? 'yes' : m.met === false ? '**no**' : '—'} |`),
    '',
    'Ratio = product ÷ baseline on the headline figure, oriented so that > 1 means the product does better (throughput ratio, or baseline latency ÷ product latency).',
    '',
    '## Notes per measure',
    '',
    ...measures.filter((m) => m.notes?.length).map((m) => `- **${m.title}** (${m.size ?? ''}): ${m.notes!.join('; ')}`),
    '',
  ];
  if (analysisPath && existsSync(analysisPath)) lines.push(readFileSync(analysisPath, 'utf8').trim(), '');
  lines.push(
    '## How to reproduce',
    '',
    '```sh',
    'npm run bench             # full run: 10k and 100k assets, well under 30 minutes on 2 cores',
    'npm run bench -- --quick  # smoke run: 1k/2k sizes in .atlas/bench-quick (writes .atlas/bench-quick/BENCHMARKS-quick.md)',
    'npm run bench -- --only=reach,map,api,ui --reuse-graph  # re-measure on the 100k graph left by a full run',
    '```',
    '',
    'The bench provisions its own Neo4j (bolt 17771) and Redis (17772) with the product\'s provisioning, serves the API on 127.0.0.1:18771, keeps its data in `.atlas/bench/` (`.atlas/bench-quick/` for --quick; BENCH_NEO4J_PORT, BENCH_REDIS_PORT, BENCH_API_PORT and BENCH_DATA_DIR move them) and prints one JSON line per measure on stdout. It never talks to anything but loopback.',
    '',
  );
  return lines.join('\n');
}

export function writeReport(path: string, measures: Measure[], info: RunInfo, analysisPath?: string): void {
  writeFileSync(path, renderReport(measures, info, analysisPath));
}
