import { randomUUID } from 'node:crypto';
import { ConflictError, NotFoundError, ValidationError } from '../errors.js';
import type { Role } from '../auth/roles.js';
import { hashPassword, newToken, passwordProblems, sha256, tokenPrefix, verifyPassword } from '../auth/secrets.js';
import type { GraphClient } from './neo4j-client.js';

export interface Principal {
  kind: 'user' | 'token';
  id: string;
  name: string;
  role: Role;
}

export interface TokenInfo {
  id: string;
  name: string;
  prefix: string;
  role: Role;
  createdAt: string;
  expiresAt: string | null;
  revokedAt: string | null;
  lastUsedAt: string | null;
}

/** Users and API tokens. Secrets are stored only as hashes; a token is shown once, at creation. */
export class AuthRepository {
  constructor(private readonly graph: GraphClient) {}

  async createUser(username: string, password: string, role: Role): Promise<{ id: string }> {
    const problem = passwordProblems(password);
    if (problem) throw new ValidationError('WEAK_PASSWORD', problem, { field: 'password' });
    if (!/^[a-z0-9._@-]{2,64}$/i.test(username)) throw new ValidationError('INVALID_USERNAME', 'username must be 2-64 of letters, digits, . _ @ -', { field: 'username' });
    const id = randomUUID();
    const passwordHash = await hashPassword(password);
    const rows = await this.graph.write(
      `OPTIONAL MATCH (existing:User {username: $username})
       WITH existing WHERE existing IS NULL
       CREATE (u:User {id: $id, username: $username, passwordHash: $passwordHash, role: $role, createdAt: datetime(), failedLogins: 0})
       RETURN u.id AS id`,
      { id, username, passwordHash, role },
    );
    if (rows.length === 0) throw new ConflictError('USER_EXISTS', `user ${username} already exists`);
    return { id };
  }

  async setPassword(username: string, password: string): Promise<void> {
    const problem = passwordProblems(password);
    if (problem) throw new ValidationError('WEAK_PASSWORD', problem, { field: 'password' });
    const rows = await this.graph.write('MATCH (u:User {username: $username}) SET u.passwordHash = $h, u.failedLogins = 0, u.lockedUntil = null RETURN u.id AS id', {
      username,
      h: await hashPassword(password),
    });
    if (rows.length === 0) throw new NotFoundError('user', username);
  }

  async verifyLogin(username: string, password: string): Promise<Principal | null> {
    const rows = await this.graph.read('MATCH (u:User {username: $username}) RETURN u.id AS id, u.passwordHash AS h, u.role AS role', { username });
    const u = rows[0];
    if (!u || !(await verifyPassword(String(u.h), password))) return null;
    return { kind: 'user', id: String(u.id), name: username, role: u.role as Role };
  }

  async userCount(): Promise<number> {
    const rows = await this.graph.read('MATCH (u:User) RETURN count(u) AS n');
    return Number(rows[0]?.n ?? 0);
  }

  async createToken(name: string, role: Role, expiresInDays: number | null, createdBy: string): Promise<{ token: string; info: TokenInfo }> {
    const t = newToken();
    const rows = await this.graph.write(
      `CREATE (k:ApiToken {id: $id, name: $name, prefix: $prefix, hash: $hash, role: $role, createdAt: datetime(), createdBy: $createdBy,
         expiresAt: CASE WHEN $days IS NULL THEN null ELSE datetime() + duration({days: $days}) END})
       RETURN k {.id, .name, .prefix, .role, createdAt: k.createdAt, expiresAt: k.expiresAt, revokedAt: null, lastUsedAt: null} AS info`,
      { id: randomUUID(), name, prefix: t.prefix, hash: t.hash, role, days: expiresInDays, createdBy },
    );
    return { token: t.token, info: rows[0]!.info as TokenInfo };
  }

  /** Resolves a bearer token to its principal and records its use; null when unknown, expired or revoked. */
  async authenticateToken(token: string): Promise<Principal | null> {
    if (!tokenPrefix(token)) return null;
    const rows = await this.graph.write(
      `MATCH (k:ApiToken {hash: $hash})
       WHERE k.revokedAt IS NULL AND (k.expiresAt IS NULL OR k.expiresAt > datetime())
       SET k.lastUsedAt = datetime()
       RETURN k.id AS id, k.name AS name, k.role AS role`,
      { hash: sha256(token) },
    );
    const k = rows[0];
    return k ? { kind: 'token', id: String(k.id), name: String(k.name), role: k.role as Role } : null;
  }

  async listTokens(): Promise<TokenInfo[]> {
    const rows = await this.graph.read(
      `MATCH (k:ApiToken) RETURN k {.id, .name, .prefix, .role, createdAt: k.createdAt, expiresAt: k.expiresAt, revokedAt: k.revokedAt, lastUsedAt: k.lastUsedAt} AS info ORDER BY k.createdAt`,
    );
    return rows.map((r) => r.info as TokenInfo);
  }

  async revokeToken(idOrPrefix: string): Promise<TokenInfo> {
    const rows = await this.graph.write(
      `MATCH (k:ApiToken) WHERE k.id = $x OR k.prefix = $x
       SET k.revokedAt = coalesce(k.revokedAt, datetime())
       RETURN k {.id, .name, .prefix, .role, createdAt: k.createdAt, expiresAt: k.expiresAt, revokedAt: k.revokedAt, lastUsedAt: k.lastUsedAt} AS info`,
      { x: idOrPrefix },
    );
    if (!rows[0]) throw new NotFoundError('token', idOrPrefix);
    return rows[0].info as TokenInfo;
  }
}
