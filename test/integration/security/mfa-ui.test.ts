/// <reference lib="dom" />
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { totpCode } from '../../../services/core/src/auth/mfa.js';
import { createUser, openPage, screenshot, startBrowserApp, type BrowserApp } from '../../browser/helpers.js';

/**
 * The first sign-in of an administrator in headless Chromium, under the production CSP: the UI
 * shows MFA enrolment, a code from the secret it displays activates MFA, recovery codes are shown
 * once, and the next sign-in asks for a code. No console error (a CSP violation is one).
 */
describe('MFA in the UI', () => {
  let b: BrowserApp;
  beforeAll(async () => {
    b = await startBrowserApp();
  });
  afterAll(async () => b?.close());

  it('an admin without MFA is led through enrolment, then signs in with a code', async () => {
    const user = await createUser(b.t, 'admin');
    const ui = await openPage(b);
    const { page } = ui;
    const csp: string[] = [];
    page.on('console', (m) => {
      if (/Content Security Policy/i.test(m.text())) csp.push(m.text());
    });
    await page.goto(`${b.url}/#/map`);
    await page.fill('#login-user', user.username);
    await page.fill('#login-pass', user.password);
    await page.click('form.login button[type=submit]');
    await page.waitForSelector('#mfa-required');
    await page.click('#mfa-enrol');
    await page.waitForSelector('#mfa-secret');
    const secret = (await page.textContent('#mfa-secret'))!.trim();
    expect(secret).toMatch(/^[A-Z2-7]{32}$/);
    // The QR code is a data: image, which the CSP allows.
    expect(await page.getAttribute('.mfa-enrol img', 'src')).toMatch(/^data:image\/svg\+xml;base64,/);
    expect(await page.evaluate(() => (document.querySelector('.mfa-enrol img') as HTMLImageElement).naturalWidth)).toBeGreaterThan(0);
    const enrolCode = totpCode(secret);
    await page.fill('#mfa-confirm-code', enrolCode);
    await page.click('.mfa-enrol form button[type=submit]');
    await page.waitForSelector('#recovery-codes');
    expect(await page.locator('#recovery-codes li').count()).toBe(10);
    await screenshot(page, 'mfa-recovery-codes');
    await page.click('#mfa-continue');
    await page.waitForFunction(() => !document.querySelector('#mfa-required') && !!document.querySelector('header.top'));

    // Sign out, sign in again: the second step asks for a code; the one used at enrolment is refused.
    await ui.context.clearCookies();
    await page.goto(`${b.url}/#/map`);
    await page.reload();
    await page.fill('#login-user', user.username);
    await page.fill('#login-pass', user.password);
    await page.click('form.login button[type=submit]');
    await page.waitForSelector('#mfa-code');
    await page.fill('#mfa-code', enrolCode);
    await page.click('form.login button[type=submit]');
    await expect.poll(() => page.textContent('form.login [role=alert]'), { timeout: 15_000 }).toMatch(/already used/);
    await page.fill('#mfa-code', totpCode(secret, Date.now() + 30_000));
    await page.click('form.login button[type=submit]');
    await page.waitForSelector('header.top');
    expect(csp).toEqual([]);
    expect(ui.errors.filter((e) => !/401|403/.test(e))).toEqual([]);
    await ui.context.close();
  });
});
