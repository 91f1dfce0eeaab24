import { ConfigError, loadConfig } from '../../core/src/config.js';
import { AuthRepository } from '../../core/src/graph/auth-repository.js';
import { randomPassword } from '../../core/src/auth/secrets.js';
import { startRuntime } from './atlas-runtime.js';
import { seedDemo } from './demo/seed-demo.js';

/** `npm start`: the whole product on its embedded default. Ctrl-C stops everything it started. */
async function main(): Promise<void> {
  let config;
  try {
    config = loadConfig();
  } catch (err) {
    if (err instanceof ConfigError) {
      console.error(err.message);
      process.exit(2);
    }
    throw err;
  }
  const log = (m: string) => console.log(`[atlas] ${m}`);
  const t0 = Date.now();
  const rt = await startRuntime(config, { log });
  let stopping = false;
  const shutdown = async (sig: string) => {
    if (stopping) return;
    stopping = true;
    log(`${sig}: stopping API, workers, Redis and Neo4j…`);
    const hard = setTimeout(() => process.exit(1), 90_000);
    await rt.stop();
    clearTimeout(hard);
    log('stopped');
    process.exit(0);
  };
  for (const s of ['SIGINT', 'SIGTERM', 'SIGHUP'] as const) process.on(s, () => void shutdown(s));
  // A crash must not leave Neo4j and Redis running: they live in their own process groups.
  process.on('uncaughtException', (err) => {
    console.error(`[atlas] fatal: ${err.stack ?? err.message}`);
    void shutdown('uncaughtException');
  });
  process.on('unhandledRejection', (err) => {
    console.error(`[atlas] fatal: ${(err as Error)?.stack ?? String(err)}`);
    void shutdown('unhandledRejection');
  });
  process.stdout.on('error', () => {}); // a closed terminal pipe is not a reason to die

  if (config.ATLAS_DEMO) {
    const d = await seedDemo(rt.graph);
    log(`demo network loaded (${d.assets} assets, marked demo; ATLAS_DEMO=0 turns it off)`);
  }
  const auth = new AuthRepository(rt.graph);
  let credential: string | null = null;
  if ((await auth.userCount()) === 0) {
    credential = randomPassword();
    await auth.createUser('admin', credential, 'admin');
  }
  const scheme = config.ATLAS_TLS_CERT ? 'https' : 'http';
  log(`ready in ${((Date.now() - t0) / 1000).toFixed(1)} s`);
  console.log(`\n  ePHI Atlas is running at ${scheme}://${config.ATLAS_HOST}:${config.ATLAS_PORT}/`);
  console.log(`  API: ${scheme}://${config.ATLAS_HOST}:${config.ATLAS_PORT}/api/v1  ·  docs: /docs`);
  if (credential) {
    console.log(`  One-time admin credential (shown only now; change it after signing in):`);
    console.log(`    user: admin   password: ${credential}`);
    if (config.ATLAS_MFA_REQUIRED_ROLES.includes('admin') || config.ATLAS_MFA_REQUIRED_ROLES.trim() === 'all') {
      console.log(`  The first sign-in asks you to set up two-factor authentication (any TOTP app).`);
    }
  } else {
    console.log(`  Sign in with your account (reset one with: npm run atlas -- user reset-password <name>)`);
  }
  console.log(`  Press Ctrl-C to stop.\n`);
}

main().catch((err) => {
  console.error(`[atlas] failed to start: ${(err as Error).message}`);
  process.exit(1);
});
