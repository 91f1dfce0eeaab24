import neo4j, { type Driver, type ManagedTransaction, type QueryResult, type RecordShape } from 'neo4j-driver';
import { AtlasError, UnavailableError } from '../errors.js';
import { WriteMark } from './write-generation.js';

/**
 * The only module that imports neo4j-driver. Everything else speaks plain JSON: integers,
 * temporal values and nodes are converted here, at the boundary, and driver errors are mapped
 * to AtlasError (503 while the database is unreachable).
 */
export interface GraphClientOptions {
  uri: string;
  user: string;
  password: string;
  maxConnectionPoolSize?: number;
}

export type Params = Record<string, unknown>;
export type Row = Record<string, unknown>;
export type Tx = { run(cypher: string, params?: Params): Promise<Row[]> };

export class GraphClient {
  private readonly driver: Driver;

  constructor(private readonly opts: GraphClientOptions) {
    this.driver = neo4j.driver(opts.uri, neo4j.auth.basic(opts.user, opts.password), {
      maxConnectionPoolSize: opts.maxConnectionPoolSize ?? 50,
      connectionAcquisitionTimeout: 5_000,
      connectionTimeout: 3_000,
      maxTransactionRetryTime: 15_000,
      disableLosslessIntegers: false,
      logging: { level: 'error', logger: () => {} },
    });
  }

  get uri(): string {
    return this.opts.uri;
  }

  /** Waits until the server answers a query (Bolt can accept sockets before auth is ready). */
  async waitUntilReady(timeoutMs = 60_000): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    let last: unknown;
    while (Date.now() < deadline) {
      try {
        await this.driver.executeQuery('RETURN 1', {}, { database: 'neo4j' });
        return;
      } catch (err) {
        last = err;
        if (isAuthError(err)) throw mapError(err);
        await new Promise((r) => setTimeout(r, 250));
      }
    }
    throw mapError(last);
  }

  async ping(timeoutMs = 2_000): Promise<{ ok: boolean; latencyMs: number; error?: string }> {
    const t0 = Date.now();
    try {
      await withTimeout(this.driver.executeQuery('RETURN 1', {}, { database: 'neo4j' }), timeoutMs);
      return { ok: true, latencyMs: Date.now() - t0 };
    } catch (err) {
      return { ok: false, latencyMs: Date.now() - t0, error: (err as Error).message };
    }
  }

  async read(cypher: string, params: Params = {}): Promise<Row[]> {
    return this.executeRead((tx) => tx.run(cypher, params));
  }

  async write(cypher: string, params: Params = {}): Promise<Row[]> {
    return this.executeWrite((tx) => tx.run(cypher, params));
  }

  /**
   * The operators of the plan the server would run for a statement (EXPLAIN: nothing executes).
   * For checks that a statement is index-backed; the planner's choice depends on the graph's
   * statistics, so call it on the graph state the check is about.
   */
  async explainOperators(cypher: string, params: Params = {}): Promise<{ operator: string; details: string }[]> {
    const session = this.driver.session({ database: 'neo4j' });
    try {
      const res = await session.run(`EXPLAIN ${cypher.replace(/^\s*CYPHER\s+replan=\w+\s*/i, '')}`, params);
      const out: { operator: string; details: string }[] = [];
      const walk = (p: { operatorType: string; arguments: Record<string, unknown>; children: unknown[] } | false | undefined) => {
        if (!p) return;
        out.push({ operator: p.operatorType.replace(/@.*$/, ''), details: String(p.arguments?.Details ?? '') });
        for (const c of p.children) walk(c as typeof p);
      };
      walk(res.summary.plan as never);
      return out;
    } catch (err) {
      throw mapError(err);
    } finally {
      await session.close();
    }
  }

  /** A managed read transaction: retried by the driver on transient errors. */
  async executeRead<T>(work: (tx: Tx) => Promise<T>): Promise<T> {
    const session = this.driver.session({ database: 'neo4j', defaultAccessMode: neo4j.session.READ });
    try {
      return await session.executeRead((tx) => work(wrap(tx)), { timeout: 60_000 });
    } catch (err) {
      throw mapError(err);
    } finally {
      await session.close();
    }
  }

  /** A managed write transaction: retried on deadlocks and transient errors, so `work` must be idempotent. */
  async executeWrite<T>(work: (tx: Tx) => Promise<T>): Promise<T> {
    const session = this.driver.session({ database: 'neo4j', defaultAccessMode: neo4j.session.WRITE });
    const mark = new WriteMark();
    try {
      return await session.executeWrite((tx) => work(wrap(tx, mark)), { timeout: 120_000 });
    } catch (err) {
      throw mapError(err);
    } finally {
      mark.end();
      await session.close();
    }
  }

  /** Schema statements (constraints, indexes) cannot share a transaction with data writes. */
  async runAutoCommit(cypher: string, params: Params = {}): Promise<Row[]> {
    const session = this.driver.session({ database: 'neo4j' });
    const mark = new WriteMark();
    try {
      mark.see(cypher);
      const res = await session.run(cypher, params);
      return res.records.map((r) => toPlain(r.toObject()) as Row);
    } catch (err) {
      throw mapError(err);
    } finally {
      mark.end();
      await session.close();
    }
  }

  async close(): Promise<void> {
    await this.driver.close();
  }
}

function wrap(tx: ManagedTransaction, mark?: WriteMark): Tx {
  return {
    async run(cypher, params = {}) {
      mark?.see(cypher);
      const res: QueryResult<RecordShape> = await tx.run(cypher, params);
      return res.records.map((r) => toPlain(r.toObject()) as Row);
    },
  };
}

function withTimeout<T>(p: Promise<T>, ms: number): Promise<T> {
  return new Promise((resolve, reject) => {
    const t = setTimeout(() => reject(new Error(`timed out after ${ms} ms`)), ms);
    p.then(
      (v) => {
        clearTimeout(t);
        resolve(v);
      },
      (e) => {
        clearTimeout(t);
        reject(e);
      },
    );
  });
}

function isAuthError(err: unknown): boolean {
  const code = (err as { code?: string })?.code ?? '';
  return code.startsWith('Neo.ClientError.Security');
}

const UNAVAILABLE_CODES = new Set(['ServiceUnavailable', 'SessionExpired', 'ECONNREFUSED', 'Neo.TransientError.General.DatabaseUnavailable']);

export function mapError(err: unknown): Error {
  if (err instanceof AtlasError) return err;
  const e = err as { code?: string; message?: string };
  const code = e?.code ?? '';
  if (UNAVAILABLE_CODES.has(code) || /ECONNREFUSED|Connection was closed|acquisition timed out|Failed to connect/i.test(e?.message ?? '')) {
    return new UnavailableError('neo4j', 'The graph database is unavailable', err);
  }
  if (code === 'Neo.ClientError.Schema.ConstraintValidationFailed') {
    return new AtlasError('CONSTRAINT_VIOLATION', e.message ?? 'constraint violation', { status: 409, cause: err });
  }
  if (isAuthError(err)) return new AtlasError('GRAPH_AUTH_FAILED', 'Neo4j refused the configured credentials', { status: 503, cause: err });
  return err instanceof Error ? err : new Error(String(err));
}

/** Converts driver values (Integer, temporal types, nodes, relationships, paths) to plain JSON. */
export function toPlain(v: unknown): unknown {
  if (v === null || v === undefined) return v ?? null;
  if (neo4j.isInt(v)) {
    const i = v as unknown as { inSafeRange(): boolean; toNumber(): number; toString(): string };
    return i.inSafeRange() ? i.toNumber() : i.toString();
  }
  if (neo4j.isDateTime(v as never) || neo4j.isDate(v as never) || neo4j.isLocalDateTime(v as never)) {
    const s = (v as { toString(): string }).toString();
    const d = new Date(s);
    return Number.isNaN(d.getTime()) ? s : d.toISOString();
  }
  if (neo4j.isDuration(v as never) || neo4j.isTime(v as never) || neo4j.isLocalTime(v as never)) return String(v);
  if (neo4j.isNode(v as never)) {
    const n = v as unknown as { labels: string[]; properties: Record<string, unknown>; elementId: string };
    return { ...(toPlain(n.properties) as object), _labels: n.labels };
  }
  if (neo4j.isRelationship(v as never)) {
    const r = v as unknown as { type: string; properties: Record<string, unknown> };
    return { ...(toPlain(r.properties) as object), _type: r.type };
  }
  if (neo4j.isPath(v as never)) {
    const p = v as unknown as { segments: { start: unknown; relationship: unknown; end: unknown }[] };
    return p.segments.map((s) => ({ start: toPlain(s.start), rel: toPlain(s.relationship), end: toPlain(s.end) }));
  }
  if (Array.isArray(v)) return v.map(toPlain);
  if (typeof v === 'object') {
    const out: Record<string, unknown> = {};
    for (const [k, val] of Object.entries(v as Record<string, unknown>)) out[k] = toPlain(val);
    return out;
  }
  return v;
}

/** Integers sent as parameters must be Neo4j integers where Cypher expects INTEGER (LIMIT, SKIP). */
export function int(n: number): unknown {
  return neo4j.int(n);
}
