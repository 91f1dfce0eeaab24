import { spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { chmodSync, existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { killStalePid, portOpen, stopChild, waitFor, writePidFile } from './process-util.js';

/**
 * Debian's redis-server as a child process on loopback, configured for a job queue: append-only
 * file (fsync every second) so queued jobs survive a restart, no RDB snapshots, and
 * `noeviction` because BullMQ must never have its keys evicted. A generated password guards it.
 */
export interface RedisServerOptions {
  dataDir: string;
  port: number;
  log?: (msg: string) => void;
}

export interface RunningRedis {
  url: string;
  pid: number;
  stop(): Promise<void>;
}

export async function startRedis(o: RedisServerOptions): Promise<RunningRedis> {
  const dir = join(o.dataDir, 'redis');
  mkdirSync(dir, { recursive: true });
  const pidFile = join(dir, 'atlas-redis.pid');
  await killStalePid(pidFile, 10_000);
  if (await portOpen('127.0.0.1', o.port)) throw new Error(`port ${o.port} is already in use; set REDIS_PORT or REDIS_URL`);
  const pwFile = join(dir, 'redis-password');
  if (!existsSync(pwFile)) writeFileSync(pwFile, randomBytes(18).toString('base64url') + '\n', { mode: 0o600 });
  chmodSync(pwFile, 0o600);
  const password = readFileSync(pwFile, 'utf8').trim();
  const conf = join(dir, 'redis.conf');
  writeFileSync(
    conf,
    [
      `port ${o.port}`,
      'bind 127.0.0.1',
      'protected-mode yes',
      `dir ${dir}`,
      'appendonly yes',
      'appendfsync everysec',
      'save ""',
      'maxmemory-policy noeviction',
      `requirepass ${password}`,
      'daemonize no',
      'logfile ""',
      '',
    ].join('\n'),
    { mode: 0o600 },
  );
  const started = Date.now();
  const child = spawn('redis-server', [conf], { stdio: ['ignore', 'ignore', 'ignore'], detached: true });
  child.on('error', () => {});
  writePidFile(pidFile, child.pid!);
  await waitFor('Redis', () => portOpen('127.0.0.1', o.port), 30_000, child);
  o.log?.(`Redis answering on 127.0.0.1:${o.port} after ${Date.now() - started} ms`);
  return {
    url: `redis://:${encodeURIComponent(password)}@127.0.0.1:${o.port}`,
    pid: child.pid!,
    async stop() {
      await stopChild(child, 15_000);
    },
  };
}
