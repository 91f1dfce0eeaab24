import { describe, expect, it } from 'vitest';
import { hashRecoveryCode, mfaRequiredRoles, newRecoveryCodes, newTotpSecret, otpauthUri, qrDataUrl, totpCode, totpStep, TOTP_PERIOD } from '../../../services/core/src/auth/mfa.js';
import { newToken, passwordProblems, randomPassword, tokenPrefix } from '../../../services/core/src/auth/secrets.js';

describe('TOTP', () => {
  const secret = newTotpSecret();
  const now = Date.UTC(2026, 0, 1, 12, 0, 10);
  const step = Math.floor(now / 1000 / TOTP_PERIOD);

  it('accepts the current code and one step of drift either way, with the step it belongs to', () => {
    expect(totpStep(secret, totpCode(secret, now), now)).toBe(step);
    expect(totpStep(secret, totpCode(secret, now - 30_000), now)).toBe(step - 1);
    expect(totpStep(secret, totpCode(secret, now + 30_000), now)).toBe(step + 1);
  });

  it('refuses codes two steps away, wrong codes and non-codes', () => {
    expect(totpStep(secret, totpCode(secret, now - 90_000), now)).toBeNull();
    expect(totpStep(secret, totpCode(newTotpSecret(), now), now)).toBeNull();
    expect(totpStep(secret, '12345', now)).toBeNull();
    expect(totpStep(secret, 'abcdef', now)).toBeNull();
  });

  it('builds an otpauth URI and an SVG QR code for authenticator apps', async () => {
    const uri = otpauthUri(secret, 'ada');
    expect(uri).toBe(`otpauth://totp/ePHI%20Atlas:ada?issuer=ePHI%20Atlas&secret=${secret}&algorithm=SHA1&digits=6&period=30`);
    const qr = await qrDataUrl(uri);
    expect(Buffer.from(qr.replace(/^data:image\/svg\+xml;base64,/, ''), 'base64').toString()).toMatch(/^<svg/);
  });

  it('recovery codes are distinct and match however they are typed', () => {
    const codes = newRecoveryCodes();
    expect(new Set(codes).size).toBe(10);
    expect(codes[0]).toMatch(/^[a-z2-9]{4}-[a-z2-9]{4}-[a-z2-9]{4}$/);
    expect(hashRecoveryCode(codes[0]!.toUpperCase().replace(/-/g, ' '))).toBe(hashRecoveryCode(codes[0]!));
    expect(hashRecoveryCode(codes[0]!)).not.toBe(hashRecoveryCode(codes[1]!));
  });

  it('reads ATLAS_MFA_REQUIRED_ROLES', () => {
    expect([...mfaRequiredRoles('security,admin')].sort()).toEqual(['admin', 'security']);
    expect(mfaRequiredRoles('all').size).toBe(4);
    expect(mfaRequiredRoles('none').size).toBe(0);
  });
});

describe('password policy and tokens', () => {
  it('names what is wrong with a weak password', () => {
    expect(passwordProblems('short1A')).toMatch(/12 characters/);
    expect(passwordProblems('alllowercaseletters')).toMatch(/two of/);
    expect(passwordProblems('Ada-Lovelace-1815', 'lovelace')).toMatch(/username/);
    expect(passwordProblems('Correct-Horse-42')).toBeNull();
  });

  it('generated passwords always meet the policy', () => {
    for (let i = 0; i < 200; i++) expect(passwordProblems(randomPassword())).toBeNull();
  });

  it('tokens carry a visible prefix and are recognised by format only', () => {
    const t = newToken();
    expect(tokenPrefix(t.token)).toBe(t.prefix);
    expect(t.hash).not.toContain(t.token);
    expect(tokenPrefix('atl_123_short')).toBeNull();
  });
});
