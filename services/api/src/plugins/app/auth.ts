import fp from 'fastify-plugin';
import { randomBytes } from 'node:crypto';
import { AtlasError } from '../../../../core/src/errors.js';
import { hasRole, type Role } from '../../../../core/src/auth/roles.js';
import { sha256 } from '../../../../core/src/auth/secrets.js';
import type { Principal } from '../../../../core/src/graph/auth-repository.js';

export type RouteRole = Role | 'public';

declare module 'fastify' {
  interface FastifyContextConfig {
    /** Every route declares who may call it; a route without a role is refused to everyone. */
    role?: RouteRole;
    skipDependencyCheck?: boolean;
  }
  interface FastifyRequest {
    principal: Principal | null;
  }
  interface FastifyInstance {
    sessions: SessionStore;
  }
}

export const SESSION_COOKIE = 'atlas_session';

export interface SessionData extends Principal {
  createdAt: string;
}

/** Browser sessions in Redis, keyed by the hash of the cookie value so a Redis dump holds no usable session. */
export class SessionStore {
  constructor(
    private readonly redis: { set(...a: unknown[]): Promise<unknown>; get(k: string): Promise<string | null>; del(k: string): Promise<number> },
    private readonly prefix: string,
    private readonly ttlSeconds: number,
  ) {}

  private key(id: string): string {
    return `${this.prefix}:session:${sha256(id)}`;
  }

  async create(p: Principal): Promise<string> {
    const id = randomBytes(32).toString('base64url');
    const data: SessionData = { ...p, createdAt: new Date().toISOString() };
    await this.redis.set(this.key(id), JSON.stringify(data), 'EX', this.ttlSeconds);
    return id;
  }

  async get(id: string): Promise<SessionData | null> {
    const raw = await this.redis.get(this.key(id));
    return raw ? (JSON.parse(raw) as SessionData) : null;
  }

  async destroy(id: string): Promise<void> {
    await this.redis.del(this.key(id));
  }
}

export default fp(
  async (app) => {
    app.decorate('sessions', new SessionStore(app.queues.connection as never, app.config.ATLAS_QUEUE_PREFIX, app.config.ATLAS_SESSION_TTL_HOURS * 3600));
    app.decorateRequest('principal', null);

    app.addHook('preHandler', async (req) => {
      const role = req.routeOptions.config?.role;
      if (req.is404) return;
      // The UI bundle and the API docs are public; everything under /api/ must declare a role.
      if (!(req.routeOptions.url ?? '').startsWith('/api/')) return;
      if (role === 'public') return;
      const principal = await authenticate(req);
      if (!principal) throw new AtlasError('UNAUTHENTICATED', 'sign in or send an API token (Authorization: Bearer …)', { status: 401 });
      req.principal = principal;
      if (!role) throw new AtlasError('FORBIDDEN', 'this route has no declared role', { status: 403 });
      if (!hasRole(principal.role, role)) {
        throw new AtlasError('FORBIDDEN', `this needs the ${role} role; you have ${principal.role}`, { status: 403 });
      }
    });

    async function authenticate(req: import('fastify').FastifyRequest): Promise<Principal | null> {
      const h = req.headers.authorization;
      if (h) {
        const m = /^Bearer\s+(\S+)$/i.exec(h);
        if (!m) return null;
        return app.repos.auth.authenticateToken(m[1]!);
      }
      const sid = req.cookies?.[SESSION_COOKIE];
      if (sid) return app.sessions.get(sid);
      return null;
    }
  },
  { name: 'auth', dependencies: ['services', 'cookie'] },
);
