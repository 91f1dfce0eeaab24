import { mkdtempSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { parseNmapXmlFile } from '../../../services/discovery/src/nmap/nmap-xml-parser.js';
import { generateHospitalNetwork, hospitalConnections, hospitalFlows, hospitalHosts, planHospital } from '../../../services/platform/src/generator/hospital-network.js';
import { writeNmapXml } from '../../../services/platform/src/generator/nmap-xml-writer.js';

const dir = mkdtempSync(join(tmpdir(), 'atlas-gen-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('hospital network generator', () => {
  it('gives the same network for the same seed and a different one for another seed', () => {
    const a = generateHospitalNetwork({ assets: 1000, seed: 7 });
    const b = generateHospitalNetwork({ assets: 1000, seed: 7 });
    const c = generateHospitalNetwork({ assets: 1000, seed: 8 });
    expect(JSON.stringify(a)).toBe(JSON.stringify(b));
    expect(JSON.stringify(c.hosts)).not.toBe(JSON.stringify(a.hosts));
  });

  it('builds exactly the asked number of unique assets with the hospital mix', () => {
    const net = generateHospitalNetwork({ assets: 1000, seed: 1 });
    expect(net.assets).toHaveLength(1000);
    expect(new Set(net.assets.map((a) => a.ip)).size).toBe(1000);
    expect(new Set(net.assets.map((a) => a.mac)).size).toBe(1000);
    const kinds = new Set(net.assets.map((a) => a.kind));
    for (const k of ['workstation', 'server', 'database', 'medical-device', 'ai-system', 'printer', 'iot', 'network-device']) expect(kinds).toContain(k);
    const ports = new Set(net.hosts.flatMap((h) => h.ports.map((p) => `${p.service?.name}/${p.portid}`)));
    expect(ports).toContain('dicom/104');
    expect(ports).toContain('hl7/2575');
    expect(net.hosts.some((h) => h.ports.some((p) => p.service?.product === 'HAPI FHIR Server' || p.service?.product === 'Microsoft FHIR Server'))).toBe(true);
    expect(net.sites.length).toBeGreaterThanOrEqual(2);
    expect(net.subnets.length).toBeGreaterThanOrEqual(5);
    const stale = net.assets.filter((a) => a.stale).length;
    expect(stale).toBeGreaterThan(30);
    expect(stale).toBeLessThan(150);
    expect(net.vendors.some((v) => v.isAiService && !v.baaSigned)).toBe(true);
    expect(net.vendors.some((v) => v.baaSigned && v.baaExpires! < '2026-01-01')).toBe(true);
    const ips = new Set(net.assets.map((a) => a.ip));
    const vendorIds = new Set(net.vendors.map((v) => v.id));
    expect(net.flows.length).toBeGreaterThan(20);
    for (const f of net.flows) {
      for (const end of [f.from, f.to]) expect('asset' in end ? ips.has(end.asset) : vendorIds.has(end.vendor)).toBe(true);
    }
    expect(net.flows.some((f) => 'vendor' in f.to && net.vendors.find((v) => v.id === (f.to as { vendor: string }).vendor)?.isAiService)).toBe(true);
  });

  it('is random-access: host i does not depend on how many were drawn before', () => {
    const plan = planHospital({ assets: 2000, seed: 3 });
    const all = [...hospitalHosts(plan)];
    expect(plan.hostAt(1234)).toEqual(all[1234]);
    expect(hospitalFlows(plan)).toEqual(hospitalFlows(planHospital({ assets: 2000, seed: 3 })));
    const conns = [...hospitalConnections(plan, 5)];
    expect(conns.length).toBeGreaterThan(9000);
    const subnetOf = new Map([...Array(plan.size).keys()].map((i) => [plan.assetAt(i).ip, plan.assetAt(i).subnet]));
    const local = conns.filter((c) => subnetOf.get(c.from) === subnetOf.get(c.to)).length / conns.length;
    expect(local).toBeGreaterThan(0.8);
  });

  it('refuses sizes it cannot lay out, naming the value', () => {
    expect(() => planHospital({ assets: 0 })).toThrow(/assets/);
    expect(() => planHospital({ assets: 300_000 })).toThrow(/250000/);
    expect(() => planHospital({ assets: 10, now: 'yesterday' })).toThrow(/now/);
  });
});

describe('synthetic nmap XML writer', () => {
  it('writes a file the project parser reads back host for host', async () => {
    const plan = planHospital({ assets: 1500, seed: 11 });
    const path = join(dir, 'scan.xml');
    const written = await writeNmapXml(path, hospitalHosts(plan));
    expect(written.hosts).toBe(1500);
    expect(statSync(path).size).toBe(written.bytes);
    const parsed = await parseNmapXmlFile(path);
    expect(parsed.summary.complete).toBe(true);
    expect(parsed.summary.hostsUp).toBe(1500);
    expect(parsed.run.scanner).toBe('nmap');
    expect(parsed.hosts).toHaveLength(1500);
    expect(parsed.hosts).toEqual([...hospitalHosts(plan)]);
  });

  it('escapes names and outputs so the XML stays well formed', async () => {
    const plan = planHospital({ assets: 5, seed: 1 });
    const host = { ...plan.hostAt(0), hostnames: [{ name: 'a&b<c>"d\'.example', type: 'user' }] };
    host.ports = [{ protocol: 'tcp', portid: 80, state: 'open', scripts: [{ id: 'http-title', output: 'line1\n  <b>&amp;</b>\ttab' }] }];
    const path = join(dir, 'escape.xml');
    await writeNmapXml(path, [host]);
    const parsed = await parseNmapXmlFile(path);
    expect(parsed.hosts[0]).toEqual(host);
  });
});

describe('hospital network generator at full size', () => {
  it('lays out 100k and 250k assets with unique addresses in the private range', () => {
    for (const n of [100_000, 250_000]) {
      const plan = planHospital({ assets: n });
      const ips = new Set<string>();
      for (const i of [0, 1, n >> 1, n - 2, n - 1]) expect(plan.assetAt(i).ip).toMatch(/^10\.(1[6-9]|[2-7]\d)\.\d{1,3}\.\d{1,3}$/);
      for (let i = 0; i < n; i += 7) ips.add(plan.assetAt(i).ip);
      expect(ips.size).toBe(Math.ceil(n / 7));
      expect(new Set(plan.subnets.map((s) => s.cidr)).size).toBe(plan.subnets.length);
    }
  });
});
