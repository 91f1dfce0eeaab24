import fp from 'fastify-plugin';
import { randomBytes } from 'node:crypto';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { AtlasError } from '../../../../core/src/errors.js';
import { hasRole, type Role } from '../../../../core/src/auth/roles.js';
import { sha256 } from '../../../../core/src/auth/secrets.js';
import { mfaRequiredRoles } from '../../../../core/src/auth/mfa.js';
import type { Principal } from '../../../../core/src/graph/auth-repository.js';

export type RouteRole = Role | 'public';

declare module 'fastify' {
  interface FastifyContextConfig {
    /** Every route declares who may call it; a route without a role is refused to everyone. */
    role?: RouteRole;
    /** Reachable by a signed-in user whose role requires MFA before they have enrolled. */
    duringMfaEnrolment?: boolean;
    skipDependencyCheck?: boolean;
  }
  interface FastifyRequest {
    principal: Principal | null;
    /** The raw session id from the cookie, when the caller is a browser session. */
    sessionId: string | null;
    /** The stage of that session (null for tokens and anonymous callers). */
    sessionStage: SessionStage | null;
  }
  interface FastifyInstance {
    sessions: SessionStore;
    /** Declared role of every route, keyed "METHOD /path" (the role-matrix test walks it). */
    routeRoles: Map<string, RouteRole>;
    mfaRequiredFor(role: Role): boolean;
    /** Starts a fresh browser session (a new id: any previous one is destroyed) and sets the cookie. */
    startSession(req: FastifyRequest, reply: FastifyReply, p: Principal, stage: SessionStage): Promise<void>;
  }
}

export const SESSION_COOKIE = 'atlas_session';
export const MFA_PENDING_COOKIE = 'atlas_mfa_pending';
export const MFA_PENDING_TTL_SECONDS = 300;
export const MFA_PENDING_MAX_ATTEMPTS = 5;

/** `full`: a normal session. `mfa-enrol`: the role requires MFA and the user has none yet; only enrolment is allowed. */
export type SessionStage = 'full' | 'mfa-enrol';

export interface SessionData extends Principal {
  stage: SessionStage;
  createdAt: string;
}

export interface PendingMfa {
  userId: string;
  username: string;
  role: Role;
  attempts: number;
}

interface RedisLike {
  set(...a: unknown[]): Promise<unknown>;
  get(k: string): Promise<string | null>;
  del(...k: string[]): Promise<number>;
  sadd(k: string, ...m: string[]): Promise<number>;
  srem(k: string, ...m: string[]): Promise<number>;
  smembers(k: string): Promise<string[]>;
  expire(k: string, s: number): Promise<number>;
}

/**
 * Browser sessions in Redis, keyed by the hash of the cookie value so a Redis dump holds no usable
 * session. Each user's sessions are indexed so a password change, role change, disablement or
 * MFA reset can end all of them.
 */
export class SessionStore {
  constructor(
    private readonly redis: RedisLike,
    private readonly prefix: string,
    private readonly ttlSeconds: number,
  ) {}

  private key(id: string): string {
    return `${this.prefix}:session:${sha256(id)}`;
  }
  private userKey(userId: string): string {
    return `${this.prefix}:user-sessions:${userId}`;
  }
  private pendingKey(id: string): string {
    return `${this.prefix}:mfa-pending:${sha256(id)}`;
  }

  async create(p: Principal, stage: SessionStage = 'full'): Promise<string> {
    const id = randomBytes(32).toString('base64url');
    const data: SessionData = { kind: p.kind, id: p.id, name: p.name, role: p.role, stage, createdAt: new Date().toISOString() };
    await this.redis.set(this.key(id), JSON.stringify(data), 'EX', this.ttlSeconds);
    await this.redis.sadd(this.userKey(p.id), this.key(id));
    await this.redis.expire(this.userKey(p.id), this.ttlSeconds);
    return id;
  }

  async get(id: string): Promise<SessionData | null> {
    const raw = await this.redis.get(this.key(id));
    return raw ? (JSON.parse(raw) as SessionData) : null;
  }

  async destroy(id: string): Promise<void> {
    const s = await this.get(id);
    await this.redis.del(this.key(id));
    if (s) await this.redis.srem(this.userKey(s.id), this.key(id));
  }

  /** Ends every session of a user; returns how many there were. */
  async destroyAllFor(userId: string, exceptId?: string): Promise<number> {
    const keys = await this.redis.smembers(this.userKey(userId));
    const keep = exceptId ? this.key(exceptId) : null;
    const drop = keys.filter((k) => k !== keep);
    if (drop.length) {
      await this.redis.del(...drop);
      await this.redis.srem(this.userKey(userId), ...drop);
    }
    return drop.length;
  }

  async createPending(p: Omit<PendingMfa, 'attempts'>): Promise<string> {
    const id = randomBytes(32).toString('base64url');
    await this.redis.set(this.pendingKey(id), JSON.stringify({ ...p, attempts: 0 }), 'EX', MFA_PENDING_TTL_SECONDS);
    return id;
  }

  async getPending(id: string): Promise<PendingMfa | null> {
    const raw = await this.redis.get(this.pendingKey(id));
    return raw ? (JSON.parse(raw) as PendingMfa) : null;
  }

  async savePending(id: string, p: PendingMfa): Promise<void> {
    await this.redis.set(this.pendingKey(id), JSON.stringify(p), 'KEEPTTL');
  }

  async destroyPending(id: string): Promise<void> {
    await this.redis.del(this.pendingKey(id));
  }
}

export function clientIp(req: FastifyRequest): string {
  return req.ip;
}

export default fp(
  async (app) => {
    const sessions = new SessionStore(app.queues.connection as unknown as RedisLike, app.config.ATLAS_QUEUE_PREFIX, app.config.ATLAS_SESSION_TTL_HOURS * 3600);
    const mfaRoles = mfaRequiredRoles(app.config.ATLAS_MFA_REQUIRED_ROLES);
    const secureCookies = Boolean(app.config.ATLAS_TLS_CERT);
    app.decorate('sessions', sessions);
    app.decorate('mfaRequiredFor', (role: Role) => mfaRoles.has(role));
    app.decorate('routeRoles', new Map<string, RouteRole>());
    app.decorateRequest('principal', null);
    app.decorateRequest('sessionId', null);
    app.decorateRequest('sessionStage', null);

    app.addHook('onRoute', (r) => {
      if (!r.url.startsWith('/api/')) return;
      const role = (r.config as { role?: RouteRole } | undefined)?.role;
      for (const m of Array.isArray(r.method) ? r.method : [r.method]) {
        if (m === 'HEAD') continue; // the automatic HEAD twin of a GET shares its config
        app.routeRoles.set(`${m} ${r.url}`, role ?? ('undeclared' as RouteRole));
      }
    });

    app.decorate('startSession', async (req: FastifyRequest, reply: FastifyReply, p: Principal, stage: SessionStage) => {
      const old = req.cookies?.[SESSION_COOKIE];
      if (old) await sessions.destroy(old); // rotation: a session id known before sign-in is never reused after it
      const sid = await sessions.create(p, stage);
      reply.setCookie(SESSION_COOKIE, sid, { httpOnly: true, sameSite: 'strict', secure: secureCookies, path: '/', maxAge: app.config.ATLAS_SESSION_TTL_HOURS * 3600 });
      req.sessionId = sid;
      req.sessionStage = stage;
    });

    // onRequest: authentication and the role check happen before the body is read or validated,
    // so an anonymous or under-privileged caller gets 401/403 and never reaches a parser.
    app.addHook('onRequest', async (req) => {
      if (req.is404) return;
      // The UI bundle and the API docs are public; everything under /api/ must declare a role.
      if (!(req.routeOptions.url ?? '').startsWith('/api/')) return;
      const config = req.routeOptions.config;
      const role = config?.role;
      if (role === 'public') return;
      const principal = await authenticate(req);
      if (!principal) throw new AtlasError('UNAUTHENTICATED', 'sign in or send an API token (Authorization: Bearer …)', { status: 401 });
      req.principal = { kind: principal.kind, id: principal.id, name: principal.name, role: principal.role };
      req.sessionStage = principal.stage ?? null;
      if (principal.stage === 'mfa-enrol' && !config?.duringMfaEnrolment) {
        throw new AtlasError('MFA_ENROLMENT_REQUIRED', `the ${principal.role} role requires MFA: enrol first (POST /api/v1/auth/mfa/enroll)`, { status: 403 });
      }
      if (!role) throw new AtlasError('FORBIDDEN', 'this route has no declared role', { status: 403 });
      if (!hasRole(principal.role, role)) {
        throw new AtlasError('FORBIDDEN', `this needs the ${role} role; you have ${principal.role}`, { status: 403 });
      }
    });

    async function authenticate(req: FastifyRequest): Promise<(Principal & { stage?: SessionStage }) | null> {
      const h = req.headers.authorization;
      if (h) {
        const m = /^Bearer\s+(\S+)$/i.exec(h);
        if (!m) return null;
        return app.repos.auth.authenticateToken(m[1]!);
      }
      const sid = req.cookies?.[SESSION_COOKIE];
      if (!sid) return null;
      const s = await sessions.get(sid);
      if (!s) return null;
      req.sessionId = sid;
      return { kind: s.kind, id: s.id, name: s.name, role: s.role, stage: s.stage };
    }
  },
  { name: 'auth', dependencies: ['services', 'cookie'] },
);
