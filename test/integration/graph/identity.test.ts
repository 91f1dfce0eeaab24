import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { ingestHosts } from '../../../services/core/src/graph/asset-ingest-repository.js';
import type { NmapHost } from '../../../services/discovery/src/nmap/nmap-types.js';
import { buildTestApp, type TestApp } from '../../helpers/app.js';
import { assetByIp, importFixture } from './graph-helpers.js';

const T0 = Date.parse('2026-03-01T08:00:00Z');
const hours = (h: number) => new Date(T0 + h * 3_600_000).toISOString();

function host(ips: string[], mac?: string, opts: { names?: string[]; ports?: number[] } = {}): NmapHost {
  return {
    status: 'up',
    addresses: [...ips.map((addr) => ({ addr, addrtype: (addr.includes(':') ? 'ipv6' : 'ipv4') as 'ipv4' | 'ipv6' })), ...(mac ? [{ addr: mac, addrtype: 'mac' as const }] : [])],
    hostnames: (opts.names ?? []).map((name) => ({ name, type: 'PTR' })),
    ports: (opts.ports ?? []).map((portid) => ({ protocol: 'tcp' as const, portid, state: 'open', scripts: [] })),
    extraPorts: [],
    os: { matches: [], portsUsed: [] },
    hostScripts: [],
  };
}

describe('identity resolution, merge/split, assertions and the change feed', () => {
  let t: TestApp;
  let run = 0;
  const ingest = (at: string, hosts: NmapHost[]) => ingestHosts(t.graph, { runId: `run-id-${++run}`, sourceId: 'nmap', at }, hosts);
  const assets = async () => (await t.graph.read('MATCH (a:Asset) WHERE NOT a:Retired RETURN a.id AS id, a.ips AS ips, a.mac AS mac ORDER BY a.firstSeen, a.id')) as { id: string; ips: string[]; mac: string | null }[];
  // Not wipeInventory: that would also remove the API tokens buildTestApp made.
  const wipeAssets = () => t.graph.write('MATCH (n) WHERE n:Asset OR n:Interface OR n:Service OR n:Subnet OR n:ChangeEvent OR n:IdentityConflict OR n:ScanRun OR n:Person DETACH DELETE n');
  const get = async (id: string, role: 'viewer' | 'security' = 'viewer') => t.app.inject({ method: 'GET', url: `/api/v1/assets/${id}`, headers: t.auth(role) });

  beforeAll(async () => {
    t = await buildTestApp();
  });
  beforeEach(async () => {
    await wipeAssets();
    await t.graph.write("MERGE (:Source {id: 'nmap'})");
  });
  afterAll(async () => t.close());

  it('a DHCP move (same MAC, new IP) updates the same asset and emits ip-changed', async () => {
    await ingest(hours(0), [host(['10.9.0.5'], '00:1B:21:AA:BB:01')]);
    await ingest(hours(30), [host(['10.9.0.77'], '00:1B:21:AA:BB:01')]);
    const all = await assets();
    expect(all).toHaveLength(1);
    expect(all[0]!.ips).toEqual(['10.9.0.77']);
    const feed = await t.app.inject({ method: 'GET', url: `/api/v1/changes?assetId=${all[0]!.id}&type=ip-changed`, headers: t.auth('viewer') });
    expect(feed.statusCode).toBe(200);
    expect(feed.json().items).toHaveLength(1);
    expect(feed.json().items[0].detail).toMatchObject({ before: ['10.9.0.5'], after: ['10.9.0.77'], matchedBy: 'mac' });
    const detail = (await get(all[0]!.id)).json();
    expect(detail.interfaces.map((i: { ip: string }) => i.ip).sort()).toEqual(['10.9.0.5', '10.9.0.77']);
  });

  it('a reused IP with a different MAC is a new asset, never merged', async () => {
    await ingest(hours(0), [host(['10.9.0.20'], '00:1B:21:AA:BB:02')]);
    await ingest(hours(1), [host(['10.9.0.20'], '00:1B:21:AA:BB:03')]);
    const all = await assets();
    expect(all.map((a) => a.mac)).toEqual(['00:1B:21:AA:BB:02', '00:1B:21:AA:BB:03']);
    // In the public fixture a container got a new random MAC but kept its FQDN: the FQDN is the
    // stronger key, so it stays one asset and the MAC change is reported.
    await wipeAssets();
    await importFixture(t.graph, 'public/1_host_ping.xml');
    await importFixture(t.graph, 'public/diff_1_host_ping_mac_changed.xml');
    const [c] = await assetByIp(t.graph, '172.28.1.3');
    expect(c!.mac).toBe('02:42:AC:1C:01:04');
    const ev = await t.graph.read("MATCH (e:ChangeEvent {assetId: $id, type: 'mac-changed'}) RETURN e.detail AS d", { id: c!.id });
    expect(JSON.parse(String(ev[0]!.d))).toEqual({ before: '02:42:AC:1C:01:03', after: '02:42:AC:1C:01:04' });
  });

  it('IPv4 and IPv6 observations of one MAC are one asset', async () => {
    await ingest(hours(0), [host(['10.9.0.30'], '00:1B:21:AA:BB:04')]);
    await ingest(hours(2), [host(['fd00::30'], '00:1B:21:AA:BB:04')]);
    const all = await assets();
    expect(all).toHaveLength(1);
    expect(all[0]!.ips.sort()).toEqual(['10.9.0.30', 'fd00::30']);
    const subnets = await t.graph.read('MATCH (:Asset {id: $id})-[:HAS_INTERFACE]->(i)-[:IN_SUBNET]->(s:Subnet) RETURN s.cidr AS c ORDER BY c', { id: all[0]!.id });
    expect(subnets.map((s) => s.c)).toEqual(['10.9.0.0/24', 'fd00::/64']);
  });

  it('a randomised (locally administered) MAC alone is not a key; the IP inside the window is', async () => {
    await ingest(hours(0), [host(['10.9.0.40'], '02:11:22:33:44:55')]);
    await ingest(hours(1), [host(['10.9.0.41'], '02:11:22:33:44:55')]); // same random MAC elsewhere: another device
    await ingest(hours(2), [host(['10.9.0.40'], '02:11:22:33:44:55')]); // same MAC and IP within 24 h: the first
    const all = await assets();
    expect(all.map((a) => a.ips[0])).toEqual(['10.9.0.40', '10.9.0.41']);
    // An address alone identifies nothing outside the window.
    await ingest(hours(0), [host(['10.9.0.50'])]);
    await ingest(hours(5), [host(['10.9.0.50'])]);
    await ingest(hours(60), [host(['10.9.0.50'])]);
    expect(await assetByIp(t.graph, '10.9.0.50')).toHaveLength(2);
  });

  it('two strong keys naming different assets record a conflict, surfaced by the API, without merging', async () => {
    await ingest(hours(0), [host(['10.9.1.1'], '00:1B:21:AA:BB:10', { names: ['pacs.example.org'] }), host(['10.9.1.2'], '00:1B:21:AA:BB:11', { names: ['ris.example.org'] })]);
    const r = await ingest(hours(1), [host(['10.9.1.3'], '00:1B:21:AA:BB:10', { names: ['ris.example.org'] })]);
    expect(r.conflicts).toBe(1);
    expect(await assets()).toHaveLength(2);
    const res = await t.app.inject({ method: 'GET', url: '/api/v1/assets/conflicts?state=open', headers: t.auth('viewer') });
    expect(res.statusCode).toBe(200);
    const [c] = res.json().items;
    const all = await assets();
    const pacs = all.find((x) => x.mac === '00:1B:21:AA:BB:10');
    const ris = all.find((x) => x.mac === '00:1B:21:AA:BB:11');
    expect(c.assetIds.sort()).toEqual([pacs!.id, ris!.id].sort());
    expect(c.chosenAssetId).toBe(pacs!.id); // the MAC is the stronger key
    expect((await get(String(ris!.id))).json().conflicts).toHaveLength(1);
  });

  it('merge keeps history: the other asset is retired with MERGED_INTO and leaves the list', async () => {
    await ingest(hours(0), [host(['10.9.2.1'], '00:1B:21:AA:BB:20', { ports: [22] }), host(['10.9.2.2'], undefined, { ports: [443] })]);
    const [a, b] = await assets();
    const bad = await t.app.inject({ method: 'POST', url: `/api/v1/assets/${a!.id}/merge`, headers: t.auth('security'), payload: { otherId: 'nope' } });
    expect(bad.statusCode).toBe(400);
    expect(bad.json().error.details.field).toBe('otherId');
    const forbidden = await t.app.inject({ method: 'POST', url: `/api/v1/assets/${a!.id}/merge`, headers: t.auth('viewer'), payload: { otherId: b!.id } });
    expect(forbidden.statusCode).toBe(403);
    const res = await t.app.inject({ method: 'POST', url: `/api/v1/assets/${a!.id}/merge`, headers: t.auth('security'), payload: { otherId: b!.id } });
    expect(res.statusCode, res.body).toBe(200);
    expect(res.json()).toMatchObject({ survivorId: a!.id, retiredId: b!.id, interfaces: 1, services: 1 });
    const list = await t.app.inject({ method: 'GET', url: '/api/v1/assets', headers: t.auth('viewer') });
    expect(list.json().items.map((x: { id: string }) => x.id)).toEqual([a!.id]);
    const survivor = (await get(a!.id)).json();
    expect(survivor.services.map((s: { port: number }) => s.port)).toEqual([22, 443]);
    expect(survivor.ips.sort()).toEqual(['10.9.2.1', '10.9.2.2']);
    expect(survivor.mergedFrom).toEqual([b!.id]);
    expect(survivor.changes.map((c: { type: string }) => c.type)).toContain('asset-merged');
    const retired = (await get(b!.id)).json();
    expect(retired).toMatchObject({ retired: true, mergedInto: a!.id });
    // A rescan of the retired asset's address lands on the survivor, not on a new asset.
    await ingest(hours(1), [host(['10.9.2.2'], undefined, { ports: [443] })]);
    expect((await assets()).map((x) => x.id)).toEqual([a!.id]);
  });

  it('after a merge, a rescan identical to an earlier one is compared with the merged asset, not skipped as unchanged', async () => {
    const pacs = host(['10.9.2.11'], '00:1B:21:AA:BB:21', { ports: [22] });
    await ingest(hours(0), [pacs, host(['10.9.2.12'], undefined, { ports: [443] })]);
    await ingest(hours(1), [pacs]); // identical: only dates move
    const [a, b] = await assets();
    expect((await t.app.inject({ method: 'POST', url: `/api/v1/assets/${a!.id}/merge`, headers: t.auth('security'), payload: { otherId: b!.id } })).statusCode).toBe(200);
    expect((await get(a!.id)).json().ips.sort()).toEqual(['10.9.2.11', '10.9.2.12']);
    await ingest(hours(2), [pacs]);
    const survivor = (await get(a!.id)).json();
    // The scan's own view of the asset's addresses is written again, as for any changed observation.
    expect(survivor.ips).toEqual(['10.9.2.11']);
    expect(survivor.lastSeen).toBe(hours(2));
  });

  it('split moves interfaces to a new asset with SPLIT_FROM, refusing bad keys', async () => {
    await ingest(hours(0), [host(['10.9.3.1', 'fd00::31'], '00:1B:21:AA:BB:30')]);
    const [a] = await assets();
    const detail = (await get(a!.id)).json();
    const v6 = detail.interfaces.find((i: { ip: string }) => i.ip === 'fd00::31').key;
    const bad = await t.app.inject({ method: 'POST', url: `/api/v1/assets/${a!.id}/split`, headers: t.auth('security'), payload: { interfaceKeys: ['not-a-key'] } });
    expect(bad.statusCode).toBe(400);
    expect(bad.json().error.details.field).toBe('interfaceKeys');
    const all = await t.app.inject({ method: 'POST', url: `/api/v1/assets/${a!.id}/split`, headers: t.auth('security'), payload: { interfaceKeys: detail.interfaces.map((i: { key: string }) => i.key) } });
    expect(all.statusCode).toBe(400);
    const res = await t.app.inject({ method: 'POST', url: `/api/v1/assets/${a!.id}/split`, headers: t.auth('security'), payload: { interfaceKeys: [v6] } });
    expect(res.statusCode, res.body).toBe(201);
    const { newId } = res.json();
    const split = (await get(newId)).json();
    expect(split).toMatchObject({ splitFrom: a!.id, ips: ['fd00::31'] });
    expect((await get(a!.id)).json().ips).toEqual(['10.9.3.1']);
    expect(split.changes.map((c: { type: string }) => c.type)).toEqual(['asset-split']);
  });

  it('assertions survive a rescan; unknown or invalid fields are a 400 naming the field', async () => {
    await ingest(hours(0), [host(['10.9.4.1'], '00:1B:21:AA:BB:40', { names: ['mri-console.example.org'], ports: [104] })]);
    const [a] = await assets();
    await t.graph.write("MERGE (:Person {id: 'p-radiology', name: 'Dr. Ada Radiology', email: 'ada@example.org'})");
    const unknown = await t.app.inject({ method: 'PATCH', url: `/api/v1/assets/${a!.id}`, headers: t.auth('security'), payload: { colour: 'blue' } });
    expect(unknown.statusCode).toBe(400);
    expect(JSON.stringify(unknown.json().error)).toContain('colour');
    const badEnum = await t.app.inject({ method: 'PATCH', url: `/api/v1/assets/${a!.id}`, headers: t.auth('security'), payload: { ephiRole: 'lots' } });
    expect(badEnum.statusCode).toBe(400);
    expect(badEnum.json().error.message).toContain('ephiRole');
    const badOwner = await t.app.inject({ method: 'PATCH', url: `/api/v1/assets/${a!.id}`, headers: t.auth('security'), payload: { ownerId: 'p-nobody' } });
    expect(badOwner.statusCode).toBe(400);
    expect(badOwner.json().error.details.field).toBe('ownerId');
    const viewer = await t.app.inject({ method: 'PATCH', url: `/api/v1/assets/${a!.id}`, headers: t.auth('viewer'), payload: { name: 'x' } });
    expect(viewer.statusCode).toBe(403);

    const ok = await t.app.inject({
      method: 'PATCH',
      url: `/api/v1/assets/${a!.id}`,
      headers: t.auth('security'),
      payload: { name: 'MRI console', kind: 'medical-device', ephiRole: 'stores', encryptionAtRest: 'no', ownerId: 'p-radiology', assetTag: 'HOSP-0042' },
    });
    expect(ok.statusCode).toBe(200);
    expect(ok.json()).toMatchObject({ name: 'MRI console', kind: 'medical-device', ephiRole: 'stores', owner: { id: 'p-radiology' } });

    await ingest(hours(3), [host(['10.9.4.1'], '00:1B:21:AA:BB:40', { names: ['mri-renamed.example.org'], ports: [104, 443] })]);
    const after = (await get(a!.id)).json();
    expect(after.asserted).toMatchObject({ name: 'MRI console', kind: 'medical-device', ephiRole: 'stores', encryptionAtRest: 'no', assetTag: 'HOSP-0042' });
    expect(after.observed.hostnames).toEqual(['mri-renamed.example.org']);
    expect(after.effective).toMatchObject({ name: 'MRI console', kind: 'medical-device', ephiRole: 'stores', encryptionAtRest: 'no', mfa: 'unknown' });
    expect(after.owner.id).toBe('p-radiology');
    expect(after.provenance).toEqual([expect.objectContaining({ sourceId: 'nmap', lastSeen: hours(3) })]);
    const types = after.changes.map((c: { type: string }) => c.type).sort();
    expect(types.filter((x: string) => x === 'assertion-changed')).toHaveLength(6);
    expect(types).toContain('port-opened');

    // The asserted tag is now the strongest key, and it is unique.
    await ingest(hours(4), [host(['10.9.4.9'])]);
    const other = (await assetByIp(t.graph, '10.9.4.9'))[0]!;
    const dup = await t.app.inject({ method: 'PATCH', url: `/api/v1/assets/${String(other.id)}`, headers: t.auth('security'), payload: { assetTag: 'HOSP-0042' } });
    expect(dup.statusCode).toBe(409);
    expect(dup.json().error.details.field).toBe('assetTag');
    // Clearing an assertion falls back to the observation.
    const cleared = await t.app.inject({ method: 'PATCH', url: `/api/v1/assets/${a!.id}`, headers: t.auth('security'), payload: { name: null } });
    expect(cleared.json().name).toBe('mri-renamed.example.org');
  });

  it('the change feed filters by time, type and asset, pages with a cursor, and rejects bad input', async () => {
    await ingest(hours(0), [host(['10.9.5.1'], '00:1B:21:AA:BB:50', { ports: [22] }), host(['10.9.5.2'], '00:1B:21:AA:BB:51')]);
    await ingest(hours(5), [host(['10.9.5.1'], '00:1B:21:AA:BB:50', { ports: [22, 80, 443] })]);
    const since = await t.app.inject({ method: 'GET', url: `/api/v1/changes?since=${encodeURIComponent(hours(1))}`, headers: t.auth('viewer') });
    expect(since.json().items.map((c: { type: string }) => c.type)).toEqual(['port-opened', 'port-opened']);
    const p1 = await t.app.inject({ method: 'GET', url: '/api/v1/changes?limit=2', headers: t.auth('viewer') });
    expect(p1.json().items).toHaveLength(2);
    const p2 = await t.app.inject({ method: 'GET', url: `/api/v1/changes?limit=2&cursor=${p1.json().nextCursor}`, headers: t.auth('viewer') });
    expect(p2.json().items.map((c: { type: string }) => c.type)).toEqual(['asset-new', 'asset-new']);
    expect(p2.json().nextCursor).toBeNull();
    const newOnly = await t.app.inject({ method: 'GET', url: '/api/v1/changes?type=asset-new', headers: t.auth('viewer') });
    expect(newOnly.json().items).toHaveLength(2);
    for (const [q, field] of [['since=yesterday', 'since'], ['type=exploded', 'type'], ['cursor=abc', 'cursor'], ['limit=0', 'limit']]) {
      const r = await t.app.inject({ method: 'GET', url: `/api/v1/changes?${q}`, headers: t.auth('viewer') });
      expect(r.statusCode, q).toBe(400);
      expect(JSON.stringify(r.json().error), q).toContain(field);
    }
  });
});
