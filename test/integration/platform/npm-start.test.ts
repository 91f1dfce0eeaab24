import { spawn, type ChildProcess } from 'node:child_process';
import { readdirSync, readFileSync, rmSync } from 'node:fs';
import { resolve } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';

/** Processes whose command line mentions `needle` (our data folder names every server we start). */
function processesMentioning(needle: string): { pid: number; cmd: string }[] {
  const out: { pid: number; cmd: string }[] = [];
  for (const d of readdirSync('/proc')) {
    if (!/^\d+$/.test(d)) continue;
    try {
      const cmd = readFileSync(`/proc/${d}/cmdline`, 'utf8').replace(/\0/g, ' ');
      if (cmd.includes(needle)) out.push({ pid: Number(d), cmd });
    } catch {
      /* exited meanwhile */
    }
  }
  return out;
}

describe('npm start', () => {
  const dataDir = resolve(`.atlas/test-start-${process.pid}`);
  const port = 18_000 + (process.pid % 1000);
  let child: ChildProcess | undefined;
  let output = '';

  afterAll(() => {
    try {
      if (child?.pid && child.exitCode === null && child.signalCode === null) process.kill(-child.pid, 'SIGKILL');
    } catch {
      /* already gone */
    }
    // Servers run in their own process groups; if the test failed half-way, stop them too.
    for (const p of processesMentioning(dataDir)) process.kill(p.pid, 'SIGKILL');
    rmSync(dataDir, { recursive: true, force: true });
  });

  it('serves the UI and API with the demo network, and Ctrl-C leaves no process behind', async () => {
    child = spawn('npm', ['start'], {
      cwd: resolve('.'),
      detached: true, // its own process group, like a terminal session
      env: {
        ...process.env,
        ATLAS_PORT: String(port),
        NEO4J_BOLT_PORT: String(port + 1),
        REDIS_PORT: String(port + 2),
        ATLAS_DATA_DIR: dataDir,
        NEO4J_HEAP: '512m',
        NEO4J_PAGECACHE: '128m',
      },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    child.stdout!.on('data', (d: Buffer) => (output += d.toString()));
    child.stderr!.on('data', (d: Buffer) => (output += d.toString()));
    const deadline = Date.now() + 150_000;
    while (!output.includes('Press Ctrl-C') && Date.now() < deadline) {
      if (child.exitCode !== null) throw new Error(`npm start exited early:\n${output}`);
      await new Promise((r) => setTimeout(r, 250));
    }
    expect(output).toContain(`http://127.0.0.1:${port}/`);
    expect(output).toMatch(/user: admin\s+password: \S{12,}/);

    const health = await fetch(`http://127.0.0.1:${port}/api/v1/health`);
    expect(health.status).toBe(200);
    const page = await fetch(`http://127.0.0.1:${port}/`);
    expect(page.status).toBe(200);
    expect(await page.text()).toContain('<title>ePHI Atlas</title>');

    const password = /password: (\S+)/.exec(output)![1]!;
    const login = await fetch(`http://127.0.0.1:${port}/api/v1/auth/login`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ username: 'admin', password }),
    });
    expect(login.status).toBe(200);

    // Neo4j's command line names our data folder; redis-server rewrites its title to host:port.
    const ours = () => [...processesMentioning(dataDir), ...processesMentioning(`redis-server 127.0.0.1:${port + 2}`)];
    const servers = ours();
    expect(servers.some((p) => p.cmd.includes('org.neo4j'))).toBe(true);
    expect(servers.some((p) => p.cmd.includes('redis-server'))).toBe(true);

    process.kill(-child.pid!, 'SIGINT'); // what a terminal's Ctrl-C does
    const [code, signal] = await new Promise<[number | null, string | null]>((r) => child!.once('exit', (c, s) => r([c, s])));
    // npm re-raises the SIGINT it received once its script has exited; the script itself exits 0.
    expect(code === 0 || signal === 'SIGINT').toBe(true);
    expect(output).toContain('[atlas] stopped');
    expect(ours()).toEqual([]);
  }, 240_000);
});
