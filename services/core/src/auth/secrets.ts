import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';
import { hash, verify } from '@node-rs/argon2';

/** Secret handling in one place: token generation and hashing, password hashing (argon2id). */
export function newToken(): { token: string; prefix: string; hash: string } {
  const prefix = randomBytes(4).toString('hex');
  const secret = randomBytes(24).toString('base64url');
  const token = `atl_${prefix}_${secret}`;
  return { token, prefix: `atl_${prefix}`, hash: sha256(token) };
}

export function sha256(s: string): string {
  return createHash('sha256').update(s).digest('hex');
}

export function safeEqualHex(a: string, b: string): boolean {
  const ab = Buffer.from(a, 'hex');
  const bb = Buffer.from(b, 'hex');
  return ab.length === bb.length && timingSafeEqual(ab, bb);
}

export function tokenPrefix(token: string): string | null {
  const m = /^(atl_[0-9a-f]{8})_[A-Za-z0-9_-]{20,}$/.exec(token);
  return m ? m[1]! : null;
}

// argon2id (algorithm 2) with OWASP's minimum recommended parameters.
const ARGON = { algorithm: 2 as const, memoryCost: 19_456, timeCost: 2, parallelism: 1 };

export function hashPassword(pw: string): Promise<string> {
  return hash(pw, ARGON);
}

export async function verifyPassword(stored: string, pw: string): Promise<boolean> {
  try {
    return await verify(stored, pw);
  } catch {
    return false;
  }
}

/** A generated password that always meets the policy (20 base64url characters plus a digit and a symbol). */
export function randomPassword(): string {
  return `${randomBytes(15).toString('base64url')}-${randomBytes(1)[0]! % 10}`;
}

export const PASSWORD_POLICY = 'at least 12 characters, at least two of lower case, upper case, digits and symbols, not containing the username';

export function passwordProblems(pw: string, username?: string): string | null {
  if (pw.length < 12) return 'password must be at least 12 characters';
  if (pw.length > 256) return 'password must be at most 256 characters';
  const classes = [/[a-z]/, /[A-Z]/, /[0-9]/, /[^A-Za-z0-9]/].filter((r) => r.test(pw)).length;
  if (classes < 2) return 'password must mix at least two of: lower case, upper case, digits, symbols';
  if (username && username.length >= 3 && pw.toLowerCase().includes(username.toLowerCase())) return 'password must not contain the username';
  if (/^(.)\1+$/.test(pw)) return 'password must not be one repeated character';
  return null;
}
