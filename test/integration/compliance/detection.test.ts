import { createServer, type Server } from 'node:http';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { FlowRepository, mergeConnections } from '../../../services/core/src/graph/flow-repository.js';
import { VendorRepository } from '../../../services/core/src/graph/vendor-repository.js';
import { listAlerts } from '../../../services/core/src/graph/alert-repository.js';
import { startClassificationWorker } from '../../../services/discovery/src/workers/classification-worker.js';
import { startImportWorker } from '../../../services/discovery/src/workers/import-worker.js';
import { buildTestApp, type TestApp } from '../../helpers/app.js';
import { assetIdByIp, healthcareLabXml, namedHostXml, waitForJob } from './helpers.js';

/**
 * The detection path as a user meets it: an nmap import finishes, the classification job runs by
 * itself, and the suggestions, their evidence, confirmation and alerts show up in the API.
 * The "inference endpoint" is a real HTTP server on a loopback address (inside the scope).
 */
const IPS = { pacs: '127.77.9.10', modality: '127.77.9.11', inference: '127.77.9.12' };

describe('classification: suggestions from an import, confirmation, shadow AI', () => {
  let t: TestApp;
  let workers: { close(): Promise<unknown> }[];
  let ollama: Server;
  const probes: string[] = [];
  const ids: Record<string, string> = {};

  beforeAll(async () => {
    t = await buildTestApp();
    ollama = createServer((req, res) => {
      probes.push(`${req.method} ${req.url}`);
      if (req.url === '/api/tags') {
        res.writeHead(200, { 'content-type': 'application/json' });
        res.end(JSON.stringify({ models: [{ name: 'llama3.1:8b', size: 4920753328 }] }));
      } else {
        res.writeHead(404).end();
      }
    });
    await new Promise<void>((r) => ollama.listen(11434, IPS.inference, r));
    workers = [startImportWorker(t.queues, t.graph, 1), startClassificationWorker(t.queues, t.graph, t.config)];
    await t.queues.queueEvents('import').waitUntilReady();
  });
  afterAll(async () => {
    for (const w of workers) await w.close();
    await new Promise((r) => ollama.close(r));
    await t.close();
  });

  it('an nmap import with dicom-ping output is classified by itself after the import', async () => {
    const res = await t.app.inject({
      method: 'POST',
      url: '/api/v1/imports/nmap',
      headers: { ...t.auth('security'), 'content-type': 'application/xml' },
      payload: healthcareLabXml(IPS),
    });
    expect(res.statusCode).toBe(202);
    const importJob = res.json().jobId as string;
    expect((await waitForJob(t, importJob)).state).toBe('completed');
    const cls = await waitForJob(t, `cls-after-${importJob}`);
    expect(cls.state).toBe('completed');
    expect(cls.result).toMatchObject({ assets: 3, probes: 1, suggestions: { created: 4, total: 4 } });
    for (const [k, ip] of Object.entries(IPS)) ids[k] = await assetIdByIp(t, ip);

    const pacs = (await t.app.inject({ method: 'GET', url: `/api/v1/suggestions?assetId=${ids.pacs}`, headers: t.auth('viewer') })).json();
    expect(pacs.items.map((s: { ruleId: string }) => s.ruleId).sort()).toEqual(['ephi.dicom', 'ephi.pacs-product']);
    const dicom = pacs.items.find((s: { ruleId: string }) => s.ruleId === 'ephi.dicom');
    expect(dicom).toMatchObject({ type: 'ephi-role', state: 'open', confidence: 0.95, value: { ephiRole: 'processes' }, ruleVersion: 'ephi-detection@1.1.0' });
    expect(dicom.evidence[0]).toBe('nmap dicom-ping on 4242/tcp: dicom: DICOM Service Provider discovered! config: Called AET check enabled');

    const modality = (await t.app.inject({ method: 'GET', url: `/api/v1/suggestions?assetId=${ids.modality}`, headers: t.auth('viewer') })).json();
    expect(modality.items).toHaveLength(1);
    expect(modality.items[0]).toMatchObject({ ruleId: 'ephi.dicom', confidence: 0.95 });
    expect(modality.items[0].evidence).toContain('nmap dicom-ping on 104/tcp: dicom: DICOM Service Provider discovered! config: Called AET check enabled');

    // The unidentified 11434 service got exactly one bounded GET, and its answer is the evidence.
    expect(probes).toEqual(['GET /api/tags']);
    const ai = (await t.app.inject({ method: 'GET', url: `/api/v1/suggestions?assetId=${ids.inference}&type=ai-system`, headers: t.auth('viewer') })).json();
    expect(ai.items).toHaveLength(1);
    expect(ai.items[0]).toMatchObject({ ruleId: 'ai.ollama', confidence: 0.95, value: { provider: 'Ollama', hosting: 'self-hosted' } });
    expect(ai.items[0].evidence[0]).toMatch(/^GET http:\/\/127\.77\.9\.12:11434\/api\/tags answered with an Ollama model list: \{"models":\[\{"name":"llama3\.1:8b"/);
  });

  it('re-evaluating the same evidence creates no duplicates and changes nothing', async () => {
    const before = (await t.app.inject({ method: 'GET', url: '/api/v1/suggestions?limit=500', headers: t.auth('viewer') })).json();
    const res = await t.app.inject({ method: 'POST', url: '/api/v1/suggestions/evaluate', headers: t.auth('security'), payload: {} });
    expect(res.statusCode).toBe(202);
    const job = await waitForJob(t, res.json().jobId);
    expect(job.result).toMatchObject({ suggestions: { created: 0, updated: 0, removed: 0 } });
    const after = (await t.app.inject({ method: 'GET', url: '/api/v1/suggestions?limit=500', headers: t.auth('viewer') })).json();
    expect(after.total).toBe(before.total);
    expect(after.items).toEqual(before.items);
  });

  it('confirming moves the value into the asserted fields and the audit log', async () => {
    const list = (await t.app.inject({ method: 'GET', url: `/api/v1/suggestions?assetId=${ids.pacs}`, headers: t.auth('viewer') })).json();
    const pacsProduct = list.items.find((s: { ruleId: string }) => s.ruleId === 'ephi.pacs-product');
    // Confirming an ePHI role needs the security role; an analyst cannot.
    expect((await t.app.inject({ method: 'POST', url: `/api/v1/suggestions/${pacsProduct.id}/confirm`, headers: t.auth('analyst') })).statusCode).toBe(403);
    const res = await t.app.inject({ method: 'POST', url: `/api/v1/suggestions/${pacsProduct.id}/confirm`, headers: t.auth('security') });
    expect(res.statusCode).toBe(200);
    expect(res.json().suggestion.state).toBe('confirmed');
    expect(res.json().after).toMatchObject({ a_ephiRole: 'stores', ephiRole: 'stores' });
    expect(res.json().before.a_ephiRole ?? null).toBeNull();

    const asset = (await t.app.inject({ method: 'GET', url: `/api/v1/assets/${ids.pacs}`, headers: t.auth('viewer') })).json();
    expect(asset.ephiRole).toBe('stores');
    const ephiList = (await t.app.inject({ method: 'GET', url: '/api/v1/assets?ephi=stores', headers: t.auth('viewer') })).json();
    expect(ephiList.items.map((a: { id: string }) => a.id)).toEqual([ids.pacs]);

    const again = await t.app.inject({ method: 'POST', url: `/api/v1/suggestions/${pacsProduct.id}/confirm`, headers: t.auth('security') });
    expect(again.statusCode).toBe(409);
    expect(again.json().error.code).toBe('SUGGESTION_NOT_OPEN');

    const audit = (await t.app.inject({ method: 'GET', url: '/api/v1/audit?action=suggestion.confirm', headers: t.auth('admin') })).json();
    expect(audit.items).toHaveLength(1);
    expect(audit.items[0].target).toBe(`asset:${ids.pacs}`);
    expect(JSON.parse(audit.items[0].after)).toMatchObject({ a_ephiRole: 'stores' });

    // Confirming an AI suggestion tags the asset as an AI system.
    const ai = (await t.app.inject({ method: 'GET', url: `/api/v1/suggestions?assetId=${ids.inference}`, headers: t.auth('viewer') })).json().items[0];
    expect((await t.app.inject({ method: 'POST', url: `/api/v1/suggestions/${ai.id}/confirm`, headers: t.auth('security') })).statusCode).toBe(200);
    const systems = (await t.app.inject({ method: 'GET', url: '/api/v1/ai-systems', headers: t.auth('viewer') })).json().items;
    expect(systems).toEqual([expect.objectContaining({ id: ids.inference, subjectType: 'asset', provider: 'Ollama', hosting: 'self-hosted' })]);
  });

  it('a dismissed suggestion stays dismissed when the evidence is seen again', async () => {
    const s = (await t.app.inject({ method: 'GET', url: `/api/v1/suggestions?assetId=${ids.modality}`, headers: t.auth('viewer') })).json().items[0];
    const res = await t.app.inject({ method: 'POST', url: `/api/v1/suggestions/${s.id}/dismiss`, headers: t.auth('security'), payload: { reason: 'test modality, no patient data' } });
    expect(res.statusCode).toBe(200);
    const job = await t.app.inject({ method: 'POST', url: '/api/v1/suggestions/evaluate', headers: t.auth('security'), payload: { assetIds: [ids.modality] } });
    await waitForJob(t, job.json().jobId);
    const after = (await t.app.inject({ method: 'GET', url: `/api/v1/suggestions/${s.id}`, headers: t.auth('viewer') })).json();
    expect(after).toMatchObject({ state: 'dismissed', reason: 'test modality, no patient data' });
  });

  it('bad input: unknown ids are 404, bad fields are 400 naming them', async () => {
    const nf = await t.app.inject({ method: 'POST', url: '/api/v1/suggestions/sug-nope/confirm', headers: t.auth('security') });
    expect(nf.statusCode).toBe(404);
    const bad = await t.app.inject({ method: 'GET', url: '/api/v1/suggestions?state=maybe', headers: t.auth('viewer') });
    expect(bad.statusCode).toBe(400);
    expect(bad.body).toContain('state');
    const extra = await t.app.inject({ method: 'POST', url: '/api/v1/suggestions/evaluate', headers: t.auth('security'), payload: { everything: true } });
    expect(extra.statusCode).toBe(400);
    expect(extra.body).toContain('everything');
  });

  it('a connection to an AI domain raises a shadow-AI alert; an ePHI flow to an AI vendor without a BAA another', async () => {
    // A workstation (data only; nothing is contacted) talks to an endpoint named api.openai.com.
    const ws = await assetIdByIp(t, IPS.modality);
    const vendors = new VendorRepository(t.graph);
    const openai = await vendors.create({ name: 'OpenAI (test)', isAiService: true, domains: ['openai.com'] });
    await mergeConnections(t.graph, [{ sourceId: ws, targetId: openai.id, protocol: 'tcp', port: 443, bytes: 5120, source: 'zeek', at: new Date().toISOString() }]);
    const flow = await new FlowRepository(t.graph).create({ source: { type: 'asset', id: ids.pacs! }, target: { type: 'vendor', id: openai.id }, dataCategories: ['imaging'], protocol: 'tcp', port: 443, encryptedInTransit: true }, 'test');

    const job = await t.app.inject({ method: 'POST', url: '/api/v1/suggestions/evaluate', headers: t.auth('security'), payload: {} });
    const done = await waitForJob(t, job.json().jobId);
    expect(done.result).toMatchObject({ alerts: { shadowAi: 1, ephiToAi: 1, opened: 2 } });
    const alerts = await listAlerts(t.graph, { limit: 50 });
    const shadow = alerts.find((a) => a.dedupeKey === `shadow-ai:${ws}:openai`);
    expect(shadow).toMatchObject({ state: 'open', assetId: ws, severity: 'medium' });
    expect(shadow!.message).toBe('modality-lab connects to openai.com (OpenAI), an AI service; confirm whether ePHI is sent and whether a BAA covers it');
    const baa = alerts.find((a) => a.dedupeKey === `ephi-ai-no-baa:${flow.id}`);
    expect(baa).toMatchObject({ state: 'open', assetId: ids.pacs, severity: 'high' });

    // The same evidence again: the same two alerts, no new ones.
    const again = await t.app.inject({ method: 'POST', url: '/api/v1/suggestions/evaluate', headers: t.auth('security'), payload: {} });
    expect((await waitForJob(t, again.json().jobId)).result).toMatchObject({ alerts: { opened: 0 } });
    expect((await listAlerts(t.graph, { limit: 50 })).filter((a) => a.state === 'open')).toHaveLength(2);
  });

  it('a Zeek flow log with a connection to a host named api.openai.com yields a shadow-AI alert by itself', async () => {
    // The endpoint's name comes from an earlier scan (PTR); the flow log only has addresses. Data only: nothing is contacted.
    const named = await t.app.inject({ method: 'POST', url: '/api/v1/imports/nmap', headers: { ...t.auth('security'), 'content-type': 'application/xml' }, payload: namedHostXml('127.77.9.20', 'api.openai.com') });
    expect((await waitForJob(t, named.json().jobId)).state).toBe('completed');
    const conn = JSON.stringify({ ts: 1764864100.5, uid: 'CshadowAI1', 'id.orig_h': IPS.inference, 'id.orig_p': 51234, 'id.resp_h': '127.77.9.20', 'id.resp_p': 443, proto: 'tcp', service: 'ssl', orig_bytes: 20480, resp_bytes: 96000, orig_pkts: 40, resp_pkts: 80 });
    const res = await t.app.inject({ method: 'POST', url: '/api/v1/imports/zeek', headers: { ...t.auth('security'), 'content-type': 'text/plain' }, payload: `${conn}\n` });
    expect(res.statusCode).toBe(202);
    const flowJob = res.json().jobId as string;
    expect((await waitForJob(t, flowJob)).state).toBe('completed');
    const cls = await waitForJob(t, `cls-after-${flowJob}`);
    expect(cls.state).toBe('completed');
    const alerts = await listAlerts(t.graph, { limit: 50 });
    const shadow = alerts.find((a) => a.dedupeKey === `shadow-ai:${ids.inference}:openai`);
    expect(shadow).toMatchObject({ state: 'open', assetId: ids.inference });
    // The source is named as the asset is named now (a flow import currently renames hosts to their address).
    expect(shadow!.message).toMatch(/^(inference-lab|127\.77\.9\.12) connects to api\.openai\.com \(OpenAI\), an AI service; confirm whether ePHI is sent and whether a BAA covers it$/);
    expect(shadow!.evidence).toMatchObject({ kind: 'shadow-ai', provider: 'OpenAI', endpoint: 'api.openai.com', port: 443 });
  });
});
