import { mkdtempSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { isIP } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { wipeInventory } from '../../../services/core/src/graph/maintenance-repository.js';
import { assetByIp, counts, dumpGraph, fixturePath, importFile, importFixture, useWipedGraph } from './graph-helpers.js';

/** An independent oracle: what the XML itself says (hosts up, their addresses and port elements). */
function xmlFacts(path: string): { assets: number; interfaces: number; services: number } {
  const xml = readFileSync(path, 'utf8');
  let assets = 0;
  let interfaces = 0;
  let services = 0;
  for (const block of xml.match(/<host[\s>][\s\S]*?<\/host>/g) ?? []) {
    if (!/<status state="up"/.test(block)) continue;
    // test_osclass.xml was anonymised to addr="IP": a host with no usable address identifies nothing.
    const ips = [...block.matchAll(/addr="([^"]+)" addrtype="ipv[46]"/g)].filter((m) => isIP(m[1]!)).length;
    if (ips === 0 && !/addrtype="mac"/.test(block)) continue;
    assets++;
    interfaces += Math.max(ips, 1);
    services += (block.match(/<port /g) ?? []).length;
  }
  return { assets, interfaces, services };
}

const corpus = ['public', 'lab'].flatMap((dir) =>
  readdirSync(fixturePath(`${dir}/`))
    .filter((n) => n.endsWith('.xml') && !n.startsWith('defused'))
    .map((n) => `${dir}/${n}`),
);

describe('nmap ingestion into the asset graph (real Neo4j)', () => {
  const t = useWipedGraph();

  it.each(corpus)('%s imports with the assets, interfaces and services the file describes, and a re-import changes nothing', async (file) => {
    const facts = xmlFacts(fixturePath(file));
    const first = await importFixture(t.graph, file);
    expect(first.assetsCreated).toBe(facts.assets);
    const c = await counts(t.graph);
    expect(c.assets ?? 0).toBe(facts.assets);
    expect(c.interfaces ?? 0).toBe(facts.interfaces);
    expect(c.services ?? 0).toBe(facts.services);
    expect(c.changes ?? 0).toBe(facts.assets); // one asset-new per asset, nothing else on an empty graph

    const before = await dumpGraph(t.graph);
    const again = await importFixture(t.graph, file);
    expect(again.assetsCreated).toBe(0);
    expect(again.changes).toBe(0);
    expect(await dumpGraph(t.graph)).toEqual(before);
  });

  it('keeps full fidelity: products, versions, CPE, NSE script output, OS matches, hostnames with types', async () => {
    await importFixture(t.graph, 'public/1_os_banner_scripts.xml');
    const [a] = await assetByIp(t.graph, '127.0.0.1');
    expect(a!.hostnames).toEqual(['localhost']);
    expect(a!.hostnameTypes).toEqual(['PTR']);
    const http = await t.graph.read("MATCH (:Asset {id: $id})-[:HAS_SERVICE]->(s:Service {port: 80}) RETURN properties(s) AS s", { id: a!.id });
    const s = http[0]!.s as Record<string, unknown>;
    expect(s.product).toBe('Apache httpd');
    expect(s.state).toBe('open');
    expect(s.scriptIds).toEqual(['http-methods', 'http-headers']); // file order
    const scripts = JSON.parse(String(s.scripts)) as { id: string; output: string }[];
    expect(scripts.find((x) => x.id === 'http-headers')!.output).toContain('Server: Apache');

    await importFixture(t.graph, 'public/2_hosts_version.xml');
    const [scanme] = await assetByIp(t.graph, '74.207.244.221');
    expect(scanme).toMatchObject({ os: 'Netgear DG834G WAP', osAccuracy: 92, uptimeSeconds: 23138, distance: 14, fqdn: 'scanme.nmap.org', name: 'scanme.nmap.org' });
    const matches = JSON.parse(String(scanme!.osMatches)) as { name: string; accuracy: number }[];
    expect(matches).toHaveLength(10);
    expect(matches[1]).toMatchObject({ name: 'OpenWrt White Russian 0.9 (Linux 2.4.30)', accuracy: 91 });
    await importFixture(t.graph, 'public/dionaea_scan.xml');
    const [d] = await assetByIp(t.graph, '172.28.1.3');
    expect(d!.mac).toBe('02:42:AC:1C:01:03');
    expect(d!.macKind).toBe('local');
    expect(d!.fqdn).toBe('dionaea.libnmap-testing_testing_net');
    const mssql = await t.graph.read("MATCH (:Asset {id: $id})-[:HAS_SERVICE]->(s:Service {port: 1433}) RETURN s.product AS p, s.cpe AS cpe", { id: d!.id });
    expect(mssql[0]!.p).toBe('Microsoft SQL Server 2000');

    await importFixture(t.graph, 'lab/lab-top200-connect.xml');
    const [web] = await assetByIp(t.graph, '10.77.0.10');
    const svc = await t.graph.read("MATCH (:Asset {id: $id})-[:HAS_SERVICE]->(s:Service) RETURN s.port AS port, s.product AS product, s.scriptIds AS ids ORDER BY port", { id: web!.id });
    expect(svc).toEqual([
      { port: 80, product: 'SimpleHTTPServer', ids: ['http-server-header'] },
      { port: 8443, product: 'SimpleHTTPServer', ids: ['http-server-header'] },
    ]);
    const subnet = await t.graph.read("MATCH (:Asset {id: $id})-[:HAS_INTERFACE]->(:Interface)-[:IN_SUBNET]->(s:Subnet) RETURN s.cidr AS cidr", { id: web!.id });
    expect(subnet).toEqual([{ cidr: '10.77.0.0/24' }]);
  });

  it('takes the MAC vendor from nmap, else from the IEEE OUI registry', async () => {
    await importFixture(t.graph, 'public/full_sudo5.xml');
    const [router] = await assetByIp(t.graph, '192.168.1.1');
    expect(router!.mac).toBe('6C:2E:85:19:AF:00');
    expect(String(router!.macVendor)).toMatch(/sagemcom/i); // nmap wrote no vendor here
    const [intel] = await assetByIp(t.graph, '192.168.1.5');
    expect(intel!.macVendor).toBe('Intel Corporate');
  });

  it('records provenance per source: SEEN_BY with first/last seen and the run that last saw it', async () => {
    const r1 = await importFixture(t.graph, 'public/2_hosts_version.xml'); // Feb 24 2013 21:28
    const r2 = await importFixture(t.graph, 'public/2_tcp_hosts.xml'); // Feb 24 2013 21:44
    const [scanme] = await assetByIp(t.graph, '74.207.244.221');
    const prov = await t.graph.read("MATCH (:Asset {id: $id})-[r:SEEN_BY]->(s:Source) RETURN s.id AS src, r.firstSeen AS first, r.lastSeen AS last, r.lastRunId AS run", { id: scanme!.id });
    expect(prov).toEqual([{ src: 'nmap-import', first: '2013-02-24T20:28:09.000Z', last: '2013-02-24T20:44:46.000Z', run: r2.runId }]);
    expect(r1.runId).not.toBe(r2.runId);
    expect(scanme!.lastRunId).toBe(r2.runId);
    // An older file imported afterwards adds provenance but does not roll observations back.
    await importFixture(t.graph, 'public/2_hosts_version.xml');
    const [again] = await assetByIp(t.graph, '74.207.244.221');
    expect(again!.lastSeen).toBe('2013-02-24T20:44:46.000Z');
  });

  it('derives change events when a second scan of the same hosts differs', async () => {
    await importFixture(t.graph, 'public/2_hosts.xml');
    const [local] = await assetByIp(t.graph, '127.0.0.1');
    await importFixture(t.graph, 'public/2_hosts_achange.xml');
    const ev = await t.graph.read("MATCH (c:ChangeEvent {assetId: $id}) WHERE c.type <> 'asset-new' RETURN c.type AS type, c.detail AS d ORDER BY type, d", { id: local!.id });
    const got = ev.map((e) => `${e.type} ${(JSON.parse(String(e.d)) as { port: number }).port}`).sort();
    expect(got).toEqual(['port-closed 111', 'port-closed 25', 'port-opened 23']);
    const states = await t.graph.read("MATCH (:Asset {id: $id})-[:HAS_SERVICE]->(s:Service) WHERE s.port IN [23, 25, 111] RETURN s.port AS p, s.state AS st ORDER BY p", { id: local!.id });
    expect(states).toEqual([{ p: 23, st: 'open' }, { p: 25, st: 'closed' }, { p: 111, st: 'closed' }]);

    await wipeInventory(t.graph);
    await importFixture(t.graph, 'public/1_hosts.xml');
    await importFixture(t.graph, 'public/1_hosts_diff.xml');
    const diff = await t.graph.read("MATCH (c:ChangeEvent) WHERE c.type <> 'asset-new' RETURN c.type AS type, c.summary AS s");
    expect(diff).toEqual([{ type: 'port-closed', s: 'Port 3306/tcp filtered on localhost' }]);
  });

  it('reports version and OS changes', async () => {
    await importFixture(t.graph, 'public/1_hosts_banner_ports.xml');
    const [a] = await assetByIp(t.graph, '127.0.0.1');
    // A later rescan where sshd was upgraded: the file is the same run with a newer time and version.
    const dir = mkdtempSync(join(tmpdir(), 'graph-'));
    const xml = readFileSync(fixturePath('public/1_hosts_banner_ports.xml'), 'utf8').replace(/start="(\d+)"/, (_m, t) => `start="${Number(t) + 3600}"`);
    const m = /product="OpenSSH" version="([^"]+)"/.exec(xml);
    expect(m).not.toBeNull();
    const path = join(dir, 'upgraded.xml');
    writeFileSync(path, xml.replace(`product="OpenSSH" version="${m![1]}"`, 'product="OpenSSH" version="9.9"'));
    await importFile(t.graph, path);
    const ev = await t.graph.read("MATCH (c:ChangeEvent {assetId: $id, type: 'service-changed'}) RETURN c.detail AS d", { id: a!.id });
    expect(ev).toHaveLength(1);
    expect(JSON.parse(String(ev[0]!.d))).toMatchObject({ port: 22, before: { product: 'OpenSSH', version: m![1] }, after: { version: '9.9' } });
  });

  it('marks hosts absent from a later complete scan of their range as missed, never deleting them', async () => {
    await importFixture(t.graph, 'lab/lab-arp-sweep.xml');
    const dir = mkdtempSync(join(tmpdir(), 'graph-'));
    const xml = readFileSync(fixturePath('lab/lab-arp-sweep.xml'), 'utf8')
      .replace(/start="(\d+)"/, (_m, t) => `start="${Number(t) + 600}"`)
      .replace(/<host[\s>](?:(?!<\/host>)[\s\S])*?10\.77\.0\.13"[\s\S]*?<\/host>/, '');
    expect(xml).not.toContain('10.77.0.13"');
    const path = join(dir, 'sweep-later.xml');
    writeFileSync(path, xml);
    const r = await importFile(t.graph, path);
    expect(r.missed).toBe(1);
    const [gone] = await assetByIp(t.graph, '10.77.0.13');
    expect(gone!.status).toBe('missed');
    expect((await counts(t.graph)).assets).toBe(7);
    const ev = await t.graph.read("MATCH (c:ChangeEvent {type: 'asset-missed'}) RETURN c.assetId AS id");
    expect(ev).toEqual([{ id: gone!.id }]);
    // Importing it again adds no second event; seeing the host again brings it back.
    await importFile(t.graph, path);
    expect(await t.graph.read("MATCH (c:ChangeEvent {type: 'asset-missed'}) RETURN count(c) AS n")).toEqual([{ n: 1 }]);
  });

  it('a truncated file marks nothing missed', async () => {
    await importFixture(t.graph, 'lab/lab-arp-sweep.xml');
    const dir = mkdtempSync(join(tmpdir(), 'graph-'));
    const xml = readFileSync(fixturePath('lab/lab-arp-sweep.xml'), 'utf8').replace(/start="(\d+)"/, (_m, t) => `start="${Number(t) + 600}"`);
    const path = join(dir, 'cut.xml');
    writeFileSync(path, xml.slice(0, xml.indexOf('10.77.0.11"') - 40));
    const r = await importFile(t.graph, path);
    expect(r.complete).toBe(false);
    expect(r.missed).toBe(0);
    expect(await t.graph.read("MATCH (a:Asset {status: 'missed'}) RETURN count(a) AS n")).toEqual([{ n: 0 }]);
  });

  it('concurrent imports of overlapping files leave no duplicates', async () => {
    const files = ['public/full_sudo5.xml', 'public/full_sudo6.xml', 'public/os_scan5.xml', 'public/os_scan6.xml', 'public/fullscan.xml'];
    await Promise.all([...files, ...files].map((f) => importFixture(t.graph, f)));
    const perMac = await t.graph.read('MATCH (a:Asset)-[:HAS_INTERFACE]->(i:Interface) WHERE NOT a:Retired AND i.mac IS NOT NULL WITH i.mac AS mac, count(DISTINCT a) AS n RETURN mac, n ORDER BY mac');
    expect(perMac).toEqual(['00:1F:3C:87:66:50', '6C:2E:85:19:AF:00', '88:1F:A1:23:EE:02', 'C0:63:94:05:01:03'].map((mac) => ({ mac, n: 1 })));
    const dupKeys = await t.graph.read('MATCH (i:Interface) WITH i.key AS k, count(*) AS n WHERE n > 1 RETURN k');
    expect(dupKeys).toEqual([]);
    const perIface = await t.graph.read('MATCH (a:Asset)-[:HAS_INTERFACE]->(i:Interface) WITH i.mac AS mac, i.ip AS ip, count(i) AS n WHERE n > 1 RETURN mac, ip');
    expect(perIface).toEqual([]);
    const constraint = await t.graph.read("SHOW CONSTRAINTS YIELD labelsOrTypes, properties WHERE labelsOrTypes = ['Interface'] RETURN properties");
    expect(constraint).toEqual([{ properties: ['key'] }]);
  });
});
