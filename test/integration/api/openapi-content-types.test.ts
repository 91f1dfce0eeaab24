import { readFileSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startWorkers, type RunningWorkers } from '../../../services/discovery/src/workers/index.js';
import { buildTestApp, type TestApp } from '../../helpers/app.js';

/**
 * The served OpenAPI document must name the content type every route really sends. Each GET that
 * needs no path parameter is requested for real (once per value of a `format` query enum), as is
 * the server-sent-events route of a real job; the Content-Type each answer carries must be one the
 * document declares for that status, and for the 200s the declared set must be exactly the set sent.
 * A new route that declares a file type (anything but JSON) must be exercised here, or this fails.
 */
type Param = { name: string; in: string; required?: boolean; schema?: { enum?: string[] } };
type Op = { parameters?: Param[]; responses: Record<string, { content?: Record<string, unknown> }> };
type Doc = { paths: Record<string, Record<string, Op>> };

const mediaType = (h: unknown) => String(h ?? '').split(';')[0]!.trim().toLowerCase();
const FIXTURE = new URL('../../../../shared/fixtures/nmap/public/1_hosts.xml', import.meta.url);

describe('OpenAPI: every route declares the content types it sends', () => {
  let t: TestApp;
  let workers: RunningWorkers;
  let doc: Doc;
  let jobId: string;

  beforeAll(async () => {
    t = await buildTestApp();
    workers = startWorkers(t.queues, t.graph, t.config);
    const up = await t.app.inject({ method: 'POST', url: '/api/v1/imports/nmap', headers: { ...t.auth('security'), 'content-type': 'application/xml' }, payload: readFileSync(FIXTURE) });
    expect(up.statusCode).toBe(202);
    jobId = up.json().jobId;
    const res = await t.app.inject({ method: 'GET', url: '/api/v1/openapi.json' });
    expect(res.statusCode).toBe(200);
    doc = res.json();
  });
  afterAll(async () => {
    await workers.close();
    await t.close();
  });

  it('the job event stream is documented as text/event-stream and sent as that', async () => {
    const sse = await t.app.inject({ method: 'GET', url: `/api/v1/jobs/${jobId}/events`, headers: t.auth('viewer') });
    expect(sse.statusCode).toBe(200);
    expect(sse.body).toMatch(/event: end\n/);
    expect(Object.keys(doc.paths['/api/v1/jobs/{id}/events']!.get!.responses['200']!.content ?? {})).toEqual([mediaType(sse.headers['content-type'])]);
  });

  it('each GET without path parameters, for each format it offers, answers in a documented content type', async () => {
    const checked: string[] = [];
    const fileRoutes = new Set<string>();
    for (const [path, ops] of Object.entries(doc.paths)) {
      const op = ops.get;
      if (!op) continue;
      const declared200 = Object.keys(op.responses['200']?.content ?? {});
      if (declared200.some((m) => m !== 'application/json')) fileRoutes.add(path);
      if (path.includes('{') || (op.parameters ?? []).some((p) => p.required)) continue;
      const formats = (op.parameters ?? []).find((p) => p.in === 'query' && p.name === 'format')?.schema?.enum ?? [undefined];
      const sent = new Set<string>();
      for (const format of formats) {
        const url = format ? `${path}?format=${format}` : path;
        const res = await t.app.inject({ method: 'GET', url, headers: t.auth('admin') });
        const type = mediaType(res.headers['content-type']);
        const declared = Object.keys(op.responses[String(res.statusCode)]?.content ?? {});
        expect(declared, `GET ${url} answered ${res.statusCode} as ${type}`).toContain(type);
        if (res.statusCode === 200) sent.add(type);
      }
      if (sent.size) expect([...sent].sort(), `GET ${path}: the 200 content types sent vs documented`).toEqual([...declared200].sort());
      checked.push(path);
      if (declared200.some((m) => m !== 'application/json')) fileRoutes.delete(path);
    }
    fileRoutes.delete('/api/v1/jobs/{id}/events'); // exercised by the test above
    expect([...fileRoutes], 'routes that send files but are not exercised here').toEqual([]);
    // The downloads this product offers today are all among those checked.
    expect(checked).toEqual(expect.arrayContaining(['/api/v1/exports/inventory', '/api/v1/exports/flows', '/api/v1/exports/map.graphml', '/api/v1/exports/cyclonedx', '/api/v1/audit/export', '/api/v1/compliance/gaps']));
  });

  it('a file route sends a non-empty body with its type, and its errors stay in the JSON error model', async () => {
    const csv = await t.app.inject({ method: 'GET', url: '/api/v1/exports/inventory?format=csv', headers: t.auth('analyst') });
    expect(csv.headers['content-type']).toBe('text/csv; charset=utf-8');
    expect(csv.body.split('\r\n').filter(Boolean).length).toBeGreaterThan(1); // header + the imported host
    const bad = await t.app.inject({ method: 'GET', url: '/api/v1/exports/inventory?format=pdf', headers: t.auth('analyst') });
    expect(bad.statusCode).toBe(400);
    expect(mediaType(bad.headers['content-type'])).toBe('application/json');
    expect(bad.json().error.details[0].field).toBe('querystring.format');
    expect(Object.keys(doc.paths['/api/v1/exports/inventory']!.get!.responses['400']!.content ?? {})).toEqual(['application/json']);
  });

  it('a method a path does not have is a 405 naming the allowed ones; public operations need no credentials', async () => {
    const r = await t.app.inject({ method: 'DELETE', url: '/api/v1/exports/inventory', headers: t.auth('admin') });
    expect(r.statusCode).toBe(405);
    expect(r.headers.allow).toBe('GET, HEAD');
    expect(r.json().error).toMatchObject({ code: 'METHOD_NOT_ALLOWED', details: { field: 'method', allowed: ['GET', 'HEAD'] } });
    expect((await t.app.inject({ method: 'DELETE', url: '/api/v1/no-such-thing', headers: t.auth('admin') })).statusCode).toBe(404);
    const health = doc.paths['/api/v1/health']!.get as Op & { security?: unknown[] };
    expect(health.security).toEqual([]);
    expect((doc.paths['/api/v1/assets']!.get as Op & { security?: unknown[] }).security).toBeUndefined();
  });
});
