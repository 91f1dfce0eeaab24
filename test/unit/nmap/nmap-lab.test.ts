// Real nmap 7.93 runs against the lab (web .10, pacs .11, modality .12, infer .13, cache .14,
// hl7 .15 on 10.77.0.0/28). Expected values were read from the XML files.
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { parseNmapXmlFile } from '../../../services/discovery/src/nmap/nmap-xml-parser.js';
import type { NmapHost } from '../../../services/discovery/src/nmap/nmap-types.js';

const LAB_DIR = new URL('../../../../shared/fixtures/nmap/lab/', import.meta.url);
const parseLab = (name: string) => parseNmapXmlFile(fileURLToPath(new URL(name, LAB_DIR)));

const LAB_MACS: Record<string, string> = {
  '10.77.0.10': 'FE:F8:2A:A9:C0:68',
  '10.77.0.11': 'D2:3E:FC:63:08:57',
  '10.77.0.12': '32:80:5D:80:DB:50',
  '10.77.0.13': 'F6:B5:B3:E0:06:E1',
  '10.77.0.14': '0A:F4:23:FA:92:4F',
  '10.77.0.15': '9E:D6:0E:57:38:60',
};

const ipOf = (host: NmapHost) => host.addresses.find((a) => a.addrtype === 'ipv4')!.addr;
const macOf = (host: NmapHost) => host.addresses.find((a) => a.addrtype === 'mac');

describe('lab-arp-sweep.xml (-sn -PR over the /28)', () => {
  it('finds the six lab hosts by ARP, plus the scanning bridge itself', async () => {
    const { run, hosts, summary } = await parseLab('lab-arp-sweep.xml');
    expect(run).toEqual({
      scanner: 'nmap',
      version: '7.93',
      xmlOutputVersion: '1.05',
      args: 'nmap -sn -PR -oX lab-arp-sweep.xml 10.77.0.0/28',
      startedAt: '2026-12-04T15:34:39.000Z',
      scanInfo: [], // a ping sweep scans no ports
    });
    expect(hosts.map(ipOf)).toEqual(['10.77.0.10', '10.77.0.11', '10.77.0.12', '10.77.0.13', '10.77.0.14', '10.77.0.15', '10.77.0.1']);
    for (const host of hosts.slice(0, 6)) {
      expect(host).toMatchObject({ status: 'up', statusReason: 'arp-response', ports: [], hostnames: [] });
      // Random, locally administered MACs of veth pairs: nmap knows no vendor, so none is set.
      expect(macOf(host)).toEqual({ addr: LAB_MACS[ipOf(host)], addrtype: 'mac' });
    }
    expect(hosts[6]).toMatchObject({ status: 'up', statusReason: 'localhost-response' });
    expect(macOf(hosts[6]!)).toBeUndefined();
    expect(summary).toEqual({
      finishedAt: '2026-12-04T15:35:06.000Z',
      elapsedSeconds: 27.25,
      exit: 'success',
      summary: 'Nmap done at Fri Dec  4 15:35:06 2026; 16 IP addresses (7 hosts up) scanned in 27.25 seconds',
      hostsUp: 7,
      hostsDown: 9,
      hostsTotal: 16,
      complete: true,
    });
  });
});

describe('lab-top200-connect.xml (-sT -sV --top-ports 200 --script dicom-ping)', () => {
  it('yields one host per <host>, ignoring the six <hosthint> elements', async () => {
    const { run, hosts, summary } = await parseLab('lab-top200-connect.xml');
    expect(run.scanInfo).toHaveLength(1);
    expect(run.scanInfo[0]).toMatchObject({ type: 'connect', protocol: 'tcp', numServices: 200 });
    expect(hosts.map(ipOf)).toEqual(['10.77.0.10', '10.77.0.11', '10.77.0.12', '10.77.0.13', '10.77.0.14', '10.77.0.15']);
    for (const host of hosts) expect(macOf(host)!.addr).toBe(LAB_MACS[ipOf(host)]);
    expect(summary).toMatchObject({ hostsUp: 6, hostsDown: 0, hostsTotal: 6, elapsedSeconds: 19.64, complete: true });
  });

  it('reads the web host: two Python http.server ports with version, CPE and script', async () => {
    const web = (await parseLab('lab-top200-connect.xml')).hosts[0]!;
    expect(web.startTime).toBe('2026-12-04T15:34:33.000Z');
    expect(web.endTime).toBe('2026-12-04T15:34:39.000Z');
    expect(web.extraPorts).toEqual([{ state: 'closed', count: 198 }]);
    expect(web.ports.map((p) => p.portid)).toEqual([80, 8443]);
    for (const port of web.ports) {
      expect(port).toEqual({
        protocol: 'tcp',
        portid: port.portid,
        state: 'open',
        reason: 'syn-ack',
        service: {
          name: 'http',
          product: 'SimpleHTTPServer',
          version: '0.6',
          extrainfo: 'Python 3.11.7',
          method: 'probed',
          conf: 10,
          cpe: ['cpe:/a:python:simplehttpserver:0.6'],
        },
        scripts: [
          { id: 'http-server-header', output: 'SimpleHTTP/0.6 Python/3.11.7', elements: { '1': 'SimpleHTTP/0.6 Python/3.11.7' } },
        ],
      });
    }
  });

  it('finds no open port on pacs, modality, infer, cache or hl7: their ports are not in nmap’s top 200', async () => {
    const { run, hosts } = await parseLab('lab-top200-connect.xml');
    const scanned = run.scanInfo[0]!.services!.split(',');
    // 104 (DICOM), 2575 (HL7 MLLP), 4242 (Orthanc DICOM), 6379 (redis), 8042 (Orthanc HTTP)
    // and 11434 (Ollama) were never probed, so dicom-ping had nothing to run against.
    for (const port of ['104', '2575', '4242', '6379', '8042', '11434']) expect(scanned).not.toContain(port);
    for (const host of hosts.slice(1)) {
      expect(host.ports).toEqual([]);
      expect(host.extraPorts).toEqual([{ state: 'closed', count: 200 }]);
    }
    expect(hosts.flatMap((h) => h.ports.flatMap((p) => p.scripts)).some((s) => s.id === 'dicom-ping')).toBe(false);
  });
});
