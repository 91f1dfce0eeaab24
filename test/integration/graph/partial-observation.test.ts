import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ingestHosts } from '../../../services/core/src/graph/asset-ingest-repository.js';
import type { NmapHost } from '../../../services/discovery/src/nmap/nmap-types.js';
import { buildTestApp, type TestApp } from '../../helpers/app.js';

function host(ip: string, hostname?: string): NmapHost {
  return {
    status: 'up',
    addresses: [{ addr: ip, addrtype: 'ipv4' }],
    hostnames: hostname ? [{ name: hostname, type: 'PTR' }] : [],
    ports: [],
    extraPorts: [],
    os: { matches: [], portsUsed: [] },
    hostScripts: [],
  };
}

describe('an observation that carries less than an earlier one', () => {
  let t: TestApp;
  beforeAll(async () => {
    t = await buildTestApp();
  });
  afterAll(async () => t.close());

  it('keeps the name a scan gave the asset when a flow log later sees only its address', async () => {
    const t0 = new Date(Date.now() - 60_000).toISOString();
    await ingestHosts(t.graph, { runId: 'run-scan', sourceId: 'nmap', at: t0 }, [host('127.77.20.5', 'inference-lab.example')]);
    await ingestHosts(t.graph, { runId: 'run-flows', sourceId: 'flow-import', at: new Date().toISOString() }, [host('127.77.20.5')]);
    const res = await t.app.inject({ method: 'GET', url: '/api/v1/assets?q=127.77.20.5', headers: t.auth('viewer') });
    const items = res.json().items;
    expect(items).toHaveLength(1);
    expect(items[0].name).toBe('inference-lab.example');
    expect(items[0].hostnames).toEqual(['inference-lab.example']);
  });
});
