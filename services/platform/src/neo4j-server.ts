import { spawn, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { chmodSync, existsSync, mkdirSync, openSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { killStalePid, portOpen, run, stopChild, waitFor, writePidFile } from './process-util.js';

/**
 * Neo4j 5 community, provisioned from Maven Central and run as a child process on Java 17.
 * The jars are resolved once into a cache shared by every checkout; each data folder gets its
 * own home (config, data, logs) and a generated password kept there with 0600 permissions.
 */
export const NEO4J_VERSION = '5.26.30';

export interface Neo4jServerOptions {
  cacheDir: string;
  dataDir: string;
  boltPort: number;
  heap: string;
  pageCache: string;
  log?: (msg: string) => void;
}

export interface RunningNeo4j {
  uri: string;
  user: string;
  password: string;
  pid: number;
  stop(): Promise<void>;
}

const ADD_OPENS = ['java.base/java.nio', 'java.base/java.lang', 'java.base/sun.nio.ch', 'java.base/java.util', 'java.base/java.lang.invoke'];

export async function resolveNeo4jJars(cacheDir: string, log: (m: string) => void = () => {}): Promise<string> {
  const lib = join(cacheDir, `neo4j-${NEO4J_VERSION}`, 'lib');
  const marker = join(cacheDir, `neo4j-${NEO4J_VERSION}`, '.complete');
  if (existsSync(marker)) return lib;
  const work = join(cacheDir, `neo4j-${NEO4J_VERSION}`);
  mkdirSync(lib, { recursive: true });
  writeFileSync(
    join(work, 'pom.xml'),
    `<project xmlns="http://maven.apache.org/POM/4.0.0"><modelVersion>4.0.0</modelVersion>
  <groupId>local.ephi-atlas</groupId><artifactId>neo4j-runtime</artifactId><version>1</version><packaging>pom</packaging>
  <dependencies><dependency><groupId>org.neo4j</groupId><artifactId>neo4j</artifactId><version>${NEO4J_VERSION}</version></dependency></dependencies>
</project>\n`,
  );
  log(`resolving org.neo4j:neo4j:${NEO4J_VERSION} from Maven Central (once)…`);
  const started = Date.now();
  await run('mvn', ['-q', '-B', '-f', join(work, 'pom.xml'), 'dependency:copy-dependencies', `-DoutputDirectory=${lib}`, '-DincludeScope=runtime'], {
    cwd: work,
  });
  const jars = readdirSync(lib).filter((f) => f.endsWith('.jar'));
  if (jars.length < 50) throw new Error(`Neo4j resolution produced only ${jars.length} jars in ${lib}`);
  writeFileSync(marker, `${jars.length} jars, resolved in ${Date.now() - started} ms\n`);
  log(`resolved ${jars.length} jars in ${((Date.now() - started) / 1000).toFixed(1)} s`);
  return lib;
}

function readOrCreatePassword(home: string): string {
  const file = join(home, 'neo4j-password');
  if (existsSync(file)) return readFileSync(file, 'utf8').trim();
  // Hex, not base64url: a password that starts with '-' is read as an option by neo4j-admin's
  // `dbms set-initial-password` (one fresh data dir in 64 failed to start that way).
  const pw = randomBytes(24).toString('hex');
  writeFileSync(file, pw + '\n', { mode: 0o600 });
  chmodSync(file, 0o600);
  return pw;
}

function writeConfig(home: string, o: Neo4jServerOptions): void {
  const conf = join(home, 'conf');
  mkdirSync(conf, { recursive: true });
  for (const d of ['data', 'logs', 'run', 'plugins', 'import', 'licenses']) mkdirSync(join(home, d), { recursive: true });
  writeFileSync(
    join(conf, 'neo4j.conf'),
    [
      '# Written by ePHI Atlas at every start; edit the ATLAS_/NEO4J_ environment instead.',
      `server.default_listen_address=127.0.0.1`,
      `server.bolt.enabled=true`,
      `server.bolt.listen_address=127.0.0.1:${o.boltPort}`,
      `server.bolt.advertised_address=127.0.0.1:${o.boltPort}`,
      'server.http.enabled=false',
      'server.https.enabled=false',
      'dbms.security.auth_enabled=true',
      `server.memory.pagecache.size=${o.pageCache}`,
      'db.tx_log.rotation.retention_policy=2 files',
      'dbms.usage_report.enabled=false',
      'server.logs.gc.enabled=false',
      'db.transaction.timeout=120s',
      '',
    ].join('\n'),
  );
}

function javaArgs(o: Neo4jServerOptions, lib: string, home: string, mainClass: string, extra: string[]): string[] {
  return [
    `-Xms${o.heap}`,
    `-Xmx${o.heap}`,
    '-XX:+UseG1GC',
    '-XX:-OmitStackTraceInFastThrow',
    '-Dfile.encoding=UTF-8',
    ...ADD_OPENS.map((m) => `--add-opens=${m}=ALL-UNNAMED`),
    '-cp',
    `${lib}/*`,
    mainClass,
    ...extra,
  ];
}

export async function startNeo4j(o: Neo4jServerOptions): Promise<RunningNeo4j> {
  const log = o.log ?? (() => {});
  const lib = await resolveNeo4jJars(o.cacheDir, log);
  const home = join(o.dataDir, 'neo4j');
  mkdirSync(home, { recursive: true });
  const pidFile = join(home, 'run', 'atlas-neo4j.pid');
  await killStalePid(pidFile, 20_000);
  if (await portOpen('127.0.0.1', o.boltPort)) {
    throw new Error(`port ${o.boltPort} is already in use; set NEO4J_BOLT_PORT or NEO4J_URI`);
  }
  writeConfig(home, o);
  const password = readOrCreatePassword(home);
  const env = { ...process.env, NEO4J_HOME: home, NEO4J_CONF: join(home, 'conf') };
  if (!existsSync(join(home, 'data', 'dbms'))) {
    await run('java', javaArgs({ ...o, heap: '256m' }, lib, home, 'org.neo4j.cli.AdminTool', ['dbms', 'set-initial-password', password]), { env });
  }
  const started = Date.now();
  const out = openSync(join(home, 'logs', 'console.log'), 'a');
  const child: ChildProcess = spawn(
    'java',
    javaArgs(o, lib, home, 'org.neo4j.server.CommunityEntryPoint', [`--home-dir=${home}`, `--config-dir=${join(home, 'conf')}`]),
    { env, stdio: ['ignore', out, out], detached: true },
  );
  writePidFile(pidFile, child.pid!);
  try {
    await waitFor('Neo4j', () => portOpen('127.0.0.1', o.boltPort), 120_000, child);
  } catch (err) {
    await stopChild(child, 15_000);
    const tail = readFileSync(join(home, 'logs', 'console.log'), 'utf8').slice(-3000);
    throw new Error(`${(err as Error).message}\n--- neo4j console.log ---\n${tail}`);
  }
  log(`Neo4j ${NEO4J_VERSION} answering on bolt://127.0.0.1:${o.boltPort} after ${((Date.now() - started) / 1000).toFixed(1)} s`);
  return {
    uri: `bolt://127.0.0.1:${o.boltPort}`,
    user: 'neo4j',
    password,
    pid: child.pid!,
    async stop() {
      await stopChild(child, 60_000);
    },
  };
}
