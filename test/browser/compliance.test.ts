import { readFileSync } from 'node:fs';
import { parse } from 'csv-parse/sync';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { seedDemo } from '../../services/platform/src/demo/seed-demo.js';
import { createUser, login, openPage, poll, screenshot, startBrowserApp, type BrowserApp, type UiPage } from './helpers.js';

/**
 * The compliance page in headless Chromium against the real API with the demo network: gap
 * report rows and chips, CSV export, confirming a suggestion, snapshots and their diff, and what a
 * viewer may not do.
 */
interface GapRow { subjectType: string; id: string; name: string; gaps: string[]; location: string | null }
interface GapReport { rows: GapRow[]; legend: Record<string, string>; totals: { byGap: Record<string, number> } }
interface Suggestion { id: string; type: string; assetId: string; assetName: string | null; value: Record<string, string>; title: string }

describe('compliance page in Chromium', () => {
  let b: BrowserApp;
  let ui: UiPage;
  let report: GapReport;
  const row = (prefix: string) => {
    const r = report.rows.find((x) => x.subjectType === 'asset' && x.name.split('.')[0] === prefix);
    if (!r) throw new Error(`no gap row for ${prefix}`);
    return r;
  };
  const apiGet = async <T>(url: string, role: 'viewer' | 'analyst' | 'security' = 'analyst'): Promise<T> => {
    const res = await b.t.app.inject({ method: 'GET', url, headers: b.t.auth(role) });
    expect(res.statusCode, url).toBe(200);
    return res.json() as T;
  };

  beforeAll(async () => {
    b = await startBrowserApp();
    await seedDemo(b.t.graph);
    report = await apiGet<GapReport>('/api/v1/compliance/gaps');
    ui = await openPage(b);
  });
  afterAll(async () => {
    await b?.close();
  });

  it('lists the gap report: totals as tiles, one row per subject with readable gap chips', async () => {
    await login(ui, b.url, await createUser(b.t, 'security'), '#/compliance');
    await ui.page.locator('#gap-rows tbody tr[data-id]').first().waitFor();
    // The demo asserts these facts (demo-zz-compliance): the PACS is not encrypted in transit and
    // its only review is 400 days old; the EHR database is encrypted both ways, has MFA and a
    // review 20 days ago.
    const pacs = row('pacs01');
    const ehr = row('ehr-db01');
    expect(pacs.gaps).toEqual(expect.arrayContaining(['ENCRYPTION_IN_TRANSIT_ABSENT', 'MFA_UNKNOWN', 'REVIEW_OVERDUE']));
    expect(pacs.gaps).not.toContain('ENCRYPTION_AT_REST_UNKNOWN');
    expect(ehr.gaps.filter((g) => /^(ENCRYPTION|MFA|REVIEW)/.test(g))).toEqual([]);

    const chipsOf = (id: string) => ui.page.locator(`#gap-rows tr[data-id="${id}"] .chip`).allInnerTexts();
    const pacsChips = await chipsOf(pacs.id);
    expect(pacsChips).toEqual(pacs.gaps.map((g) => report.legend[g]));
    expect(pacsChips).toContain('no attested review in the last 12 months');
    expect(await chipsOf(ehr.id)).not.toContain(report.legend.MFA_UNKNOWN);
    // Every subject of the report is a row, and nothing else.
    const ids = await ui.page.locator('#gap-rows tbody tr[data-id]').evaluateAll((trs) => trs.map((t) => t.getAttribute('data-id')));
    expect(ids.sort()).toEqual(report.rows.map((r) => r.id).sort());
    // A tile per gap type that occurs, with the server's count.
    const tile = ui.page.locator('#gap-tiles a[data-gap="REVIEW_OVERDUE"]');
    await expect(tile.innerText()).resolves.toContain(String(report.totals.byGap.REVIEW_OVERDUE));
    await screenshot(ui.page, 'compliance-gaps');

    // A row opens the asset panel.
    await ui.page.locator(`#gap-rows tr[data-id="${pacs.id}"] td`).nth(2).click();
    await expect(ui.page.locator('#asset-panel-title').innerText()).resolves.toBe(pacs.name);
    await ui.page.keyboard.press('Escape');
  });

  it('filters by gap type from the keyboard and exports the filtered rows as CSV', async () => {
    await ui.page.focus('#g-gap');
    await ui.page.selectOption('#g-gap', 'REVIEW_OVERDUE');
    await poll(() => ui.page.evaluate(() => location.hash)).toContain('gap=REVIEW_OVERDUE');
    const overdue = report.rows.filter((r) => r.gaps.includes('REVIEW_OVERDUE'));
    await poll(() => ui.page.locator('#gap-rows tbody tr[data-id]').count()).toBe(overdue.length);
    expect(overdue.length).toBeGreaterThan(0);
    expect(overdue.length).toBeLessThan(report.rows.length); // the EHR database is reviewed

    const [download] = await Promise.all([ui.page.waitForEvent('download'), ui.page.click('#gaps-export-csv')]);
    const rows = parse(readFileSync((await download.path())!, 'utf8'), { columns: true }) as Record<string, string>[];
    expect(rows.map((r) => r.id).sort()).toEqual(overdue.map((r) => r.id).sort());
    const pacs = rows.find((r) => r.id === row('pacs01').id)!;
    expect(pacs.gaps!.split(' ')).toEqual(row('pacs01').gaps);
    expect(rows.some((r) => r.id === row('ehr-db01').id)).toBe(false);
  });

  it('confirms a pending suggestion: it leaves the list and the asserted field changes', async () => {
    const open = await apiGet<{ items: Suggestion[] }>('/api/v1/suggestions?state=open&limit=500', 'viewer');
    const s = open.items.find((x) => x.type === 'ephi-role') ?? open.items[0];
    expect(s, 'the demo has pending suggestions').toBeDefined();
    await ui.page.click('nav.tabs a[data-tab="suggestions"]');
    const card = ui.page.locator(`#suggestion-list li[data-suggestion="${s!.id}"]`);
    await card.waitFor();
    await expect(ui.page.locator('#suggestion-list li[data-suggestion]').count()).resolves.toBe(open.items.length);
    await expect(card.innerText()).resolves.toContain(s!.title);
    await screenshot(ui.page, 'compliance-suggestions');
    await card.locator('button[data-action="confirm"]').click();
    await poll(() => card.count()).toBe(0);
    await poll(() => ui.page.locator('#suggestion-list li[data-suggestion]').count()).toBe(open.items.length - 1);

    const after = await apiGet<{ state: string }>(`/api/v1/suggestions/${s!.id}`, 'viewer');
    expect(after.state).toBe('confirmed');
    const asset = await apiGet<Record<string, unknown>>(`/api/v1/assets/${s!.assetId}`, 'viewer');
    const asserted = (asset.asserted ?? asset) as Record<string, unknown>;
    for (const [k, v] of Object.entries(s!.value)) expect(String(asserted[k] ?? asserted[k.replace(/^a_/, '')]), k).toBe(v);
  });

  it('shows AI systems and overdue reviews; attesting a review removes it from the overdue list', async () => {
    await ui.page.click('nav.tabs a[data-tab="ai"]');
    const ai = await apiGet<{ items: { id: string; name: string; provider: string | null }[] }>('/api/v1/ai-systems', 'viewer');
    await ui.page.locator('#ai-systems tbody tr[data-id]').first().waitFor();
    const infer = ai.items.find((x) => x.provider === 'Ollama')!;
    await expect(ui.page.locator(`#ai-systems tr[data-id="${infer.id}"]`).innerText()).resolves.toMatch(/Ollama[\s\S]*llama3\.1[\s\S]*self-hosted[\s\S]*high/);
    await expect(ui.page.locator('#ai-tag-form select#ai-hosting option').allInnerTexts()).resolves.toEqual(expect.arrayContaining(['self-hosted', 'vendor-saas']));
    await screenshot(ui.page, 'compliance-ai');

    await ui.page.click('nav.tabs a[data-tab="reviews"]');
    const pacs = row('pacs01');
    const due = ui.page.locator(`#reviews-due tr[data-id="${pacs.id}"]`);
    await due.waitFor();
    await expect(due.innerText()).resolves.toContain('overdue');
    await screenshot(ui.page, 'compliance-reviews');
    await due.locator('button[data-action="attest"]').click();
    await poll(() => due.count()).toBe(0);
    await expect(ui.page.locator('#reviews-recent').innerText()).resolves.toContain(pacs.name);
    const fresh = await apiGet<GapReport>('/api/v1/compliance/gaps?subjectType=asset');
    expect(fresh.rows.find((r) => r.id === pacs.id)!.gaps).not.toContain('REVIEW_OVERDUE');
  });

  it('takes two snapshots around one change and the diff lists exactly that asset as changed', async () => {
    await ui.page.click('nav.tabs a[data-tab="snapshots"]');
    await ui.page.locator('#snapshot-list').waitFor();
    const before = await ui.page.locator('#snapshot-list tbody tr[data-id]').count();
    await ui.page.locator('#snapshot-take').click();
    await poll(() => ui.page.locator('#snapshot-list tbody tr[data-id]').count()).toBe(before + 1);
    const ehr = row('ehr-db01');
    const patch = await b.t.app.inject({ method: 'PATCH', url: `/api/v1/assets/${ehr.id}`, headers: b.t.auth('security'), payload: { notes: `Moved to the new SAN (change under test ${before})` } });
    expect(patch.statusCode).toBe(200);
    await ui.page.locator('#snapshot-take').click();
    await poll(() => ui.page.locator('#snapshot-list tbody tr[data-id]').count()).toBe(before + 2);
    await ui.page.click('#snapshot-diff-form button[type=submit]');
    const changed = ui.page.locator('#diff-assets-changed li[data-id]');
    await changed.first().waitFor();
    await expect(changed.evaluateAll((li) => li.map((x) => x.getAttribute('data-id')))).resolves.toEqual([ehr.id]);
    await expect(changed.first().innerText()).resolves.toContain('Moved to the new SAN');
    await expect(ui.page.locator('#diff-assets-added li').count()).resolves.toBe(0);
    await expect(ui.page.locator('#diff-assets-removed li').count()).resolves.toBe(0);
    await expect(ui.page.locator('#cyclonedx-export').getAttribute('href')).resolves.toBe('/api/v1/exports/cyclonedx');
    await screenshot(ui.page, 'compliance-snapshots');
    expect(ui.errors).toEqual([]);
  });

  it('a viewer sees suggestions without Confirm or Dismiss, and is told the gap report needs the analyst role', async () => {
    const viewer = await openPage(b);
    await login(viewer, b.url, await createUser(b.t, 'viewer'), '#/compliance?tab=suggestions');
    await viewer.page.locator('#suggestion-list li[data-suggestion]').first().waitFor();
    await expect(viewer.page.locator('#suggestion-list button[data-action]').count()).resolves.toBe(0);
    await expect(viewer.page.locator('#suggestions-readonly').innerText()).resolves.toContain('security role');
    await viewer.page.click('nav.tabs a[data-tab="gaps"]');
    await poll(() => viewer.page.locator('#compliance-status').innerText()).toContain('needs the analyst role');
    await screenshot(viewer.page, 'compliance-viewer');
    expect(viewer.errors).toEqual([]);
    await viewer.context.close();
  });
});
