import { spawnSync } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ingestObservations } from '../../../services/core/src/graph/asset-ingest-repository.js';
import { PAGE_MAX_AGE_MS } from '../../../services/core/src/graph/asset-repository.js';
import type { Observation } from '../../../services/core/src/domain/observation.js';
import { buildTestApp, type TestApp } from '../../helpers/app.js';
import { testConfig, testGraph } from '../../helpers/services.js';
import { observation } from './graph-helpers.js';

function host(ip: string, name: string): Observation {
  return observation(ip, {
    hostnames: [name],
    hostnameTypes: ['PTR'],
    services: [{ protocol: 'tcp', port: 104, state: 'open', name: 'dicom', product: null, version: null, cpe: [], scriptIds: [] }],
  } as unknown as Partial<Observation>);
}

/** The inventory pages cache; every write this process makes shows on the very next page. */
describe('asset pages under writes (real Neo4j)', () => {
  let t: TestApp;
  const page = async (qs = '') => {
    const r = await t.app.inject({ method: 'GET', url: `/api/v1/assets?limit=50${qs}`, headers: t.auth('viewer') });
    expect(r.statusCode).toBe(200);
    expect(r.headers['content-type']).toMatch(/^application\/json/);
    return r.json() as { items: { id: string; name: string; kind: string; status: string }[]; nextCursor: string | null };
  };
  const names = async (qs = '') => (await page(qs)).items.map((a) => a.name);

  beforeAll(async () => {
    t = await buildTestApp();
    await ingestObservations(t.graph, { runId: 'run-c1', sourceId: 'nmap-import', at: new Date().toISOString() }, [host('10.61.0.1', 'pacs-a'), host('10.61.0.2', 'ris-b')]);
  }, 120_000);
  afterAll(async () => t?.close());

  it('serves the same page again until something changes', async () => {
    expect(await names()).toEqual(['pacs-a', 'ris-b']);
    expect(await names()).toEqual(['pacs-a', 'ris-b']);
    expect(await names('&q=PACS')).toEqual(['pacs-a']);
  });

  it('a rename by PATCH shows on the next page, in every cached query', async () => {
    expect(await names('&q=pacs')).toEqual(['pacs-a']);
    const id = (await page()).items[0]!.id;
    const r = await t.app.inject({ method: 'PATCH', url: `/api/v1/assets/${id}`, headers: t.auth('security'), payload: { name: 'zz-pacs-archive', kind: 'medical-device' } });
    expect(r.statusCode).toBe(200);
    expect(await names()).toEqual(['ris-b', 'zz-pacs-archive']);
    expect(await names('&q=pacs')).toEqual(['zz-pacs-archive']);
    expect(await names('&kind=medical-device')).toEqual(['zz-pacs-archive']);
  });

  it('an import through another client of this process shows on the next page', async () => {
    expect(await names('&q=10.61.0')).toHaveLength(2);
    const other = testGraph();
    try {
      await ingestObservations(other, { runId: 'run-c2', sourceId: 'nmap-import', at: new Date().toISOString() }, [host('10.61.0.3', 'lab-c')]);
    } finally {
      await other.close();
    }
    expect(await names('&q=10.61.0')).toEqual(['lab-c', 'ris-b', 'zz-pacs-archive']);
  });

  it('a merge retires the other asset from the next page', async () => {
    const items = (await page()).items;
    const [a, b] = [items.find((x) => x.name === 'lab-c')!, items.find((x) => x.name === 'ris-b')!];
    const r = await t.app.inject({ method: 'POST', url: `/api/v1/assets/${a.id}/merge`, headers: t.auth('security'), payload: { otherId: b.id } });
    expect(r.statusCode).toBe(200);
    expect(await names()).toEqual(['lab-c', 'zz-pacs-archive']);
  });

  it('a write from another process, which this process cannot see, shows once the page is PAGE_MAX_AGE_MS old', async () => {
    expect(await names()).toEqual(['lab-c', 'zz-pacs-archive']);
    const dir = mkdtempSync(join(tmpdir(), 'pages-'));
    const script = join(dir, 'writer.mts');
    const client = pathToFileURL(resolve('services/core/src/graph/neo4j-client.ts')).href;
    writeFileSync(
      script,
      `import { GraphClient } from ${JSON.stringify(client)};
       const g = new GraphClient({ uri: process.env.W_URI, user: process.env.W_USER, password: process.env.W_PASSWORD });
       await g.write("MATCH (a:Asset {name: 'lab-c'}) SET a.a_name = 'lab-c-renamed', a.name = 'lab-c-renamed'");
       await g.close();`,
    );
    const cfg = testConfig();
    const child = spawnSync('npx', ['tsx', script], { env: { ...process.env, W_URI: cfg.NEO4J_URI, W_USER: cfg.NEO4J_USER, W_PASSWORD: cfg.NEO4J_PASSWORD }, encoding: 'utf8', timeout: 60_000 });
    expect(child.status, child.stderr).toBe(0);
    await new Promise((r) => setTimeout(r, PAGE_MAX_AGE_MS + 50));
    expect(await names()).toEqual(['lab-c-renamed', 'zz-pacs-archive']);
  }, 90_000);
});
