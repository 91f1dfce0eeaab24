import { spawn, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { accessSync, constants, existsSync } from 'node:fs';
import { delimiter, isAbsolute, join } from 'node:path';
import { AtlasError, ValidationError } from '../../../core/src/errors.js';
import { isSafeSpec } from '../../../core/src/domain/scope.js';
import { parseNmapXml } from '../nmap/nmap-xml-parser.js';
import type { NmapHost, NmapRunInfo, NmapRunSummary } from '../nmap/nmap-types.js';
import { PROFILES, profileArgv, type ProfileId } from './profiles.js';

/**
 * Runs nmap safely: no shell, argv fixed by the profile, targets on stdin (`-iL -`), XML on
 * stdout streamed into the parser. Every child is tracked so shutdown can kill them all.
 */
export class NmapError extends AtlasError {
  constructor(code: 'NMAP_NOT_FOUND' | 'NMAP_FAILED' | 'SCAN_TIMEOUT' | 'JOB_CANCELLED', message: string, details?: unknown) {
    super(code, message, { status: code === 'NMAP_NOT_FOUND' ? 503 : 500, details });
  }
}

export interface NmapProgress {
  percent: number;
  task?: string;
  remainingSeconds?: number;
  hostsFound: number;
}

export interface NmapRunOptions {
  profile: ProfileId;
  family: 4 | 6;
  specs: string[];
  nmapPath?: string;
  privileged?: boolean;
  maxSeconds?: number;
  signal?: AbortSignal;
  onProgress?: (p: NmapProgress) => void | Promise<void>;
  /** The run header (args, scanned ports), before the first host. */
  onRun?: (run: NmapRunInfo) => void | Promise<void>;
  /** Awaited per host, so a slow consumer slows the reading of nmap's output. */
  onHost?: (h: NmapHost) => void | Promise<void>;
}

export interface NmapRunResult {
  argv: string[];
  run?: NmapRunInfo;
  summary: NmapRunSummary;
  hostsUp: number;
  /** Addresses nmap reported on, up or down (for missed-host detection). */
  reported: string[];
  warnings: string;
  pid?: number;
}

const live = new Set<ChildProcess>();

/** Pids of nmap children this process is running (for tests and the shutdown check). */
export function liveNmapPids(): number[] {
  return [...live].map((c) => c.pid!).filter(Boolean);
}

/** Kills every nmap child of this process: SIGTERM, then SIGKILL after `graceMs`. */
export async function killAllNmap(graceMs = 2_000): Promise<void> {
  const children = [...live];
  for (const c of children) c.kill('SIGTERM');
  await Promise.race([Promise.all(children.map((c) => (c.exitCode !== null || c.signalCode !== null ? undefined : once(c, 'close')))), new Promise((r) => setTimeout(r, graceMs))]);
  for (const c of children) if (c.exitCode === null && c.signalCode === null) c.kill('SIGKILL');
}

/** Finds the binary on PATH (or checks an explicit path); null when it is missing or not executable. */
export function resolveBinary(bin: string): string | null {
  const candidates = bin.includes('/') ? [bin] : (process.env.PATH ?? '').split(delimiter).filter(Boolean).map((d) => join(d, bin));
  for (const c of candidates) {
    try {
      accessSync(c, constants.X_OK);
      return isAbsolute(c) ? c : join(process.cwd(), c);
    } catch {
      /* next */
    }
  }
  return null;
}

// On Linux, setpriv asks the kernel to SIGKILL nmap if the worker dies (even by SIGKILL), so a
// crashed worker never leaves a scan running; it execs nmap, so the pid stays the same.
const SETPRIV = process.platform === 'linux' && existsSync('/usr/bin/setpriv') ? '/usr/bin/setpriv' : null;

export function buildNmapArgv(profile: ProfileId, family: 4 | 6, privileged: boolean): string[] {
  return profileArgv(profile, { privileged, family });
}

export async function runNmap(opts: NmapRunOptions): Promise<NmapRunResult> {
  const bad = opts.specs.find((s) => !isSafeSpec(s));
  if (bad !== undefined || opts.specs.length === 0) {
    throw new ValidationError('TARGET_UNSAFE', `refusing to pass "${bad ?? ''}" to nmap: not a normalized address or CIDR`, { target: bad });
  }
  const privileged = opts.privileged ?? process.getuid?.() === 0;
  const argv = buildNmapArgv(opts.profile, opts.family, privileged);
  const bin = opts.nmapPath ?? 'nmap';
  const path = resolveBinary(bin);
  if (!path) throw new NmapError('NMAP_NOT_FOUND', `nmap is not installed or not executable (${bin})`, { path: bin });
  const child = SETPRIV
    ? spawn(SETPRIV, ['--pdeathsig', 'KILL', '--', path, ...argv], { shell: false, stdio: ['pipe', 'pipe', 'pipe'] })
    : spawn(path, argv, { shell: false, stdio: ['pipe', 'pipe', 'pipe'] });
  try {
    await once(child, 'spawn');
  } catch (err) {
    const e = err as NodeJS.ErrnoException;
    if (e.code === 'ENOENT' || e.code === 'EACCES') throw new NmapError('NMAP_NOT_FOUND', `nmap is not installed or not executable (${bin}): ${e.code}`, { path: bin });
    throw new NmapError('NMAP_FAILED', `could not start nmap: ${e.message}`);
  }
  live.add(child);
  let stopped: 'cancel' | 'timeout' | undefined;
  const kill = (why: 'cancel' | 'timeout') => {
    stopped ??= why;
    child.kill('SIGKILL');
  };
  const onAbort = () => kill('cancel');
  if (opts.signal?.aborted) kill('cancel');
  opts.signal?.addEventListener('abort', onAbort);
  const limit = (opts.maxSeconds ?? PROFILES[opts.profile].maxSeconds) * 1000;
  const timer = setTimeout(() => kill('timeout'), limit);
  let stderr = '';
  child.stderr!.setEncoding('utf8');
  child.stderr!.on('data', (d: string) => {
    stderr = (stderr + d).slice(-8192);
  });
  const closed = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) => child.on('close', (code, signal) => resolve({ code, signal })));
  child.stdin!.on('error', () => {}); // nmap may exit before reading all targets
  child.stdin!.end(opts.specs.join('\n') + '\n');

  let run: NmapRunInfo | undefined;
  let summary: NmapRunSummary = { complete: false };
  let hostsUp = 0;
  const reported: string[] = [];
  let parseError: unknown;
  try {
    for await (const ev of parseNmapXml(child.stdout!)) {
      if (ev.type === 'run') {
        run = ev.run;
        await opts.onRun?.(ev.run);
      } else if (ev.type === 'host') {
        if (ev.host.status === 'up') hostsUp++;
        reported.push(...ev.host.addresses.filter((a) => a.addrtype !== 'mac').map((a) => a.addr));
        await opts.onHost?.(ev.host);
      } else if (ev.type === 'progress') {
        await opts.onProgress?.({ percent: ev.percent ?? 0, task: ev.task, remainingSeconds: ev.remainingSeconds, hostsFound: hostsUp });
      } else if (ev.type === 'end') summary = ev.summary;
    }
  } catch (err) {
    parseError = err;
    if (!stopped) child.kill('SIGKILL');
  } finally {
    const exit = await closed;
    clearTimeout(timer);
    opts.signal?.removeEventListener('abort', onAbort);
    live.delete(child);
    if (stopped === 'cancel') throw new NmapError('JOB_CANCELLED', 'the scan was cancelled; nmap was stopped');
    if (stopped === 'timeout') throw new NmapError('SCAN_TIMEOUT', `nmap ran longer than ${limit / 1000} s and was stopped`);
    if (exit.code !== 0 || summary.exit === 'error') {
      const msg = summary.errorMessage || lastLines(stderr) || (exit.signal ? `killed by ${exit.signal}` : `exit code ${exit.code}`);
      throw new NmapError('NMAP_FAILED', `nmap failed: ${msg}`, { exitCode: exit.code, signal: exit.signal });
    }
    if (parseError) throw parseError;
  }
  return { argv, run, summary, hostsUp, reported, warnings: stderr.trim(), pid: child.pid };
}

function lastLines(s: string): string {
  return s.trim().split('\n').slice(-3).join(' | ');
}
