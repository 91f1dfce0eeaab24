import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startWorkers, type RunningWorkers } from '../../services/discovery/src/workers/index.js';
import { createUser, login, openPage, poll, screenshot, startBrowserApp, type BrowserApp, type UiPage } from './helpers.js';

/** Create a loopback scan in the UI, run it, and watch its progress bar move over SSE to the end. */
describe('scans UI in Chromium', () => {
  let b: BrowserApp;
  let ui: UiPage;
  let workers: RunningWorkers;

  beforeAll(async () => {
    b = await startBrowserApp();
    workers = startWorkers(b.t.queues, b.t.graph, b.t.config);
    ui = await openPage(b);
    await login(ui, b.url, await createUser(b.t, 'security'), '#/scans');
  });
  afterAll(async () => {
    await workers?.close();
    await b?.close();
  });

  it('refuses a target outside the scope with the API message naming it', async () => {
    await ui.page.goto(`${b.url}/#/scans`);
    await ui.page.fill('#scan-name', 'outside');
    await ui.page.fill('#scan-targets', '127.0.0.1, 8.8.8.8');
    await ui.page.click('form[aria-label="New scan"] button[type=submit]');
    await poll(() => ui.page.locator('#scan-error').innerText()).toMatch(/targets\[1\]|8\.8\.8\.8/);
    // Chromium logs the refused request (400) as a console error: that one is this test's doing.
    const i = ui.errors.findIndex((e) => e.includes('status of 400') && e.includes('/api/v1/scans)'));
    expect(i).toBeGreaterThanOrEqual(0);
    ui.errors.splice(i, 1);
  });

  it('creates a loopback scan, runs it and shows live progress until it completes', async () => {
    await ui.page.fill('#scan-name', 'loopback-ui');
    await ui.page.fill('#scan-targets', '127.0.77.0/29');
    await ui.page.selectOption('#scan-profile', 'top-tcp');
    await ui.page.click('form[aria-label="New scan"] button[type=submit]');
    const run = ui.page.locator('#scan-list tr', { hasText: 'loopback-ui' }).locator('button[data-scan]');
    await run.click();
    const box = ui.page.locator('#scan-list .progress').first();
    await box.waitFor();
    // Sample the bar while the job runs: it must end at 100 and pass through other states first.
    const seen: string[] = [];
    await poll(async () => {
      seen.push(`${await box.getAttribute('data-state')}:${await box.locator('progress').evaluate((p) => (p as HTMLProgressElement).value)}`);
      return box.getAttribute('data-state');
    }).toBe('completed');
    expect(await box.locator('progress').evaluate((p) => (p as HTMLProgressElement).value)).toBe(100);
    expect(seen.some((s) => !s.startsWith('completed'))).toBe(true);
    await screenshot(ui.page, 'scans');
  });

  it('raised no console errors', () => {
    expect(ui.errors.join('\n')).toBe('');
  });
});
