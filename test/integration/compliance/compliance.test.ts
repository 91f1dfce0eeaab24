import { readFileSync, writeFileSync, chmodSync } from 'node:fs';
import { join } from 'node:path';
import { createRequire } from 'node:module';
import ExcelJS from 'exceljs';
import { parse } from 'csv-parse/sync';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { assetIdsByHostname } from '../../../services/core/src/graph/compliance-repository.js';
import { listAlerts } from '../../../services/core/src/graph/alert-repository.js';
import { ReviewRepository } from '../../../services/core/src/graph/review-repository.js';
import { AuthRepository } from '../../../services/core/src/graph/auth-repository.js';
import { seedDemo } from '../../../services/platform/src/demo/seed-demo.js';
import { buildTestApp, type TestApp } from '../../helpers/app.js';

/**
 * The compliance view on the demo network (St. Demo Regional Hospital): the gap report rows,
 * exports, review attestation, evidence snapshots and their diff, and the CycloneDX export
 * validated against the 1.6 JSON schema shipped in @cyclonedx/cyclonedx-library.
 */
const require = createRequire(import.meta.url);

type Row = { id: string; name: string; subjectType: string; ephiRole: string | null; gaps: string[]; location: string | null };

describe('compliance on the demo network', () => {
  let t: TestApp;
  let ids: Record<string, string>;
  const gaps = async (qs = '') => {
    const res = await t.app.inject({ method: 'GET', url: `/api/v1/compliance/gaps${qs}`, headers: t.auth('analyst') });
    expect(res.statusCode).toBe(200);
    return res.json() as { totals: { subjects: number; gaps: number; withGaps: number; byGap: Record<string, number> }; rows: Row[] };
  };

  beforeAll(async () => {
    t = await buildTestApp();
    await seedDemo(t.graph);
    ids = await assetIdsByHostname(t.graph, ['pacs01', 'ehr-db01', 'ai-infer01', 'ct-scanner01', 'infusion-pump01', 'jupyter01', 'ws-ward1', 'ws-ward4']);
  });
  afterAll(async () => {
    await t.close();
  });

  it('the demo modalities and PACS carry ePHI suggestions with the dicom-ping evidence', async () => {
    const ct = (await t.app.inject({ method: 'GET', url: `/api/v1/suggestions?assetId=${ids['ct-scanner01']}`, headers: t.auth('viewer') })).json().items;
    expect(ct).toEqual([expect.objectContaining({ ruleId: 'ephi.dicom', confidence: 0.95 })]);
    expect(ct[0].evidence[0]).toBe('nmap dicom-ping on 104/tcp: dicom: DICOM Service Provider discovered! config: Any AET is accepted (Insecure)');
    const pacs = (await t.app.inject({ method: 'GET', url: `/api/v1/suggestions?assetId=${ids.pacs01}&type=ephi-role`, headers: t.auth('viewer') })).json().items;
    expect(pacs.find((s: { ruleId: string }) => s.ruleId === 'ephi.pacs-product').state).toBe('confirmed');
    const jupyter = (await t.app.inject({ method: 'GET', url: `/api/v1/suggestions?assetId=${ids.jupyter01}`, headers: t.auth('viewer') })).json().items;
    expect(jupyter).toEqual([expect.objectContaining({ ruleId: 'ai.jupyter', type: 'ai-system', state: 'open' })]);
  });

  it('the demo flow logs show a ward workstation talking to a public AI API: a shadow-AI alert', async () => {
    const alerts = await listAlerts(t.graph, { limit: 500 });
    const shadow = alerts.filter((a) => a.dedupeKey.startsWith('shadow-ai:'));
    expect(shadow.map((a) => a.dedupeKey)).toEqual([`shadow-ai:${ids['ws-ward4']}:openai`]);
    expect(shadow[0]!.message).toBe('ws-ward4.demo.example connects to api.openai.com (OpenAI), an AI service; confirm whether ePHI is sent and whether a BAA covers it');
    // The EHR's flow to the AI scribe vendor without a BAA is an alert too.
    const scribe = alerts.find((a) => a.dedupeKey === 'ephi-ai-no-baa:demo-flow-ehr-scribeai');
    expect(scribe).toMatchObject({ state: 'open', severity: 'high', message: 'ePHI flows from ehr-app01.demo.example to the AI service ScribeAI without a current BAA' });
  });

  it('the gap report lists the right gaps for the demo assets', async () => {
    const r = await gaps();
    const row = (name: string) => r.rows.find((x) => x.id === ids[name]);
    // PACS: encrypted at rest, not in transit, MFA unknown, scanned 30 days ago, reviewed 400 days ago.
    expect(row('pacs01')).toMatchObject({ name: 'pacs01.demo.example', ephiRole: 'stores', subjectType: 'asset' });
    expect(row('pacs01')!.gaps).toEqual(expect.arrayContaining(['ENCRYPTION_IN_TRANSIT_ABSENT', 'MFA_UNKNOWN', 'REVIEW_OVERDUE']));
    expect(row('pacs01')!.gaps).not.toEqual(expect.arrayContaining(['ENCRYPTION_AT_REST_UNKNOWN']));
    expect(row('pacs01')!.gaps).not.toContain('ENCRYPTION_AT_REST_ABSENT');
    expect(row('pacs01')!.gaps).not.toContain('VULN_SCAN_OVERDUE');
    expect(row('pacs01')!.gaps).not.toContain('MFA_ABSENT');
    // EHR database: everything asserted, reviewed 20 days ago, but its last scan is 300 days old.
    expect(row('ehr-db01')!.gaps).toContain('VULN_SCAN_OVERDUE');
    for (const g of ['REVIEW_OVERDUE', 'MFA_UNKNOWN', 'MFA_ABSENT', 'ENCRYPTION_AT_REST_UNKNOWN', 'ENCRYPTION_IN_TRANSIT_UNKNOWN', 'VERSION_MISSING']) expect(row('ehr-db01')!.gaps).not.toContain(g);
    // The self-hosted model server: BAA status unknown, not encrypted at rest, vendor does not train.
    expect(row('ai-infer01')!.gaps).toEqual(expect.arrayContaining(['AI_BAA_MISSING', 'ENCRYPTION_AT_REST_ABSENT', 'VULN_SCAN_OVERDUE', 'REVIEW_OVERDUE']));
    expect(row('ai-infer01')!.gaps).not.toContain('AI_TRAINS_ON_EPHI');
    // The CT scanner: owner, site and a current Siemens BAA are recorded, but nmap saw no OS version,
    // it is asserted unencrypted at rest and sends DICOM without TLS, MFA unknown, never scanned or reviewed.
    expect(row('ct-scanner01')).toMatchObject({ owner: 'Dr. Alice Chen', location: 'Radiology Wing', kind: 'medical-device', ephiRole: 'processes' });
    expect(row('ct-scanner01')!.gaps).toEqual(['VERSION_MISSING', 'ENCRYPTION_AT_REST_ABSENT', 'ENCRYPTION_IN_TRANSIT_ABSENT', 'MFA_UNKNOWN', 'VULN_SCAN_OVERDUE', 'REVIEW_OVERDUE']);
    // An infusion pump with no ePHI role and no ePHI flow is out of scope.
    expect(row('infusion-pump01')).toBeUndefined();
    // Totals add up.
    expect(r.totals.subjects).toBe(r.rows.length);
    expect(Object.values(r.totals.byGap).reduce((a, b) => a + b, 0)).toBe(r.totals.gaps);
    expect(r.rows.reduce((n, x) => n + x.gaps.length, 0)).toBe(r.totals.gaps);
  });

  it('ePHI-exposed: the ward workstations reach the PACS and the EHR application in one hop', async () => {
    const res = await t.app.inject({ method: 'GET', url: '/api/v1/compliance/exposed?k=1', headers: t.auth('analyst') });
    expect(res.statusCode).toBe(200);
    const body = res.json();
    const ws1 = body.items.find((x: { id: string }) => x.id === ids['ws-ward1']);
    expect(ws1).toMatchObject({ hops: 1 });
    expect(ws1.stores.map((s: { name: string }) => s.name).sort()).toEqual(['ehr-app01.demo.example', 'pacs01.demo.example']);
    expect(body.items.filter((x: { name: string }) => x.name.startsWith('ws-ward'))).toHaveLength(6);
    expect(body.bounds).toEqual({ maxHops: 1, maxResults: 200, truncated: false });
    expect((await t.app.inject({ method: 'GET', url: '/api/v1/compliance/exposed?k=9', headers: t.auth('analyst') })).statusCode).toBe(400);
  });

  it('filters, CSV and XLSX exports carry the same rows', async () => {
    const overdue = await gaps('?gap=REVIEW_OVERDUE');
    expect(overdue.rows.map((x) => x.id)).toContain(ids.pacs01);
    expect(overdue.rows.map((x) => x.id)).not.toContain(ids['ehr-db01']);
    expect(overdue.rows.every((x) => x.gaps.includes('REVIEW_OVERDUE'))).toBe(true);

    const json = await gaps();
    const csv = await t.app.inject({ method: 'GET', url: '/api/v1/compliance/gaps?format=csv', headers: t.auth('analyst') });
    expect(csv.statusCode).toBe(200);
    expect(csv.headers['content-type']).toMatch(/^text\/csv/);
    expect(csv.headers['content-disposition']).toMatch(/attachment; filename="ephi-atlas-gaps-\d{4}-\d{2}-\d{2}\.csv"/);
    const rows = parse(csv.body, { columns: true }) as Record<string, string>[];
    expect(rows).toHaveLength(json.rows.length);
    const pacsCsv = rows.find((x) => x.id === ids.pacs01)!;
    expect(pacsCsv.gaps!.split(' ')).toEqual(json.rows.find((x) => x.id === ids.pacs01)!.gaps);

    const xlsx = await t.app.inject({ method: 'GET', url: '/api/v1/compliance/gaps?format=xlsx', headers: t.auth('analyst') });
    expect(xlsx.statusCode).toBe(200);
    const wb = new ExcelJS.Workbook();
    await wb.xlsx.load(xlsx.rawPayload as unknown as ArrayBuffer);
    const ws = wb.getWorksheet('Gaps')!;
    expect(ws.rowCount).toBe(json.rows.length + 1);
    expect(ws.getRow(1).getCell(2).value).toBe('id');

    // The site filter narrows the report and its exports alike (case-insensitive).
    const radiology = await gaps('?site=radiology%20wing');
    expect(radiology.rows.map((x) => x.id)).toContain(ids['ct-scanner01']);
    expect(radiology.rows.length).toBeLessThan(json.rows.length);
    expect(radiology.rows.every((x) => x.location === 'Radiology Wing')).toBe(true);
    const siteCsv = await t.app.inject({ method: 'GET', url: '/api/v1/compliance/gaps?format=csv&site=Radiology%20Wing', headers: t.auth('analyst') });
    expect((parse(siteCsv.body, { columns: true }) as Record<string, string>[]).map((x) => x.id).sort()).toEqual(radiology.rows.map((x) => x.id).sort());
  });

  it('bad input is a 400 naming the field; a viewer is refused', async () => {
    const bad = await t.app.inject({ method: 'GET', url: '/api/v1/compliance/gaps?gap=NO_SUCH_GAP', headers: t.auth('analyst') });
    expect(bad.statusCode).toBe(400);
    expect(bad.body).toContain('gap');
    const fmt = await t.app.inject({ method: 'GET', url: '/api/v1/compliance/gaps?format=pdf', headers: t.auth('analyst') });
    expect(fmt.statusCode).toBe(400);
    expect(fmt.body).toContain('format');
    expect((await t.app.inject({ method: 'GET', url: '/api/v1/compliance/gaps', headers: t.auth('viewer') })).statusCode).toBe(403);
  });

  it('AI tagging validates its fields and lists tagged assets', async () => {
    const unknown = await t.app.inject({ method: 'PUT', url: `/api/v1/ai-systems/${ids.jupyter01}`, headers: t.auth('security'), payload: { provider: 'Jupyter', modelz: 'x' } });
    expect(unknown.statusCode).toBe(400);
    expect(unknown.body).toContain('modelz');
    const badEnum = await t.app.inject({ method: 'PUT', url: `/api/v1/ai-systems/${ids.jupyter01}`, headers: t.auth('security'), payload: { hosting: 'on-the-moon' } });
    expect(badEnum.statusCode).toBe(400);
    expect(badEnum.body).toContain('hosting');
    const missing = await t.app.inject({ method: 'PUT', url: '/api/v1/ai-systems/no-such-asset', headers: t.auth('security'), payload: { provider: 'x' } });
    expect(missing.statusCode).toBe(404);
    // Nothing was stored by the refused requests.
    const list = (await t.app.inject({ method: 'GET', url: '/api/v1/ai-systems', headers: t.auth('viewer') })).json().items;
    expect(list.filter((x: { subjectType: string }) => x.subjectType === 'asset').map((x: { id: string }) => x.id)).toEqual([ids['ai-infer01']]);
    expect(list.find((x: { id: string }) => x.id === ids['ai-infer01'])).toMatchObject({ provider: 'Ollama', model: 'llama3.1', riskTier: 'high', touchesEphi: true });
  });

  it('review attestation: analysts or the accountable person; overdue reviews raise alerts that an attestation resolves', async () => {
    const denied = await t.app.inject({ method: 'POST', url: '/api/v1/reviews', headers: t.auth('viewer'), payload: { assetId: ids.pacs01, note: 'ok' } });
    expect(denied.statusCode).toBe(403);
    const sweep = await new ReviewRepository(t.graph).sweepOverdue();
    expect(sweep.overdue).toBeGreaterThan(0);
    const before = await listAlerts(t.graph, { limit: 500 });
    expect(before.find((a) => a.dedupeKey === `review-overdue:${ids.pacs01}`)).toMatchObject({ state: 'open' });
    expect(before.find((a) => a.dedupeKey === `review-overdue:${ids['ehr-db01']}`)).toBeUndefined();
    const again = await new ReviewRepository(t.graph).sweepOverdue();
    expect(again.opened).toBe(0);

    const res = await t.app.inject({ method: 'POST', url: '/api/v1/reviews', headers: t.auth('analyst'), payload: { assetId: ids.pacs01, note: 'Checked owner, location and encryption' } });
    expect(res.statusCode).toBe(201);
    expect(res.json()).toMatchObject({ assetId: ids.pacs01, by: 'test-analyst', byRole: 'analyst', asAccountablePerson: false });
    const after = await listAlerts(t.graph, { limit: 500 });
    expect(after.find((a) => a.dedupeKey === `review-overdue:${ids.pacs01}`)).toMatchObject({ state: 'resolved' });
    const row = (await gaps()).rows.find((x) => x.id === ids.pacs01)!;
    expect(row.gaps).not.toContain('REVIEW_OVERDUE');
    const bad = await t.app.inject({ method: 'POST', url: '/api/v1/reviews', headers: t.auth('analyst'), payload: { assetId: 'nope' } });
    expect(bad.statusCode).toBe(404);
  });

  it("the asset's accountable person may attest with a viewer role, only for her own assets", async () => {
    // Dr. Alice Chen owns the imaging devices in the demo; her sign-in name is her e-mail address.
    const { token } = await new AuthRepository(t.graph).createToken('alice.chen@demo.example', 'viewer', 1, 'test');
    const headers = { authorization: `Bearer ${token}` };
    const own = await t.app.inject({ method: 'POST', url: '/api/v1/reviews', headers, payload: { assetId: ids['ct-scanner01'], note: 'Checked at the scanner' } });
    expect(own.statusCode).toBe(201);
    expect(own.json()).toMatchObject({ asAccountablePerson: true, byRole: 'viewer', by: 'alice.chen@demo.example' });
    const other = await t.app.inject({ method: 'POST', url: '/api/v1/reviews', headers, payload: { assetId: ids['ehr-db01'] } });
    expect(other.statusCode).toBe(403);
    const list = (await t.app.inject({ method: 'GET', url: `/api/v1/reviews?assetId=${ids['ct-scanner01']}`, headers: t.auth('viewer') })).json().items;
    expect(list.map((r: { note: string }) => r.note)).toEqual(['Checked at the scanner']);
  });

  it('snapshot, one change, snapshot: the diff shows exactly that change; an edited file is refused', async () => {
    const s1 = await t.app.inject({ method: 'POST', url: '/api/v1/snapshots', headers: t.auth('analyst'), payload: { note: 'before MFA' } });
    expect(s1.statusCode).toBe(201);
    const a = s1.json();
    expect(a).toMatchObject({ trigger: 'on-demand', takenBy: 'test-analyst', note: 'before MFA' });
    expect(a.sha256).toMatch(/^[0-9a-f]{64}$/);
    expect(a.assets).toBe((await t.app.inject({ method: 'GET', url: '/api/v1/assets?limit=500', headers: t.auth('viewer') })).json().items.length);

    // The one change: ehr-db01 gets attested again by the security team.
    const rev = await t.app.inject({ method: 'POST', url: '/api/v1/reviews', headers: t.auth('security'), payload: { assetId: ids['ehr-db01'], note: 'quarterly check' } });
    expect(rev.statusCode).toBe(201);

    const b = (await t.app.inject({ method: 'POST', url: '/api/v1/snapshots', headers: t.auth('analyst'), payload: {} })).json();
    const diff = await t.app.inject({ method: 'GET', url: `/api/v1/snapshots/diff?from=${a.id}&to=${b.id}`, headers: t.auth('analyst') });
    expect(diff.statusCode).toBe(200);
    const d = diff.json();
    expect(d.assets.added).toEqual([]);
    expect(d.assets.removed).toEqual([]);
    expect(d.assets.changed).toHaveLength(1);
    expect(d.assets.changed[0].id).toBe(ids['ehr-db01']);
    expect(d.assets.changed[0].changes.map((c: { field: string }) => c.field)).toEqual(['lastReviewedAt', 'lastReviewedBy']);
    expect(d.assets.changed[0].changes[1]).toEqual({ field: 'lastReviewedBy', from: 'demo', to: 'test-security' });
    expect(d.flows).toEqual({ added: [], removed: [], changed: [] });
    expect(d.gaps).toEqual({ opened: [], closed: [] });

    const list = (await t.app.inject({ method: 'GET', url: '/api/v1/snapshots', headers: t.auth('analyst') })).json().items;
    expect(list.map((s: { id: string }) => s.id)).toEqual([b.id, a.id]);
    const full = (await t.app.inject({ method: 'GET', url: `/api/v1/snapshots/${a.id}?content=true`, headers: t.auth('analyst') })).json();
    expect(full.content.inventory).toHaveLength(a.assets);
    expect(full.content.gaps.rows.length).toBeGreaterThan(0);

    // Evidence is immutable: a changed byte is detected, not trusted.
    const file = join(t.config.ATLAS_DATA_DIR, 'snapshots', a.file);
    const blob = readFileSync(file);
    const at = blob.length - 5;
    blob[at] = blob[at]! ^ 0xff;
    chmodSync(file, 0o644);
    writeFileSync(file, blob);
    const tampered = await t.app.inject({ method: 'GET', url: `/api/v1/snapshots/diff?from=${a.id}&to=${b.id}`, headers: t.auth('analyst') });
    expect(tampered.statusCode).toBe(409);
    expect(tampered.json().error.code).toBe('SNAPSHOT_TAMPERED');

    const badId = await t.app.inject({ method: 'GET', url: '/api/v1/snapshots/diff?from=../../etc/passwd&to=x', headers: t.auth('analyst') });
    expect(badId.statusCode).toBe(400);
    expect(badId.body).toContain('from');
    expect((await t.app.inject({ method: 'GET', url: '/api/v1/snapshots/snap-20260101t000000000z-abcdef', headers: t.auth('analyst') })).statusCode).toBe(404);
  });

  it('the CycloneDX export validates against the CycloneDX 1.6 JSON schema', async () => {
    const res = await t.app.inject({ method: 'GET', url: '/api/v1/exports/cyclonedx', headers: t.auth('analyst') });
    expect(res.statusCode).toBe(200);
    expect(res.headers['content-type']).toMatch(/^application\/vnd\.cyclonedx\+json/);
    const bom = JSON.parse(res.body);
    const schemaDir = join(require.resolve('@cyclonedx/cyclonedx-library/package.json'), '..', 'res', 'schema');
    const load = (f: string) => JSON.parse(readFileSync(join(schemaDir, f), 'utf8'));
    const { default: Ajv } = (await import('ajv')) as unknown as { default: new (o: object) => { addSchema(s: object, k?: string): void; compile(s: object): ((d: unknown) => boolean) & { errors?: unknown } } };
    const { default: addFormats } = (await import('ajv-formats')) as unknown as { default: (a: unknown) => void };
    const ajv = new Ajv({ strict: false, allErrors: true });
    addFormats(ajv);
    // The BOM schema refers to its siblings relative to its own $id.
    for (const f of ['spdx.SNAPSHOT.schema.json', 'jsf-0.82.SNAPSHOT.schema.json']) ajv.addSchema({ ...load(f), $id: `http://cyclonedx.org/schema/${f}` });
    const validate = ajv.compile(load('bom-1.6.SNAPSHOT.schema.json'));
    const ok = validate(bom);
    expect(validate.errors ?? null).toBeNull();
    expect(ok).toBe(true);

    expect(bom.specVersion).toBe('1.6');
    const model = bom.components.find((c: { 'bom-ref': string }) => c['bom-ref'] === `model-asset:${ids['ai-infer01']}`);
    expect(model).toMatchObject({ type: 'machine-learning-model', name: 'llama3.1', version: '8b-instruct-q4', supplier: { name: 'Ollama' } });
    const svc = bom.services.find((s: { 'bom-ref': string }) => s['bom-ref'] === `service-asset:${ids['ai-infer01']}`);
    expect(svc).toBeDefined();
    // Every data entry carries a flow direction and the ePHI classification.
    for (const s of bom.services) for (const d of s.data ?? []) expect(d).toMatchObject({ flow: expect.stringMatching(/^(inbound|outbound)$/), classification: 'ePHI' });
  });
});
