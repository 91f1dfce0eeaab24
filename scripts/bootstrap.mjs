#!/usr/bin/env node
// Fresh-machine bootstrap, written with Node's built-ins only: a clean clone has no node_modules.
// It installs what is missing (npm packages, Debian packages, the web bundle), then hands over to
// the TypeScript entry point for the command. Neo4j itself is provisioned by services/platform.
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, readdirSync, readFileSync, rmSync, statSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const [command = 'start', ...rest] = process.argv.slice(2);
const say = (m) => console.log(`[bootstrap] ${m}`);

const [major, minor] = process.versions.node.split('.').map(Number);
if (major < 20 || (major === 20 && minor < 19)) {
  console.error(`Node.js >= 20.19 is required (found ${process.versions.node})`);
  process.exit(1);
}

function sh(cmd, args, opts = {}) {
  const r = spawnSync(cmd, args, { stdio: 'inherit', cwd: root, ...opts });
  if (r.status !== 0) {
    console.error(`[bootstrap] ${cmd} ${args.join(' ')} failed (${r.status ?? r.signal})`);
    process.exit(r.status ?? 1);
  }
}

function has(bin) {
  return spawnSync('sh', ['-c', `command -v ${bin}`], { stdio: 'ignore' }).status === 0;
}

function mtime(p) {
  try {
    return statSync(p).mtimeMs;
  } catch {
    return 0;
  }
}

function newestIn(dir) {
  let newest = 0;
  if (!existsSync(dir)) return 0;
  for (const e of readdirSync(dir, { withFileTypes: true })) {
    const p = join(dir, e.name);
    newest = Math.max(newest, e.isDirectory() ? newestIn(p) : mtime(p));
  }
  return newest;
}

// 1. npm packages
const lock = join(root, 'package-lock.json');
const installed = join(root, 'node_modules', '.package-lock.json');
if (!existsSync(installed) || mtime(lock) > mtime(installed)) {
  say('installing npm packages (npm ci)…');
  sh('npm', ['ci', '--no-audit', '--no-fund', '--loglevel=error']);
}

// 2. Debian packages: servers and tools the product runs for real.
const needs = {
  start: { 'redis-server': 'redis-server', nmap: 'nmap', java: 'openjdk-17-jre-headless', mvn: 'maven' },
  test: {
    'redis-server': 'redis-server', nmap: 'nmap', java: 'openjdk-17-jre-headless', mvn: 'maven', chromium: 'chromium',
    Orthanc: 'orthanc', storescp: 'dcmtk', ip: 'iproute2', python3: 'python3',
  },
};
const wanted = needs[command] ?? needs.start;
const missing = [...new Set(Object.entries(wanted).filter(([bin]) => !has(bin)).map(([, pkg]) => pkg))];
if (missing.length) {
  if (process.getuid && process.getuid() !== 0) {
    console.error(`[bootstrap] missing system packages: ${missing.join(' ')}\n  run: sudo apt-get update && sudo apt-get install -y ${missing.join(' ')}`);
    process.exit(1);
  }
  say(`installing Debian packages: ${missing.join(' ')}`);
  sh('apt-get', ['update', '-qq']);
  sh('apt-get', ['install', '-y', '-qq', '--no-install-recommends', ...missing], { env: { ...process.env, DEBIAN_FRONTEND: 'noninteractive' } });
  // Debian starts a system redis-server and orthanc on install; the product runs its own.
  spawnSync('sh', ['-c', 'service redis-server stop >/dev/null 2>&1; service orthanc stop >/dev/null 2>&1; true'], { stdio: 'ignore' });
}

// 3. The web bundle, rebuilt when any UI source is newer than it.
if (command === 'start' || command === 'test' || command === 'bench') {
  const dist = join(root, 'web', 'dist', 'index.html');
  const src = Math.max(newestIn(join(root, 'web', 'src')), mtime(join(root, 'web', 'index.html')), mtime(join(root, 'web', 'vite.config.ts')));
  if (!existsSync(dist) || src > mtime(dist)) {
    say('building the UI (vite)…');
    sh(process.execPath, [join(root, 'node_modules', 'vite', 'bin', 'vite.js'), 'build', '--config', 'web/vite.config.ts', '--logLevel', 'warn']);
  }
}

// 4. Hand over.
const tsx = ['--import', 'tsx'];
const entry = {
  start: [...tsx, 'services/platform/src/start.ts'],
  atlas: [...tsx, 'services/cli/src/atlas.ts'],
  bench: [...tsx, 'bench/run.ts'],
  test: [join(root, 'node_modules', 'vitest', 'vitest.mjs'), 'run', '--reporter=default', '--reporter=json', '--outputFile.json=test-results/vitest.json'],
}[command];
if (!entry) {
  console.error(`unknown command ${command}; use start, test, atlas or bench`);
  process.exit(2);
}
if (command === 'test') {
  rmSync(join(root, 'test-results', 'vitest.json'), { force: true });
  say('type-checking…');
  sh(process.execPath, [join(root, 'node_modules', 'typescript', 'bin', 'tsc'), '-p', 'tsconfig.json', '--noEmit']);
}
const child = spawn(process.execPath, [...entry, ...rest], { stdio: 'inherit', cwd: root });
// The terminal's Ctrl-C reaches the child directly (same process group); a signal sent to this
// process alone is forwarded, so either way the child runs its orderly shutdown.
for (const sig of ['SIGINT', 'SIGTERM', 'SIGHUP']) {
  process.on(sig, () => {
    if (child.exitCode === null) child.kill(sig);
  });
}
child.on('exit', (code, signal) => {
  if (command === 'test') printTestSummary();
  process.exit(code ?? (signal ? 1 : 0));
});

// One plain closing line that any CI can read, from vitest's JSON report.
function printTestSummary() {
  try {
    const r = JSON.parse(readFileSync(join(root, 'test-results', 'vitest.json'), 'utf8'));
    const skipped = (r.numPendingTests ?? 0) + (r.numTodoTests ?? 0);
    console.log(`\n${r.numPassedTests} passed, ${r.numFailedTests} failed${skipped ? `, ${skipped} skipped` : ''}`);
  } catch {
    /* no report: vitest failed before running tests; its own output says why */
  }
}
