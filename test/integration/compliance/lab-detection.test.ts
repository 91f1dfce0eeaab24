import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { evaluateAfterScan } from '../../../services/discovery/src/workers/classification-worker.js';
import { startWorkers, type RunningWorkers } from '../../../services/discovery/src/workers/index.js';
import { buildTestApp, type TestApp } from '../../helpers/app.js';
import { buildLab, type Lab } from '../../lab/lab.js';

/**
 * AI and ePHI detection on a real scan of the lab (network namespaces this test builds on
 * 10.77.221.0/24, which exists only on the lab bridge): Orthanc, a dcmtk storescp "modality", an
 * Ollama-like inference endpoint, redis, a web server and an HL7 listener. Everything goes through
 * the product as a user drives it: a scan definition with the healthcare profile (-sV, dicom-ping),
 * the classification job the finished scan starts by itself, the suggestions, alerts and audit APIs.
 * The authorised scope is exactly the lab /24, so the enrichment probe may reach the lab only.
 */
const OCTET = 221;
const AI_ENDPOINT = { ip: '203.0.113.10', name: 'api.openai.com' }; // documentation range: data only, never contacted

let lab: Lab;
let t: TestApp;
let workers: RunningWorkers;
const ids: Record<string, string> = {};
let scanId = '';
let firstEvaluation = '';

type Suggestion = { id: string; type: string; state: string; assetId: string; ruleId: string; ruleVersion: string; value: Record<string, string>; confidence: number; evidence: string[]; reason: string | null };
type JobState = { state: string; result?: unknown };

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const ip = (h: string) => lab.hosts[h]!.ip;

async function waitJob(id: string, timeoutMs = 180_000): Promise<JobState> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const res = await t.app.inject({ method: 'GET', url: `/api/v1/jobs/${id}`, headers: t.auth('viewer') });
    if (res.statusCode === 200 && ['completed', 'failed', 'cancelled'].includes(res.json().state)) return res.json();
    if (Date.now() > deadline) throw new Error(`job ${id} did not finish`);
    await sleep(300);
  }
}

/**
 * The classification evaluations a finished scan started by itself (added after `since`); waits
 * until at least one exists and all of them have finished, and returns their results.
 */
async function scanEvaluations(since: number, timeoutMs = 90_000): Promise<{ id: string; result: { assets: number; probes: number; suggestions: { created: number; total: number } } }[]> {
  const q = t.queues.queue('classification');
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const jobs = (await q.getJobs(['completed', 'failed', 'active', 'waiting', 'delayed', 'prioritized'])).filter((j) => /^cls-after-(scan|scn)-/.test(j.id ?? '') && j.timestamp >= since);
    const states = await Promise.all(jobs.map((j) => q.getJobState(j.id!)));
    if (jobs.length > 0 && states.every((s) => s === 'completed' || s === 'failed')) {
      expect(states).not.toContain('failed');
      const done = await Promise.all(jobs.map((j) => q.getJob(j.id!)));
      return done.map((j) => ({ id: j!.id!, result: j!.returnvalue }));
    }
    if (Date.now() > deadline) throw new Error(`no finished classification job after the scan (seen: ${jobs.map((j, i) => `${j.id}=${states[i]}`).join(', ')})`);
    await sleep(500);
  }
}

async function runScan(): Promise<{ seconds: number; since: number }> {
  const since = Date.now();
  const run = await t.app.inject({ method: 'POST', url: `/api/v1/scans/${scanId}/run`, headers: t.auth('security') });
  expect(run.statusCode).toBe(202);
  const job = await waitJob(run.json().jobId);
  expect(job.state).toBe('completed');
  expect(job.result).toMatchObject({ complete: true, hostsUp: 7 });
  return { seconds: (Date.now() - since) / 1000, since };
}

/** An nmap run (now) that only names a host by reverse DNS, with no ports: how a public endpoint gets its name. */
function namedHostXml(addr: string, name: string): string {
  const now = Math.floor(Date.now() / 1000);
  return `<?xml version="1.0" encoding="UTF-8"?>
<!DOCTYPE nmaprun>
<nmaprun scanner="nmap" args="nmap -sn ${addr}" start="${now}" version="7.93" xmloutputversion="1.05">
<host><status state="up" reason="user-set" reason_ttl="0"/><address addr="${addr}" addrtype="ipv4"/><hostnames><hostname name="${name}" type="PTR"/></hostnames></host>
<runstats><finished time="${now + 1}" elapsed="1.00" summary="Nmap done; 1 IP address (1 host up)" exit="success"/><hosts up="1" down="0" total="1"/></runstats>
</nmaprun>
`;
}

async function assetIdByIp(addr: string): Promise<string> {
  const items = (await t.app.inject({ method: 'GET', url: `/api/v1/assets?q=${addr}&limit=50`, headers: t.auth('viewer') })).json().items as { id: string; ips: string[] }[];
  const a = items.find((x) => x.ips.includes(addr));
  if (!a) throw new Error(`no asset for ${addr}`);
  return a.id;
}

async function suggestions(query: string): Promise<Suggestion[]> {
  const res = await t.app.inject({ method: 'GET', url: `/api/v1/suggestions?limit=500&${query}`, headers: t.auth('viewer') });
  expect(res.statusCode).toBe(200);
  return res.json().items;
}

beforeAll(async () => {
  lab = await buildLab(OCTET);
  t = await buildTestApp({ ATLAS_SCAN_SCOPE: lab.subnet, ATLAS_MAX_SCAN_PREFIX_V4: '24' });
  // The hourly re-evaluation would probe the lab endpoint once more if the run crossed its minute;
  // this test counts the probes its own scans cause, so the schedule the app upserts is removed.
  const q = t.queues.queue('classification');
  for (let i = 0; i < 50 && !(await q.getJobScheduler('classification-evaluate')); i++) await sleep(200);
  await q.removeJobScheduler('classification-evaluate');
  workers = startWorkers(t.queues, t.graph, t.config);
  await t.queues.queueEvents('scan').waitUntilReady();
  await t.queues.queueEvents('import').waitUntilReady();
}, 180_000);

afterAll(async () => {
  await workers?.close();
  await t?.close();
  await lab?.teardown();
});

describe('detection on a real healthcare scan of the lab', () => {
  it('a healthcare scan of the lab /24 is classified by itself: ePHI for the PACS and the modality, AI for the inference endpoint', async () => {
    const scope = (await t.app.inject({ method: 'GET', url: '/api/v1/scans/scope', headers: t.auth('admin') })).json();
    expect(scope.cidrs).toEqual([lab.subnet]);
    if (!scanId) {
      const c = await t.app.inject({ method: 'POST', url: '/api/v1/scans', headers: t.auth('security'), payload: { name: 'lab healthcare', targets: [lab.subnet], profile: 'healthcare' } });
      expect(c.statusCode).toBe(201);
      scanId = c.json().id;
    }

    const requestsBefore = lab.aiRequests().length;
    const scan = await runScan();
    const evaluations = await scanEvaluations(scan.since);
    firstEvaluation = evaluations[0]!.id;
    for (const h of ['pacs', 'modality', 'cache', 'web', 'hl7', 'ai']) ids[h] = await assetIdByIp(ip(h));

    const all = await suggestions('state=open');
    const byAsset = (h: string) => all.filter((s) => s.assetId === ids[h]).map((s) => s.ruleId).sort();
    console.log(
      `[figures] lab /24 healthcare scan ${scan.seconds.toFixed(1)} s; ${evaluations.length} evaluation(s) after it: ${JSON.stringify(evaluations.map((e) => e.result))}; open suggestions ${all.length}: ${JSON.stringify(Object.fromEntries(Object.keys(ids).map((h) => [h, byAsset(h)])))}`,
    );

    // The PACS (Orthanc): DICOM with the dicom-ping result on the DICOM port it actually answered on.
    expect(byAsset('pacs')).toEqual(expect.arrayContaining(['ephi.dicom', 'ephi.pacs-product']));
    const pacsDicom = all.find((s) => s.assetId === ids.pacs && s.ruleId === 'ephi.dicom')!;
    expect(pacsDicom).toMatchObject({ type: 'ephi-role', state: 'open', confidence: 0.95, value: { ephiRole: 'processes' } });
    expect(pacsDicom.evidence[0]).toMatch(/^nmap dicom-ping on 4242\/tcp: .*DICOM Service Provider discovered/);
    const pacsProduct = all.find((s) => s.assetId === ids.pacs && s.ruleId === 'ephi.pacs-product')!;
    // Orthanc's web port gives nmap no product name; the one bounded GET of its REST API names it.
    expect(pacsProduct).toMatchObject({ confidence: 0.9, value: { ephiRole: 'stores' }, ruleVersion: 'ephi-detection@1.1.0' });
    expect(pacsProduct.evidence[0]).toMatch(new RegExp(`^GET http://${ip('pacs').replace(/\./g, '\\.')}:8042/system answered with an Orthanc system description: .*"DicomAet"`));
    expect(pacsProduct.evidence.slice(1)).toEqual(['8042/tcp redirects to app/explorer.html, the Orthanc Explorer']);

    // The modality (storescp on 104).
    expect(byAsset('modality')).toEqual(['ephi.dicom']);
    const modality = all.find((s) => s.assetId === ids.modality)!;
    expect(modality).toMatchObject({ type: 'ephi-role', confidence: 0.95, value: { ephiRole: 'processes' } });
    expect(modality.evidence[0]).toMatch(/^nmap dicom-ping on 104\/tcp: .*DICOM Service Provider discovered/);

    // The HL7 listener transmits; redis and the plain web server get nothing.
    expect(byAsset('hl7')).toEqual(['ephi.hl7-mllp']);
    expect(byAsset('cache')).toEqual([]);
    expect(byAsset('web')).toEqual([]);

    // The inference endpoint: an AI suggestion whose evidence is the model list the endpoint reported.
    expect(byAsset('ai')).toEqual(['ai.ollama']);
    const ai = all.find((s) => s.assetId === ids.ai)!;
    expect(ai).toMatchObject({ type: 'ai-system', confidence: 0.95, value: { provider: 'Ollama', hosting: 'self-hosted' } });
    expect(ai.evidence[0]).toBe(`GET http://${ip('ai')}:11434/api/tags answered with an Ollama model list: {"models": [{"name": "llama3:8b", "model": "llama3:8b", "size": 4661224676}]}`);

    // Each evaluation made one bounded GET to the endpoint, and it came from this machine's side of
    // the lab bridge to the lab address in scope.
    const probes = lab.aiRequests().slice(requestsBefore).filter((r) => r.path === '/api/tags');
    expect(probes).toEqual(evaluations.map(() => ({ from: lab.gateway, method: 'GET', path: '/api/tags' })));
  });

  it('a Zeek conn log with a lab host talking to an AI service domain raises a shadow-AI alert by itself', async () => {
    // The endpoint's name comes from an nmap run with reverse DNS; the conn log only has addresses.
    const named = await t.app.inject({ method: 'POST', url: '/api/v1/imports/nmap', headers: { ...t.auth('security'), 'content-type': 'application/xml' }, payload: namedHostXml(AI_ENDPOINT.ip, AI_ENDPOINT.name) });
    expect(named.statusCode).toBe(202);
    expect((await waitJob(named.json().jobId)).state).toBe('completed');

    const ts = Math.floor(Date.now() / 1000) - 60;
    const conn = (uid: string, port: number) =>
      JSON.stringify({ ts, uid, 'id.orig_h': ip('web'), 'id.orig_p': 51234, 'id.resp_h': AI_ENDPOINT.ip, 'id.resp_p': port, proto: 'tcp', service: 'ssl', duration: 2.5, orig_bytes: 20480, resp_bytes: 96000, orig_pkts: 40, resp_pkts: 80 });
    // A lab-internal connection in the same log raises nothing.
    const internal = JSON.stringify({ ts, uid: 'Cinternal1', 'id.orig_h': ip('modality'), 'id.orig_p': 40000, 'id.resp_h': ip('pacs'), 'id.resp_p': 4242, proto: 'tcp', service: 'dicom', orig_bytes: 1000, resp_bytes: 2000, orig_pkts: 5, resp_pkts: 6 });
    const res = await t.app.inject({ method: 'POST', url: '/api/v1/imports/zeek', headers: { ...t.auth('security'), 'content-type': 'text/plain' }, payload: `${conn('Cshadow1', 443)}\n${internal}\n` });
    expect(res.statusCode).toBe(202);
    const flowJob = res.json().jobId as string;
    expect((await waitJob(flowJob)).state).toBe('completed');
    const cls = await waitJob(`cls-after-${flowJob}`);
    expect(cls.state).toBe('completed');
    expect(cls.result).toMatchObject({ alerts: { shadowAi: 1, opened: 1 } });

    const alerts = (await t.app.inject({ method: 'GET', url: '/api/v1/alerts?type=shadow-ai', headers: t.auth('viewer') })).json().items as { assetId: string; state: string; severity: string; message: string }[];
    expect(alerts).toHaveLength(1);
    expect(alerts[0]).toMatchObject({ assetId: ids.web, state: 'open', severity: 'medium' });
    expect(alerts[0]!.message).toMatch(/ connects to api\.openai\.com \(OpenAI\), an AI service; confirm whether ePHI is sent and whether a BAA covers it$/);

    // The same log again: the same alert, not a second one.
    const again = await t.app.inject({ method: 'POST', url: '/api/v1/imports/zeek', headers: { ...t.auth('security'), 'content-type': 'text/plain' }, payload: `${conn('Cshadow2', 443)}\n` });
    expect((await waitJob(again.json().jobId)).state).toBe('completed');
    expect((await waitJob(`cls-after-${again.json().jobId}`)).result).toMatchObject({ alerts: { opened: 0 } });
    expect((await t.app.inject({ method: 'GET', url: '/api/v1/alerts?type=shadow-ai', headers: t.auth('viewer') })).json().items).toHaveLength(1);
  });

  it('confirming the PACS suggestion sets its asserted ePHI role and is audited', async () => {
    const s = (await suggestions(`assetId=${ids.pacs}`)).find((x) => x.ruleId === 'ephi.pacs-product')!;
    const res = await t.app.inject({ method: 'POST', url: `/api/v1/suggestions/${s.id}/confirm`, headers: t.auth('security') });
    expect(res.statusCode).toBe(200);
    expect(res.json().suggestion.state).toBe('confirmed');

    const asset = (await t.app.inject({ method: 'GET', url: `/api/v1/assets/${ids.pacs}`, headers: t.auth('viewer') })).json();
    expect(asset.ephiRole).toBe('stores');
    const audit = (await t.app.inject({ method: 'GET', url: '/api/v1/audit?action=suggestion.confirm', headers: t.auth('admin') })).json().items;
    expect(audit).toHaveLength(1);
    expect(audit[0].target).toBe(`asset:${ids.pacs}`);
    expect(JSON.parse(audit[0].after)).toMatchObject({ a_ephiRole: 'stores' });
  });

  it('a dismissed suggestion stays dismissed after a rescan, and the confirmed one stays confirmed', async () => {
    const modality = (await suggestions(`assetId=${ids.modality}`))[0]!;
    const d = await t.app.inject({ method: 'POST', url: `/api/v1/suggestions/${modality.id}/dismiss`, headers: t.auth('security'), payload: { reason: 'test modality, phantom images only' } });
    expect(d.statusCode).toBe(200);

    const scan = await runScan();
    const evaluations = await scanEvaluations(scan.since);
    console.log(`[figures] lab rescan ${scan.seconds.toFixed(1)} s; evaluations after it: ${JSON.stringify(evaluations.map((e) => e.result))}`);
    // The rescan saw the same evidence again: the evaluation ran over the lab and found it.
    expect(evaluations.some((e) => e.result.assets >= 7 && e.result.suggestions.total >= 5)).toBe(true);

    expect(await suggestions(`assetId=${ids.modality}`)).toEqual([expect.objectContaining({ id: modality.id, state: 'dismissed', reason: 'test modality, phantom images only' })]);
    const pacs = await suggestions(`assetId=${ids.pacs}`);
    expect(pacs.find((x) => x.ruleId === 'ephi.pacs-product')?.state).toBe('confirmed');
    expect(pacs.find((x) => x.ruleId === 'ephi.dicom')?.state).toBe('open');
    expect((await t.app.inject({ method: 'GET', url: `/api/v1/assets/${ids.pacs}`, headers: t.auth('viewer') })).json().ephiRole).toBe('stores');
  });

  it('a chunk that finishes after its minute\'s evaluation has run gets an evaluation of its own', async () => {
    // The first scan's evaluation is finished; another chunk finishing in that same minute must not be dropped.
    const m = /^cls-after-scan-(\d{4})(\d{2})(\d{2})T(\d{2})(\d{2})$/.exec(firstEvaluation)!;
    const sameMinute = new Date(`${m[1]}-${m[2]}-${m[3]}T${m[4]}:${m[5]}:30Z`);
    expect(await t.queues.queue('classification').getJobState(firstEvaluation)).toBe('completed');
    const own = await evaluateAfterScan(t.queues, 'scn-late-chunk', sameMinute);
    expect(own).toBe('cls-after-scn-late-chunk');
    // While a minute's evaluation is still pending, chunks of that minute share it.
    const later = new Date(Date.now() + 3_600_000);
    const a = await evaluateAfterScan(t.queues, 'scn-chunk-a', later);
    const b = await evaluateAfterScan(t.queues, 'scn-chunk-b', later);
    expect(a).toMatch(/^cls-after-scan-\d{8}T\d{4}$/);
    expect(b).toBe(a);
    for (const id of [own, a]) expect((await waitJob(id, 60_000)).state).toBe('completed');
  });
});
