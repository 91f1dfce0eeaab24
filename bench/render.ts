/**
 * Re-renders BENCHMARKS.md from the JSON lines a bench run printed (for instance after editing
 * ANALYSIS.md), keeping that run's header facts; no figure is computed here.
 *
 *   npm run bench > run.jsonl ; npx tsx bench/render.ts run.jsonl
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Measure } from './lib.js';
import { writeReport } from './report.js';

const [jsonl] = process.argv.slice(2);
if (!jsonl) {
  console.error('usage: render.ts <json-lines file from npm run bench>');
  process.exit(2);
}
const root = fileURLToPath(new URL('..', import.meta.url));
const out = join(root, 'BENCHMARKS.md');
const measures = readFileSync(jsonl, 'utf8')
  .split('\n')
  .filter((l) => l.startsWith('{'))
  .map((l) => JSON.parse(l) as Measure);
const previous = readFileSync(out, 'utf8');
const head = /started (\S+) \((\w+) run, (?:finished in|\*\*incomplete\*\*: stopped or still running after) ([\d.]+) min, generator seed (\d+)\)/.exec(previous);
const neo4j = /Neo4j ([\d.]+) \(embedded/.exec(previous);
if (!head) throw new Error('BENCHMARKS.md has no run header to keep');
writeReport(
  out,
  measures,
  { mode: head[2] as 'full' | 'quick', startedAt: head[1]!, minutes: Number(head[3]), neo4jVersion: neo4j?.[1] ?? 'unknown', seed: Number(head[4]), command: 'npm run bench', finished: !previous.includes('**incomplete**') },
  join(root, 'bench/ANALYSIS.md'),
);
console.error(`re-rendered ${out} from ${measures.length} measures`);
