import { describe, expect, it } from 'vitest';
import { diffObservation } from '../../../services/core/src/domain/changes.js';
import { targetsFromArgs } from '../../../services/core/src/domain/coverage.js';
import { IdentityIndex } from '../../../services/core/src/domain/identity.js';
import { isStrongMac, macKind, normalizeMac, ouiVendor } from '../../../services/core/src/domain/mac.js';
import { hostToObservation, isFqdn, portScanned, scannedPortsOf, type Observation } from '../../../services/core/src/domain/observation.js';
import { inRange, parseRange, subnetOf } from '../../../services/core/src/domain/subnet.js';
import type { NmapHost } from '../../../services/discovery/src/nmap/nmap-types.js';

const at = '2026-03-01T08:00:00.000Z';
const later = (h: number) => new Date(Date.parse(at) + h * 3_600_000).toISOString();

function obs(p: Partial<Observation>): Observation {
  return {
    ips: [], mac: null, macKind: null, macVendor: null, hostnames: [], hostnameTypes: [], fqdn: null, assetTag: null, serial: null, cloudId: null,
    os: null, osAccuracy: null, osMatches: null, osKind: null, uptimeSeconds: null, lastBoot: null, distance: null, hostScripts: null,
    portsScanned: false, services: [], ...p,
  };
}

describe('MAC addresses', () => {
  it('normalises the usual spellings and refuses others', () => {
    expect(normalizeMac('00-1b-21-aa-bb-cc')).toBe('00:1B:21:AA:BB:CC');
    expect(normalizeMac('001b.21aa.bbcc')).toBe('00:1B:21:AA:BB:CC');
    expect(normalizeMac('001b21aabbcc')).toBe('00:1B:21:AA:BB:CC');
    expect(normalizeMac('00:1b:21:aa:bb')).toBeNull();
  });
  it('tells universal from locally administered (random) and multicast by the first octet', () => {
    expect(macKind('00:1B:21:AA:BB:CC')).toBe('universal');
    expect(macKind('02:42:AC:1C:01:03')).toBe('local'); // docker
    expect(macKind('FE:F8:2A:A9:C0:68')).toBe('local'); // veth in the lab
    expect(macKind('01:00:5E:00:00:01')).toBe('multicast');
    expect(isStrongMac('00:1B:21:AA:BB:CC')).toBe(true);
    expect(isStrongMac('DA:A1:19:00:00:01')).toBe(false);
    expect(isStrongMac('00:00:00:00:00:00')).toBe(false);
  });
  it('looks vendors up in the IEEE registry, never for random MACs', () => {
    expect(ouiVendor('00:0C:29:12:34:56')).toBe('VMware, Inc.');
    expect(ouiVendor('02:0C:29:12:34:56')).toBeNull();
  });
});

describe('subnets and coverage', () => {
  it('derives /24 and /64 and tests ranges', () => {
    expect(subnetOf('10.77.0.13')).toBe('10.77.0.0/24');
    expect(subnetOf('fd00:1:2:3:4::9')).toBe('fd00:1:2:3::/64');
    expect(inRange('10.77.0.13', parseRange('10.77.0.0/28')!)).toBe(true);
    expect(inRange('10.77.0.16', parseRange('10.77.0.0/28')!)).toBe(false);
    expect(inRange('fd00::1', parseRange('10.0.0.0/8')!)).toBe(false);
  });
  it('reads address targets from an nmap command line and ignores options and names', () => {
    expect(targetsFromArgs('nmap -sn -PR -oX out.xml 10.77.0.0/28')).toEqual(['10.77.0.0/28']);
    expect(targetsFromArgs('nmap -sT -p 22,80 -oX a.xml 10.77.0.10-12 scanme.nmap.org 127.0.0.1')).toEqual(['10.77.0.10', '10.77.0.11', '10.77.0.12', '127.0.0.1']);
  });
  it('reads probed port ranges from scaninfo', () => {
    const s = scannedPortsOf({ scanInfo: [{ protocol: 'tcp', services: '1,3-4,22,8080-8090' }] });
    expect(portScanned(s, 'tcp', 4)).toBe(true);
    expect(portScanned(s, 'tcp', 5)).toBe(false);
    expect(portScanned(s, 'udp', 53)).toBeNull();
  });
});

describe('transform', () => {
  it('keeps every hostname with its type and picks an FQDN, never localhost', () => {
    const h: NmapHost = {
      status: 'up', addresses: [{ addr: '10.0.0.5', addrtype: 'ipv4' }, { addr: '00:0c:29:00:00:01', addrtype: 'mac' }],
      hostnames: [{ name: 'pacs', type: 'user' }, { name: 'pacs.hospital.example', type: 'PTR' }], ports: [], extraPorts: [], os: { matches: [], portsUsed: [] }, hostScripts: [],
    };
    const o = hostToObservation(h)!;
    expect(o).toMatchObject({ mac: '00:0C:29:00:00:01', macKind: 'universal', macVendor: 'VMware, Inc.', hostnames: ['pacs', 'pacs.hospital.example'], hostnameTypes: ['user', 'PTR'], fqdn: 'pacs.hospital.example' });
    expect(isFqdn('localhost.localdomain')).toBe(false);
    expect(isFqdn('1.0.0.10.in-addr.arpa')).toBe(false);
  });
});

describe('identity resolution', () => {
  const win = { ipWindowMs: 24 * 3_600_000 };
  const known = [
    { id: 'A', fqdn: 'pacs.example.org', interfaces: [{ ip: '10.0.0.1', mac: '00:1B:21:00:00:01', lastSeen: at }] },
    { id: 'B', fqdn: 'ris.example.org', assetTag: 'T-1', interfaces: [{ ip: '10.0.0.2', mac: null, lastSeen: at }] },
    { id: 'C', interfaces: [{ ip: '10.0.0.3', mac: '02:00:00:00:00:03', lastSeen: at }] },
  ];
  const idx = () => new IdentityIndex(known, win);

  it('matches by the strongest key: tag, then MAC, then FQDN, then IP in the window', () => {
    expect(idx().resolve(obs({ assetTag: 'T-1', ips: ['10.9.9.9'] }), at)).toMatchObject({ assetId: 'B', matchedBy: 'assetTag' });
    expect(idx().resolve(obs({ mac: '00:1B:21:00:00:01', ips: ['10.5.5.5'] }), later(100))).toMatchObject({ assetId: 'A', matchedBy: 'mac' });
    expect(idx().resolve(obs({ fqdn: 'ris.example.org', ips: ['10.5.5.6'] }), later(100))).toMatchObject({ assetId: 'B', matchedBy: 'fqdn' });
    expect(idx().resolve(obs({ ips: ['10.0.0.2'] }), later(23))).toMatchObject({ assetId: 'B', matchedBy: 'ip' });
  });
  it('never matches on IP outside the window or against a different MAC', () => {
    expect(idx().resolve(obs({ ips: ['10.0.0.2'] }), later(25)).assetId).toBeNull();
    expect(idx().resolve(obs({ ips: ['10.0.0.1'], mac: '00:1B:21:00:00:99' }), later(1)).assetId).toBeNull();
    expect(idx().resolve(obs({ ips: ['10.0.0.3'], mac: '02:00:00:00:00:04' }), later(1)).assetId).toBeNull();
  });
  it('a random MAC is not a key by itself', () => {
    expect(idx().resolve(obs({ ips: ['10.0.0.77'], mac: '02:00:00:00:00:03' }), later(1)).assetId).toBeNull();
    expect(idx().resolve(obs({ ips: ['10.0.0.3'], mac: '02:00:00:00:00:03' }), later(1))).toMatchObject({ assetId: 'C', matchedBy: 'ip' });
  });
  it('reports two strong keys naming different assets as a conflict, choosing the stronger', () => {
    const r = idx().resolve(obs({ mac: '00:1B:21:00:00:01', fqdn: 'ris.example.org' }), at);
    expect(r.assetId).toBe('A');
    expect(r.conflict?.map((c) => `${c.key}:${c.assetId}`)).toEqual(['mac:A', 'fqdn:B']);
  });
  it('ignores an FQDN that names several assets', () => {
    const i = new IdentityIndex([...known, { id: 'D', fqdn: 'pacs.example.org', interfaces: [] }], win);
    expect(i.resolve(obs({ fqdn: 'pacs.example.org' }), at).assetId).toBeNull();
  });
  it('sees earlier decisions of the same batch (IPv4 and IPv6 records of one MAC)', () => {
    const i = new IdentityIndex([], win);
    const first = obs({ ips: ['10.1.1.1'], mac: '00:1B:21:00:00:42' });
    i.record('N', first, at);
    expect(i.resolve(obs({ ips: ['fd00::42'], mac: '00:1B:21:00:00:42' }), at)).toMatchObject({ assetId: 'N', matchedBy: 'mac' });
  });
});

describe('change events', () => {
  const svc = (port: number, state: string, product: string | null = null, version: string | null = null) => ({
    protocol: 'tcp', port, state, reason: null, name: null, product, version, extrainfo: null, ostype: null, devicetype: null, method: null, conf: null, tunnel: null, cpe: [], scripts: null, scriptIds: [],
  });
  const prior = { os: 'Linux 5.x', ips: ['10.0.0.1'], mac: null, status: 'up', services: [{ protocol: 'tcp', port: 22, state: 'open', product: 'OpenSSH', version: '8.9' }, { protocol: 'tcp', port: 80, state: 'open', product: null, version: null }] };

  it('derives opened, closed, version, OS and IP changes with stable ids', () => {
    const o = obs({ ips: ['10.0.0.9'], os: 'Linux 6.x', portsScanned: true, services: [svc(22, 'open', 'OpenSSH', '9.6'), svc(443, 'open')] });
    const ctx = { at, scanned: { tcp: [[1, 1000]] as [number, number][] }, matchedBy: 'mac' };
    const ev = diffObservation('A', prior, o, ctx);
    expect(ev.map((e) => e.type).sort()).toEqual(['ip-changed', 'os-changed', 'port-closed', 'port-opened', 'service-changed']);
    expect(diffObservation('A', prior, o, ctx).map((e) => e.id)).toEqual(ev.map((e) => e.id));
  });
  it('does not read ports outside the scanned range, or a ping scan, as closed', () => {
    const o = obs({ ips: ['10.0.0.1'], portsScanned: true, services: [svc(22, 'open', 'OpenSSH', '8.9')] });
    expect(diffObservation('A', prior, o, { at, scanned: { tcp: [[22, 22]] }, matchedBy: 'mac' })).toEqual([]);
    expect(diffObservation('A', prior, obs({ ips: ['10.0.0.1'] }), { at, scanned: {}, matchedBy: 'ip' })).toEqual([]);
  });
});
