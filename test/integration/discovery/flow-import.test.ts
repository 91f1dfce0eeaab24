import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { connectionsOf } from '../../../services/core/src/graph/connection-ingest-repository.js';
import { startWorkers, type RunningWorkers } from '../../../services/discovery/src/workers/index.js';
import { buildTestApp, type TestApp } from '../../helpers/app.js';

let t: TestApp;
let workers: RunningWorkers;

const TSV = [
  '#separator \\x09',
  '#fields\tts\tuid\tid.orig_h\tid.orig_p\tid.resp_h\tid.resp_p\tproto\tservice\tduration\torig_bytes\tresp_bytes\tconn_state\torig_pkts\tresp_pkts',
  '1733300000.000000\tC1\t10.99.0.20\t50000\t10.99.0.10\t4242\ttcp\tdicom\t2.0\t1000\t20000\tSF\t10\t20',
  '1733300100.000000\tC2\t10.99.0.20\t50001\t10.99.0.10\t4242\ttcp\t-\t1.0\t500\t500\tSF\t5\t5',
  '1733300200.000000\tC3\t10.99.0.21\t50002\t10.99.0.10\t8042\ttcp\thttp\t0.5\t100\t900\tSF\t3\t4',
].join('\n');

async function importLog(body: string) {
  const r = await t.app.inject({ method: 'POST', url: '/api/v1/imports/zeek', headers: { ...t.auth('security'), 'content-type': 'text/plain' }, payload: body });
  return r;
}
async function waitJob(id: string) {
  for (let i = 0; i < 300; i++) {
    const j = await t.queues.getJob(id);
    if (['completed', 'failed', 'cancelled'].includes(j.state)) return j;
    await new Promise((r) => setTimeout(r, 200));
  }
  throw new Error('job did not finish');
}

beforeAll(async () => {
  t = await buildTestApp();
  workers = startWorkers(t.queues, t.graph, t.config);
});
afterAll(async () => {
  await workers?.close();
  await t?.close();
});

describe('flow log import', () => {
  it('turns a Zeek conn.log into CONNECTS_TO edges with bytes, packets and first/last seen; unknown endpoints become assets', async () => {
    const r = await importLog(TSV);
    expect(r.statusCode).toBe(202);
    const job = await waitJob(r.json().jobId);
    expect(job.state).toBe('completed');
    expect(job.result).toMatchObject({ format: 'zeek-tsv', flows: 3, connections: 2, endpoints: 3, assetsCreated: 3 });
    const conns = await connectionsOf(t.graph, '10.99.0.10');
    expect(conns).toEqual([
      { src: '10.99.0.20', dst: '10.99.0.10', protocol: 'tcp', port: 4242, bytes: 22000, packets: 40, flows: 2, firstSeen: '2024-12-04T08:13:20.000Z', lastSeen: '2024-12-04T08:15:01.000Z' },
      { src: '10.99.0.21', dst: '10.99.0.10', protocol: 'tcp', port: 8042, bytes: 1000, packets: 7, flows: 1, firstSeen: '2024-12-04T08:16:40.000Z', lastSeen: '2024-12-04T08:16:40.500Z' },
    ]);
    const assets = (await t.app.inject({ method: 'GET', url: '/api/v1/assets?q=10.99.0', headers: t.auth('viewer') })).json().items;
    expect(assets).toHaveLength(3);
  });

  it('a second import of JSON lines adds to the same edges; the same job run twice does not', async () => {
    const line = JSON.stringify({ ts: 1733300300, 'id.orig_h': '10.99.0.20', 'id.resp_h': '10.99.0.10', 'id.resp_p': 4242, proto: 'tcp', duration: 1, orig_bytes: 1, resp_bytes: 2, orig_pkts: 1, resp_pkts: 1 });
    const job = await waitJob((await importLog(`${line}\n`)).json().jobId);
    expect(job.result).toMatchObject({ format: 'zeek-json', connections: 1, assetsCreated: 0 });
    const e = (await connectionsOf(t.graph, '10.99.0.10')).find((c) => c.port === 4242)!;
    expect(e).toMatchObject({ bytes: 22003, packets: 42, flows: 3, lastSeen: '2024-12-04T08:18:21.000Z' });
    // at least once: replaying the same import id changes nothing
    const { upsertConnections } = await import('../../../services/core/src/graph/connection-ingest-repository.js');
    const again = await upsertConnections(t.graph, job.id, 'flow-import', [{ src: '10.99.0.20', dst: '10.99.0.10', protocol: 'tcp', port: 4242, service: null, bytes: 3, packets: 2, flows: 1, firstSeen: '2024-12-04T08:18:20.000Z', lastSeen: '2024-12-04T08:18:21.000Z' }]);
    expect(again).toEqual({ edges: 0, skipped: 1 });
    expect((await connectionsOf(t.graph, '10.99.0.10')).find((c) => c.port === 4242)!.bytes).toBe(22003);
  });

  it('refuses a bad line with 400 naming line and field, and writes nothing', async () => {
    const r = await importLog(TSV.replace('10.99.0.21\t50002', '10.99.0.21\t50002').replace('\ttcp\thttp', '\tcarrier-pigeon\thttp'));
    expect(r.statusCode).toBe(400);
    expect(r.json().error).toMatchObject({ code: 'FLOW_LOG_INVALID', details: { line: 5, field: 'proto' } });
    const csv = await importLog('src,dst,proto,first_seen\n10.99.0.30,10.99.0.31,tcp,2024-12-04T00:00:00Z\n10.99.0.30,nowhere,tcp,2024-12-04T00:00:00Z\n');
    expect(csv.json().error).toMatchObject({ code: 'FLOW_LOG_INVALID', details: { line: 3, field: 'dst' } });
    expect((await t.app.inject({ method: 'GET', url: '/api/v1/assets?q=10.99.0.3', headers: t.auth('viewer') })).json().items).toHaveLength(0);
    expect((await t.app.inject({ method: 'POST', url: '/api/v1/imports/zeek', headers: { ...t.auth('security'), 'content-type': 'application/json' }, payload: '{}' })).statusCode).toBe(415);
    expect((await t.app.inject({ method: 'POST', url: '/api/v1/imports/nmap', headers: { ...t.auth('security'), 'content-type': 'application/json' }, payload: '{}' })).statusCode).toBe(415);
  });
});
