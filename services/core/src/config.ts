import { homedir } from 'node:os';
import { resolve } from 'node:path';
import { z } from 'zod';

/**
 * All configuration, read once from the environment and validated with one schema.
 * An invalid value stops the start with every bad key named (see loadConfig).
 */
const bool = z
  .enum(['0', '1', 'true', 'false', 'yes', 'no'])
  .transform((v) => v === '1' || v === 'true' || v === 'yes');
const port = z.coerce.number().int().min(1).max(65535);
const memSize = z.string().regex(/^\d+[kmg]$/i, 'a size such as 512m or 2g');

export const configSchema = z.object({
  ATLAS_HOST: z.string().min(1).default('127.0.0.1'),
  ATLAS_PORT: port.default(8080),
  ATLAS_DATA_DIR: z.string().min(1).default('.atlas/data'),
  ATLAS_CACHE_DIR: z.string().min(1).default(resolve(homedir(), '.cache/ephi-atlas')),
  ATLAS_LOG_LEVEL: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']).default('info'),
  ATLAS_DEMO: bool.default(true),
  ATLAS_WORKERS: bool.default(true),
  ATLAS_WORKER_CONCURRENCY: z.coerce.number().int().min(1).max(32).default(2),
  ATLAS_QUEUE_PREFIX: z.string().regex(/^[a-z0-9:_-]+$/i).default('atlas'),
  ATLAS_SCAN_SCOPE: z.string().default('127.0.0.0/8'),
  ATLAS_IDENTITY_IP_WINDOW_HOURS: z.coerce.number().min(0).max(8760).default(24),
  ATLAS_MAX_SCAN_PREFIX_V4: z.coerce.number().int().min(8).max(32).default(16),
  ATLAS_NMAP_PATH: z.string().min(1).default('nmap'),
  ATLAS_STALENESS_POLICIES: z.string().optional(), // JSON list, see services/discovery/DESIGN.md
  ATLAS_STALENESS_SWEEP_SECONDS: z.coerce.number().int().min(1).max(86_400).default(300),
  ATLAS_ALERT_WEBHOOKS: z.string().optional(), // comma-separated URLs
  ATLAS_ALERT_WEBHOOK_SECRET: z.string().min(16).optional(),
  ATLAS_MFA_REQUIRED_ROLES: z
    .string()
    .regex(/^\s*(all|none|(viewer|analyst|security|admin)(\s*,\s*(viewer|analyst|security|admin))*)?\s*$/i, 'a comma list of viewer, analyst, security, admin; or all; or none')
    .default('security,admin'),
  ATLAS_SESSION_TTL_HOURS: z.coerce.number().int().min(1).max(720).default(12),
  ATLAS_LOGIN_MAX_FAILURES: z.coerce.number().int().min(1).max(100).default(5),
  ATLAS_LOCKOUT_SECONDS: z.coerce.number().int().min(1).max(86_400).default(900),
  ATLAS_LOGIN_RATE_PER_MINUTE: z.coerce.number().int().min(1).max(10_000).default(10),
  ATLAS_TLS_CERT: z.string().optional(),
  ATLAS_TLS_KEY: z.string().optional(),
  ATLAS_CORS_ORIGIN: z.string().optional(),
  ATLAS_MAP_AGGREGATE_ABOVE_ASSETS: z.coerce.number().int().min(0).default(5000), // unfiltered overviews above this come from stored aggregates
  ATLAS_MAP_REFRESH_CHECK_MS: z.coerce.number().int().min(100).max(3_600_000).default(10_000),
  ATLAS_MAP_REFRESH_MAX_AGE_SECONDS: z.coerce.number().int().min(1).max(86_400).default(900),
  ATLAS_TEST_SERVICES: z.enum(['local', 'testcontainers']).default('local'),
  NEO4J_URI: z.string().regex(/^(bolt|neo4j)(\+s|\+ssc)?:\/\//, 'a bolt:// or neo4j:// URI').optional(),
  NEO4J_USER: z.string().default('neo4j'),
  NEO4J_PASSWORD: z.string().optional(),
  NEO4J_BOLT_PORT: port.default(7687),
  NEO4J_HEAP: memSize.default('1g'),
  NEO4J_PAGECACHE: memSize.default('512m'),
  REDIS_URL: z.string().regex(/^rediss?:\/\//, 'a redis:// URI').optional(),
  REDIS_PORT: port.default(6380),
});

export type AtlasConfig = z.infer<typeof configSchema>;

export class ConfigError extends Error {
  constructor(readonly problems: string[]) {
    super(`invalid configuration:\n  ${problems.join('\n  ')}`);
    this.name = 'ConfigError';
  }
}

export function loadConfig(env: NodeJS.ProcessEnv = process.env): AtlasConfig {
  const picked: Record<string, string | undefined> = {};
  for (const key of Object.keys(configSchema.shape)) {
    const v = env[key];
    if (v !== undefined && v !== '') picked[key] = v;
  }
  const parsed = configSchema.safeParse(picked);
  if (!parsed.success) {
    throw new ConfigError(parsed.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`));
  }
  const cfg = parsed.data;
  if ((cfg.ATLAS_TLS_CERT === undefined) !== (cfg.ATLAS_TLS_KEY === undefined)) {
    throw new ConfigError(['ATLAS_TLS_CERT/ATLAS_TLS_KEY: set both or neither']);
  }
  if (cfg.NEO4J_URI && !cfg.NEO4J_PASSWORD) throw new ConfigError(['NEO4J_PASSWORD: required when NEO4J_URI is set']);
  return { ...cfg, ATLAS_DATA_DIR: resolve(cfg.ATLAS_DATA_DIR), ATLAS_CACHE_DIR: resolve(cfg.ATLAS_CACHE_DIR) };
}
