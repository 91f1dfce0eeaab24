import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, readdirSync, statSync } from 'node:fs';
import { join, resolve } from 'node:path';
import type { AddressInfo } from 'node:net';
import { Secret, TOTP } from 'otpauth';
import { expect } from 'vitest';
import { chromium, type Browser, type BrowserContext, type Page } from 'playwright-core';
import { AuthRepository } from '../../services/core/src/graph/auth-repository.js';
import type { Role } from '../../services/core/src/auth/roles.js';
import { buildTestApp, type TestApp } from '../helpers/app.js';

/**
 * A listening app (real Neo4j and Redis, the built UI) and Debian's Chromium driven by
 * playwright-core. Never a downloaded browser; only loopback addresses.
 */
const root = resolve(import.meta.dirname, '../..');
export const SCREENSHOTS = join(root, 'test-results', 'screenshots');

function newest(dir: string): number {
  let n = 0;
  for (const e of readdirSync(dir, { withFileTypes: true })) {
    const p = join(dir, e.name);
    n = Math.max(n, e.isDirectory() ? newest(p) : statSync(p).mtimeMs);
  }
  return n;
}

/** Rebuild web/dist when any UI source is newer than it (the same rule as scripts/bootstrap.mjs). */
export function ensureWebBuilt(): void {
  const dist = join(root, 'web', 'dist', 'index.html');
  const src = Math.max(newest(join(root, 'web', 'src')), statSync(join(root, 'web', 'index.html')).mtimeMs);
  if (existsSync(dist) && statSync(dist).mtimeMs >= src) return;
  execFileSync(process.execPath, [join(root, 'node_modules', 'vite', 'bin', 'vite.js'), 'build', '--config', 'web/vite.config.ts', '--logLevel', 'warn'], { cwd: root, stdio: 'inherit' });
}

export interface BrowserApp {
  t: TestApp;
  url: string;
  browser: Browser;
  close(): Promise<void>;
}

export async function startBrowserApp(): Promise<BrowserApp> {
  ensureWebBuilt();
  const t = await buildTestApp();
  await t.app.listen({ host: '127.0.0.1', port: 0 });
  const { port } = t.app.server.address() as AddressInfo;
  const browser = await chromium.launch({
    executablePath: '/usr/bin/chromium',
    args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update', '--no-first-run'],
  });
  return {
    t,
    url: `http://127.0.0.1:${port}`,
    browser,
    async close() {
      await browser.close();
      await t.close();
    },
  };
}

export async function createUser(t: TestApp, role: Role): Promise<{ username: string; password: string }> {
  const username = `ui-${role}-${Math.random().toString(36).slice(2, 8)}`;
  const password = 'Correct-Horse-42-battery';
  await new AuthRepository(t.graph).createUser(username, password, role);
  return { username, password };
}

export interface UiPage {
  page: Page;
  context: BrowserContext;
  /** Console errors and uncaught exceptions seen so far; a test ends by asserting it is empty. */
  errors: string[];
}

export async function openPage(b: BrowserApp, opts: { width?: number; height?: number } = {}): Promise<UiPage> {
  const context = await b.browser.newContext({ viewport: { width: opts.width ?? 1400, height: opts.height ?? 900 }, acceptDownloads: true });
  const page = await context.newPage();
  const errors: string[] = [];
  page.on('console', (m) => {
    if (m.type() !== 'error') return;
    // Asking "am I signed in?" before signing in is answered 401; Chromium logs every non-2xx
    // response as a console error, so that one answer, and only it, is not a fault of the page.
    if (/status of 401/.test(m.text()) && m.location().url.endsWith('/api/v1/auth/me')) return;
    errors.push(`${m.text()} (${m.location().url})`);
  });
  page.on('pageerror', (e) => errors.push(String(e)));
  return { page, context, errors };
}

/**
 * Signs in through the form. A role that requires MFA is sent to enrolment first: the helper reads
 * the secret shown beside the QR code, answers with a real TOTP code and keeps the recovery codes.
 */
export async function login(ui: UiPage, url: string, user: { username: string; password: string }, start = '#/map'): Promise<{ enrolled: boolean; qrSrc: string | null; recoveryCodes: string[] }> {
  await ui.page.goto(`${url}/${start}`);
  await ui.page.fill('#login-user', user.username);
  await ui.page.fill('#login-pass', user.password);
  await ui.page.click('form.login button[type=submit]');
  await ui.page.waitForSelector('header.top');
  if ((await ui.page.locator('#mfa-required').count()) === 0) return { enrolled: false, qrSrc: null, recoveryCodes: [] };
  await ui.page.click('#mfa-enrol');
  const qr = ui.page.locator('img[alt^="QR code"]');
  await qr.waitFor();
  const qrSrc = await qr.getAttribute('src');
  const secret = (await ui.page.locator('#mfa-secret').innerText()).trim();
  const code = new TOTP({ secret: Secret.fromBase32(secret), digits: 6, period: 30, algorithm: 'SHA1' }).generate();
  await ui.page.fill('#mfa-confirm-code', code);
  await ui.page.press('#mfa-confirm-code', 'Enter');
  await ui.page.locator('#recovery-codes li').first().waitFor();
  const recoveryCodes = await ui.page.locator('#recovery-codes li').allInnerTexts();
  await ui.page.click('#mfa-continue');
  await ui.page.waitForFunction(() => !document.querySelector('#mfa-required'));
  return { enrolled: true, qrSrc, recoveryCodes };
}

export async function screenshot(page: Page, name: string): Promise<void> {
  mkdirSync(SCREENSHOTS, { recursive: true });
  await page.screenshot({ path: join(SCREENSHOTS, `${name}.png`) });
}

/** How many map renders have completed so far (the view counts them in body[data-map-renders]). */
export async function mapRenders(page: Page): Promise<number> {
  return page.evaluate(() => Number(document.body.dataset.mapRenders ?? 0));
}

/** Waits until a map render after the `before`-th one has completed. */
export async function waitForMap(page: Page, before = 0): Promise<void> {
  await page.waitForFunction((s) => Number(document.body.dataset.mapRenders ?? 0) > s, before, { timeout: 30_000 });
}

/** expect.poll with a timeout fit for a shared 2-core machine. */
export function poll<T>(fn: () => Promise<T> | T) {
  return expect.poll(fn, { timeout: 30_000, interval: 200 });
}

export async function cyNodes(page: Page, selector = 'node'): Promise<Record<string, unknown>[]> {
  return page.evaluate((sel) => {
    const cy = (window as unknown as { __atlas: { cy: { nodes(s: string): { map<T>(f: (n: { data(): Record<string, unknown>; classes(): string[] }) => T): T[] } } } }).__atlas.cy;
    return cy.nodes(sel).map((n) => ({ ...n.data(), classes: n.classes() }));
  }, selector);
}

/** How many pixels of the map's canvases are drawn on: a blank map has none. */
export async function paintedPixels(page: Page): Promise<number> {
  return page.evaluate(() => {
    let n = 0;
    for (const cv of Array.from(document.querySelectorAll<HTMLCanvasElement>('.cy canvas'))) {
      const px = cv.getContext('2d')!.getImageData(0, 0, cv.width, cv.height).data;
      for (let i = 3; i < px.length; i += 4) if (px[i]) n++;
    }
    return n;
  });
}
