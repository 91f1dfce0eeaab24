import { randomBytes } from 'node:crypto';
import { Secret, TOTP } from 'otpauth';
import QRCode from 'qrcode';
import { isRole, type Role } from './roles.js';
import { sha256 } from './secrets.js';

/**
 * TOTP (RFC 6238: SHA-1, 6 digits, 30 s) and recovery codes. A code is accepted once: the caller
 * stores the time-step of the last accepted code and refuses any step at or before it.
 */
export const TOTP_PERIOD = 30;
const ISSUER = 'ePHI Atlas';

function totp(secretBase32: string, label: string): TOTP {
  return new TOTP({ issuer: ISSUER, label, algorithm: 'SHA1', digits: 6, period: TOTP_PERIOD, secret: Secret.fromBase32(secretBase32) });
}

export function newTotpSecret(): string {
  return new Secret({ size: 20 }).base32;
}

export function otpauthUri(secretBase32: string, username: string): string {
  return totp(secretBase32, username).toString();
}

export async function qrDataUrl(uri: string): Promise<string> {
  const svg = await QRCode.toString(uri, { type: 'svg', errorCorrectionLevel: 'M', margin: 2 });
  return `data:image/svg+xml;base64,${Buffer.from(svg).toString('base64')}`;
}

/** The time-step a code belongs to (one step of clock drift either way), or null when it is wrong. */
export function totpStep(secretBase32: string, code: string, now = Date.now()): number | null {
  if (!/^\d{6}$/.test(code)) return null;
  const delta = totp(secretBase32, 'x').validate({ token: code, timestamp: now, window: 1 });
  return delta === null ? null : Math.floor(now / 1000 / TOTP_PERIOD) + delta;
}

/** The code for a time (tests and the CLI's self-check use it). */
export function totpCode(secretBase32: string, now = Date.now()): string {
  return totp(secretBase32, 'x').generate({ timestamp: now });
}

const RC_ALPHABET = 'abcdefghjkmnpqrstuvwxyz23456789';

/** Ten single-use recovery codes (about 60 bits each), shown once; only their hashes are stored. */
export function newRecoveryCodes(n = 10): string[] {
  const out: string[] = [];
  for (let i = 0; i < n; i++) {
    const bytes = randomBytes(12);
    const chars = [...bytes].map((b) => RC_ALPHABET[b % RC_ALPHABET.length]).join('');
    out.push(`${chars.slice(0, 4)}-${chars.slice(4, 8)}-${chars.slice(8, 12)}`);
  }
  return out;
}

export function hashRecoveryCode(code: string): string {
  return sha256(`atlas-recovery:${code.trim().toLowerCase().replace(/[\s-]/g, '')}`);
}

/** ATLAS_MFA_REQUIRED_ROLES: a comma list of roles, or `all` / `none`. */
export function mfaRequiredRoles(setting: string): Set<Role> {
  const s = setting.trim().toLowerCase();
  if (s === 'all') return new Set(['viewer', 'analyst', 'security', 'admin']);
  if (s === '' || s === 'none') return new Set();
  return new Set(s.split(',').map((x) => x.trim()).filter(isRole));
}
