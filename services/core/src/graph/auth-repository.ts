import { randomUUID } from 'node:crypto';
import { AtlasError, ConflictError, NotFoundError, ValidationError } from '../errors.js';
import type { Role } from '../auth/roles.js';
import { hashPassword, newToken, passwordProblems, sha256, tokenPrefix, verifyPassword } from '../auth/secrets.js';
import { hashRecoveryCode, newRecoveryCodes, newTotpSecret, totpStep } from '../auth/mfa.js';
import { int, type GraphClient } from './neo4j-client.js';

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
  createdBy: string | null;
  expiresAt: string | null;
  revokedAt: string | null;
  lastUsedAt: string | null;
}

/** What an administrator may see of a user: never a hash, a TOTP secret or a recovery code. */
export interface UserView {
  id: string;
  username: string;
  role: Role;
  disabled: boolean;
  mfaEnabled: boolean;
  recoveryCodesLeft: number;
  failedLogins: number;
  lockedUntil: string | null;
  createdAt: string;
  lastLoginAt: string | null;
  passwordChangedAt: string | null;
}

export type LoginResult =
  | { ok: true; user: UserView }
  | { ok: false; reason: 'invalid' | 'disabled' | 'unknown-user' }
  | { ok: false; reason: 'locked'; retryAfterSeconds: number; lockedNow: boolean };

export interface LockoutPolicy {
  maxFailures: number;
  lockoutSeconds: number;
}

const USER_VIEW = `u {.id, .username, .role, disabled: coalesce(u.disabled, false), mfaEnabled: coalesce(u.mfaEnabled, false),
  recoveryCodesLeft: size(coalesce(u.recoveryHashes, [])), failedLogins: coalesce(u.failedLogins, 0),
  lockedUntil: CASE WHEN u.lockedUntil > datetime() THEN u.lockedUntil ELSE null END,
  createdAt: u.createdAt, lastLoginAt: u.lastLoginAt, passwordChangedAt: u.passwordChangedAt}`;

const TOKEN_VIEW = `k {.id, .name, .prefix, .role, createdAt: k.createdAt, createdBy: k.createdBy, expiresAt: k.expiresAt, revokedAt: k.revokedAt, lastUsedAt: k.lastUsedAt}`;

const USERNAME = /^[a-z0-9._@-]{2,64}$/i;

// Verifying against this when the user does not exist keeps the response time of an unknown user
// close to that of a wrong password, so timing does not reveal which usernames exist.
let dummyHash: Promise<string> | null = null;

/** Users, MFA state and API tokens. Secrets are stored only as hashes; a token is shown once, at creation. */
/** Resolution of a token's `lastUsedAt`: written at most this often per token and process. */
const LAST_USED_RESOLUTION_MS = 60_000;
/** How long this process trusts a token it verified, unless it revokes one itself. */
const TOKEN_CACHE_MS = 5_000;

export class AuthRepository {
  /** When this process last wrote each token's lastUsedAt (by token hash). */
  private readonly lastUseWritten = new Map<string, number>();
  /** Tokens this process verified recently (by token hash), each until a time. */
  private readonly verified = new Map<string, { principal: Principal; until: number }>();

  constructor(private readonly graph: GraphClient) {}

  async createUser(username: string, password: string, role: Role): Promise<{ id: string }> {
    if (!USERNAME.test(username)) throw new ValidationError('INVALID_USERNAME', 'username must be 2-64 of letters, digits, . _ @ -', { field: 'username' });
    const problem = passwordProblems(password, username);
    if (problem) throw new ValidationError('WEAK_PASSWORD', problem, { field: 'password' });
    const id = randomUUID();
    const passwordHash = await hashPassword(password);
    const rows = await this.graph.write(
      `OPTIONAL MATCH (existing:User {username: $username})
       WITH existing WHERE existing IS NULL
       CREATE (u:User {id: $id, username: $username, passwordHash: $passwordHash, role: $role, createdAt: datetime(),
         passwordChangedAt: datetime(), failedLogins: 0, disabled: false, mfaEnabled: false})
       RETURN u.id AS id`,
      { id, username, passwordHash, role },
    );
    if (rows.length === 0) throw new ConflictError('USER_EXISTS', `user ${username} already exists`, { field: 'username' });
    return { id };
  }

  /** Administrative reset: sets the password and clears any lockout. */
  async setPassword(idOrName: string, password: string): Promise<UserView> {
    const user = await this.requireUser(idOrName);
    const problem = passwordProblems(password, user.username);
    if (problem) throw new ValidationError('WEAK_PASSWORD', problem, { field: 'password' });
    const rows = await this.graph.write(
      `MATCH (u:User {id: $id}) SET u.passwordHash = $h, u.failedLogins = 0, u.lockedUntil = null, u.passwordChangedAt = datetime() RETURN ${USER_VIEW} AS u`,
      { id: user.id, h: await hashPassword(password) },
    );
    return rows[0]!.u as UserView;
  }

  async changePassword(userId: string, current: string, next: string): Promise<void> {
    const rows = await this.graph.read('MATCH (u:User {id: $id}) RETURN u.passwordHash AS h, u.username AS username', { id: userId });
    const u = rows[0];
    if (!u) throw new NotFoundError('user', userId);
    if (!(await verifyPassword(String(u.h), current))) throw new AtlasError('INVALID_CREDENTIALS', 'the current password is wrong', { status: 400, details: { field: 'currentPassword' } });
    if (current === next) throw new ValidationError('PASSWORD_UNCHANGED', 'the new password must differ from the current one', { field: 'newPassword' });
    const problem = passwordProblems(next, String(u.username));
    if (problem) throw new ValidationError('WEAK_PASSWORD', problem, { field: 'newPassword' });
    await this.graph.write('MATCH (u:User {id: $id}) SET u.passwordHash = $h, u.passwordChangedAt = datetime()', { id: userId, h: await hashPassword(next) });
  }

  /**
   * Checks a password with lockout: after `maxFailures` wrong passwords in a row the account is
   * locked for `lockoutSeconds`, during which even the right password is refused.
   */
  async attemptLogin(username: string, password: string, policy: LockoutPolicy): Promise<LoginResult> {
    const rows = await this.graph.read(
      `MATCH (u:User {username: $username})
       RETURN u.id AS id, u.passwordHash AS h, coalesce(u.disabled, false) AS disabled,
              CASE WHEN u.lockedUntil > datetime() THEN duration.inSeconds(datetime(), u.lockedUntil).seconds + 1 ELSE 0 END AS lockedFor`,
      { username },
    );
    const u = rows[0];
    if (!u) {
      dummyHash ??= hashPassword('not-a-real-password-0');
      await verifyPassword(await dummyHash, password);
      return { ok: false, reason: 'unknown-user' };
    }
    if (Number(u.lockedFor) > 0) return { ok: false, reason: 'locked', retryAfterSeconds: Number(u.lockedFor), lockedNow: false };
    const good = await verifyPassword(String(u.h), password);
    if (!good) {
      const r = await this.graph.write(
        `MATCH (u:User {id: $id})
         SET u.failedLogins = coalesce(u.failedLogins, 0) + 1
         WITH u, u.failedLogins >= $max AS lock
         SET u.lockedUntil = CASE WHEN lock THEN datetime() + duration({seconds: $secs}) ELSE u.lockedUntil END,
             u.failedLogins = CASE WHEN lock THEN 0 ELSE u.failedLogins END
         RETURN lock`,
        { id: u.id, max: int(policy.maxFailures), secs: int(policy.lockoutSeconds) },
      );
      if (r[0]?.lock === true) return { ok: false, reason: 'locked', retryAfterSeconds: policy.lockoutSeconds, lockedNow: true };
      return { ok: false, reason: 'invalid' };
    }
    if (u.disabled === true) return { ok: false, reason: 'disabled' };
    const done = await this.graph.write(
      `MATCH (u:User {id: $id}) SET u.failedLogins = 0, u.lockedUntil = null, u.lastLoginAt = datetime() RETURN ${USER_VIEW} AS u`,
      { id: u.id },
    );
    return { ok: true, user: done[0]!.u as UserView };
  }

  /** Kept for callers that only need a yes/no (no lockout bookkeeping). */
  async verifyLogin(username: string, password: string): Promise<Principal | null> {
    const rows = await this.graph.read('MATCH (u:User {username: $username}) WHERE NOT coalesce(u.disabled, false) RETURN u.id AS id, u.passwordHash AS h, u.role AS role', { username });
    const u = rows[0];
    if (!u || !(await verifyPassword(String(u.h), password))) return null;
    return { kind: 'user', id: String(u.id), name: username, role: u.role as Role };
  }

  async userCount(): Promise<number> {
    const rows = await this.graph.read('MATCH (u:User) RETURN count(u) AS n');
    return Number(rows[0]?.n ?? 0);
  }

  async listUsers(): Promise<UserView[]> {
    const rows = await this.graph.read(`MATCH (u:User) RETURN ${USER_VIEW} AS u ORDER BY u.username`);
    return rows.map((r) => r.u as UserView);
  }

  async findUser(idOrName: string): Promise<UserView | null> {
    const rows = await this.graph.read(`MATCH (u:User) WHERE u.id = $x OR u.username = $x RETURN ${USER_VIEW} AS u LIMIT 1`, { x: idOrName });
    return (rows[0]?.u as UserView | undefined) ?? null;
  }

  async requireUser(idOrName: string): Promise<UserView> {
    const u = await this.findUser(idOrName);
    if (!u) throw new NotFoundError('user', idOrName);
    return u;
  }

  /**
   * Changes role and/or the disabled flag. Refuses to leave the installation without an enabled
   * administrator (the check and the change share one transaction).
   */
  async updateUser(id: string, patch: { role?: Role; disabled?: boolean }): Promise<{ before: UserView; after: UserView }> {
    return this.graph.executeWrite(async (tx) => {
      const cur = await tx.run(`MATCH (u:User {id: $id}) RETURN ${USER_VIEW} AS u`, { id });
      if (!cur[0]) throw new NotFoundError('user', id);
      const before = cur[0].u as UserView;
      const role = patch.role ?? before.role;
      const disabled = patch.disabled ?? before.disabled;
      if (before.role === 'admin' && !before.disabled && (role !== 'admin' || disabled)) {
        const others = await tx.run(`MATCH (o:User {role: 'admin'}) WHERE o.id <> $id AND NOT coalesce(o.disabled, false) RETURN count(o) AS n`, { id });
        if (Number(others[0]?.n ?? 0) === 0) throw new ConflictError('LAST_ADMIN', 'this is the only enabled administrator; create or enable another first', { field: patch.role ? 'role' : 'disabled' });
      }
      const rows = await tx.run(`MATCH (u:User {id: $id}) SET u.role = $role, u.disabled = $disabled RETURN ${USER_VIEW} AS u`, { id, role, disabled });
      return { before, after: rows[0]!.u as UserView };
    });
  }

  async unlockUser(idOrName: string): Promise<UserView> {
    const u = await this.requireUser(idOrName);
    const rows = await this.graph.write(`MATCH (u:User {id: $id}) SET u.failedLogins = 0, u.lockedUntil = null RETURN ${USER_VIEW} AS u`, { id: u.id });
    return rows[0]!.u as UserView;
  }

  /** Removes MFA (lost phone): the user enrols again at next sign-in if their role requires it. */
  async resetMfa(idOrName: string): Promise<UserView> {
    const u = await this.requireUser(idOrName);
    const rows = await this.graph.write(
      `MATCH (u:User {id: $id}) SET u.mfaEnabled = false, u.mfaSecret = null, u.mfaPendingSecret = null, u.mfaLastStep = null, u.recoveryHashes = []
       RETURN ${USER_VIEW} AS u`,
      { id: u.id },
    );
    return rows[0]!.u as UserView;
  }

  // --- MFA -----------------------------------------------------------------------------------

  /** Starts (or restarts) enrolment: a new secret is kept pending until a code from it is confirmed. */
  async startMfaEnrolment(userId: string): Promise<{ secret: string; username: string }> {
    const secret = newTotpSecret();
    const rows = await this.graph.write(
      `MATCH (u:User {id: $id}) WITH u, coalesce(u.mfaEnabled, false) AS enabled
       SET u.mfaPendingSecret = CASE WHEN enabled THEN u.mfaPendingSecret ELSE $secret END
       RETURN enabled, u.username AS username`,
      { id: userId, secret },
    );
    if (!rows[0]) throw new NotFoundError('user', userId);
    if (rows[0].enabled === true) throw new ConflictError('MFA_ALREADY_ENABLED', 'MFA is already active for this account; an administrator can reset it');
    return { secret, username: String(rows[0].username) };
  }

  /** Activates MFA when the code matches the pending secret; returns the recovery codes (shown once). */
  async confirmMfa(userId: string, code: string, now = Date.now()): Promise<string[]> {
    const rows = await this.graph.read('MATCH (u:User {id: $id}) RETURN u.mfaPendingSecret AS s, coalesce(u.mfaEnabled, false) AS enabled', { id: userId });
    const u = rows[0];
    if (!u) throw new NotFoundError('user', userId);
    if (u.enabled === true) throw new ConflictError('MFA_ALREADY_ENABLED', 'MFA is already active for this account');
    if (!u.s) throw new ConflictError('MFA_NOT_ENROLLING', 'start enrolment first (POST /api/v1/auth/mfa/enroll)');
    const step = totpStep(String(u.s), code, now);
    if (step === null) throw new ValidationError('INVALID_MFA_CODE', 'the code does not match; check the authenticator app and the clock', { field: 'code' });
    const codes = newRecoveryCodes();
    const done = await this.graph.write(
      `MATCH (u:User {id: $id}) WHERE u.mfaPendingSecret = $s AND NOT coalesce(u.mfaEnabled, false)
       SET u.mfaSecret = u.mfaPendingSecret, u.mfaPendingSecret = null, u.mfaEnabled = true, u.mfaLastStep = $step,
           u.recoveryHashes = $hashes, u.mfaEnabledAt = datetime()
       RETURN u.id AS id`,
      { id: userId, s: u.s, step: int(step), hashes: codes.map(hashRecoveryCode) },
    );
    if (!done[0]) throw new ConflictError('MFA_ENROLMENT_CHANGED', 'enrolment changed meanwhile; start again');
    return codes;
  }

  /**
   * Checks a TOTP code. The time-step of an accepted code is stored in the same statement that
   * checks it is newer than the last one, so a code (or an older one) is never accepted twice.
   */
  async acceptTotp(userId: string, code: string, now = Date.now()): Promise<'ok' | 'invalid' | 'replayed'> {
    const rows = await this.graph.read('MATCH (u:User {id: $id}) WHERE u.mfaEnabled RETURN u.mfaSecret AS s', { id: userId });
    const s = rows[0]?.s;
    if (!s) return 'invalid';
    const step = totpStep(String(s), code, now);
    if (step === null) return 'invalid';
    const won = await this.graph.write(
      'MATCH (u:User {id: $id}) WHERE coalesce(u.mfaLastStep, -1) < $step SET u.mfaLastStep = $step RETURN u.id AS id',
      { id: userId, step: int(step) },
    );
    return won[0] ? 'ok' : 'replayed';
  }

  async consumeRecoveryCode(userId: string, code: string): Promise<boolean> {
    const h = hashRecoveryCode(code);
    const rows = await this.graph.write(
      `MATCH (u:User {id: $id}) WHERE u.mfaEnabled AND $h IN coalesce(u.recoveryHashes, [])
       SET u.recoveryHashes = [x IN u.recoveryHashes WHERE x <> $h]
       RETURN size(u.recoveryHashes) AS left`,
      { id: userId, h },
    );
    return rows.length > 0;
  }

  // --- API tokens ----------------------------------------------------------------------------

  async createToken(name: string, role: Role, expiresInDays: number | null, createdBy: string): Promise<{ token: string; info: TokenInfo }> {
    const t = newToken();
    const rows = await this.graph.write(
      `CREATE (k:ApiToken {id: $id, name: $name, prefix: $prefix, hash: $hash, role: $role, createdAt: datetime(), createdBy: $createdBy,
         expiresAt: CASE WHEN $days IS NULL THEN null ELSE datetime() + duration({days: $days}) END})
       RETURN ${TOKEN_VIEW} AS info`,
      { id: randomUUID(), name, prefix: t.prefix, hash: t.hash, role, days: expiresInDays === null ? null : int(expiresInDays), createdBy },
    );
    return { token: t.token, info: rows[0]!.info as TokenInfo };
  }

  /** Resolves a bearer token to its principal and records its use; null when unknown, expired or revoked. */
  /**
   * A token is looked up by its hash; a verified one is remembered by this process for at most
   * TOKEN_CACHE_MS (never past its expiry), and revoking a token here forgets them all at once, so
   * a revocation through this API counts immediately and one made by another process (the CLI,
   * another API replica) within TOKEN_CACHE_MS. `lastUsedAt` is written at most once a minute per
   * token by this process. Writing it on every request made every request a write transaction on
   * one node: clients sharing a token queued on its lock (80 req/s, p99 4.4 s with 50 clients on
   * the 100k bench graph); a read on every request still capped pages at ~420 req/s.
   */
  async authenticateToken(token: string): Promise<Principal | null> {
    if (!tokenPrefix(token)) return null;
    const hash = sha256(token);
    const now = Date.now();
    const known = this.verified.get(hash);
    if (known && known.until > now) return known.principal;
    const rows = await this.graph.read(
      `MATCH (k:ApiToken {hash: $hash})
       WHERE k.revokedAt IS NULL AND (k.expiresAt IS NULL OR k.expiresAt > datetime())
       RETURN k.id AS id, k.name AS name, k.role AS role, k.expiresAt AS expiresAt`,
      { hash },
    );
    const k = rows[0];
    if (!k) {
      this.verified.delete(hash);
      return null;
    }
    const principal: Principal = { kind: 'token', id: String(k.id), name: String(k.name), role: k.role as Role };
    if (this.verified.size >= 10_000) this.verified.clear();
    const expires = k.expiresAt ? Date.parse(String(k.expiresAt)) : Infinity;
    this.verified.set(hash, { principal, until: Math.min(now + TOKEN_CACHE_MS, expires) });
    if (now - (this.lastUseWritten.get(hash) ?? 0) >= LAST_USED_RESOLUTION_MS) {
      if (this.lastUseWritten.size >= 10_000) this.lastUseWritten.clear();
      this.lastUseWritten.set(hash, now);
      try {
        await this.graph.write('MATCH (k:ApiToken {hash: $hash}) SET k.lastUsedAt = datetime()', { hash });
      } catch (err) {
        this.lastUseWritten.delete(hash);
        throw err;
      }
    }
    return principal;
  }

  async listTokens(): Promise<TokenInfo[]> {
    const rows = await this.graph.read(`MATCH (k:ApiToken) RETURN ${TOKEN_VIEW} AS info ORDER BY k.createdAt`);
    return rows.map((r) => r.info as TokenInfo);
  }

  async revokeToken(idOrPrefix: string): Promise<TokenInfo> {
    this.verified.clear();
    const rows = await this.graph.write(
      `MATCH (k:ApiToken) WHERE k.id = $x OR k.prefix = $x
       SET k.revokedAt = coalesce(k.revokedAt, datetime())
       RETURN ${TOKEN_VIEW} AS info`,
      { x: idOrPrefix },
    );
    this.verified.clear();
    if (!rows[0]) throw new NotFoundError('token', idOrPrefix);
    return rows[0].info as TokenInfo;
  }
}
