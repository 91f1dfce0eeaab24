import { readFileSync } from 'node:fs';

/** One measure of the bench: the product's figure, its baseline in the same run, and the ratio. */
export interface Measure {
  id: string;
  title: string;
  size?: string;
  product: Record<string, number | string | null>;
  baseline?: Record<string, number | string | null>;
  /** How many times better the product is than the baseline on the headline metric (>1 = better). */
  ratio?: number | null;
  target?: string;
  met?: boolean | null;
  notes?: string[];
}

export function percentile(sorted: number[], p: number): number {
  if (sorted.length === 0) return NaN;
  const idx = Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1));
  return sorted[idx]!;
}

export function summarize(samples: number[]): { n: number; p50: number; p95: number; p99: number; max: number; mean: number } {
  const s = [...samples].sort((a, b) => a - b);
  return {
    n: s.length,
    p50: round(percentile(s, 50)),
    p95: round(percentile(s, 95)),
    p99: round(percentile(s, 99)),
    max: round(s.at(-1) ?? NaN),
    mean: round(s.reduce((a, b) => a + b, 0) / Math.max(1, s.length)),
  };
}

export function round(n: number, digits = 2): number {
  const f = 10 ** digits;
  return Math.round(n * f) / f;
}

export const now = () => performance.now();

export async function timed<T>(fn: () => Promise<T>): Promise<{ ms: number; value: T }> {
  const t0 = now();
  const value = await fn();
  return { ms: round(now() - t0), value };
}

/** Resident set size of a process in MiB: current (VmRSS) and peak (VmHWM), from /proc. */
export function procRss(pid: number): { rssMiB: number; hwmMiB: number } | null {
  try {
    const status = readFileSync(`/proc/${pid}/status`, 'utf8');
    const kb = (key: string) => Number(new RegExp(`^${key}:\\s+(\\d+)`, 'm').exec(status)?.[1] ?? NaN);
    return { rssMiB: round(kb('VmRSS') / 1024, 1), hwmMiB: round(kb('VmHWM') / 1024, 1) };
  } catch {
    return null;
  }
}

export const log = (m: string) => process.stderr.write(`[bench] ${m}\n`);
