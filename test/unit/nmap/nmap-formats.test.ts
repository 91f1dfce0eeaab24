// Output shapes the corpus lacks: masscan, nmap 4.x, failed runs, IPv6, a run with no host up.
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { isMasscanRun, mergeHostsByAddress } from '../../../services/discovery/src/nmap/masscan.js';
import { parseNmapXml } from '../../../services/discovery/src/nmap/nmap-xml-parser.js';
import type { NmapHost, NmapRunInfo, NmapRunSummary } from '../../../services/discovery/src/nmap/nmap-types.js';

async function* once(text: string): AsyncGenerator<string> {
  yield text;
}

async function parseText(text: string): Promise<{ run: NmapRunInfo; hosts: NmapHost[]; summary: NmapRunSummary }> {
  let run: NmapRunInfo | undefined;
  let summary: NmapRunSummary | undefined;
  const hosts: NmapHost[] = [];
  for await (const event of parseNmapXml(once(text))) {
    if (event.type === 'run') run = event.run;
    else if (event.type === 'host') hosts.push(event.host);
    else if (event.type === 'end') summary = event.summary;
  }
  return { run: run!, hosts, summary: summary! };
}

// Shaped exactly as masscan's src/out-xml.c writes it (CRLF, one <host> per finding, no
// <status>, banners as <service banner=...>, "ipv4" even for IPv6 addresses).
const MASSCAN_XML = [
  '<?xml version="1.0"?>',
  '<!-- masscan v1.0 scan -->',
  '<nmaprun scanner="masscan" start="1796398400" version="1.0-BETA"  xmloutputversion="1.03">',
  '<scaninfo type="syn" protocol="tcp" />',
  '<host endtime="1796398401"><address addr="10.77.0.11" addrtype="ipv4"/><ports><port protocol="tcp" portid="4242"><state state="open" reason="syn-ack" reason_ttl="64"/></port></ports></host>',
  '<host endtime="1796398402"><address addr="10.77.0.11" addrtype="ipv4"/><ports><port protocol="tcp" portid="8042"><state state="open" reason="syn-ack" reason_ttl="64"/></port></ports></host>',
  '<host endtime="1796398403"><address addr="10.77.0.11" addrtype="ipv4"/><ports><port protocol="tcp" portid="8042"><state state="open" reason="syn-ack" reason_ttl="64" /><service name="http.server" banner="Orthanc"></service></port></ports></host>',
  '<host endtime="1796398404"><address addr="2001:db8::15" addrtype="ipv4"/><ports><port protocol="tcp" portid="2575"><state state="open" reason="syn-ack" reason_ttl="64"/></port></ports></host>',
  '<host endtime="1796398405"><address addr="10.77.0.12" addrtype="ipv4"/><ports><port protocol="icmp" portid="0"><state state="open" reason="none" reason_ttl="64"/></port></ports></host>',
  '<runstats>',
  '<finished time="1796398410" timestr="2026-12-04 15:33:30" elapsed="10" />',
  '<hosts up="4" down="0" total="4" />',
  '</runstats>',
  '</nmaprun>',
  '',
].join('\r\n');

describe('masscan -oX', () => {
  it('parses masscan records as up hosts with ports, banners and IPv6 fixed up', async () => {
    const { run, hosts, summary } = await parseText(MASSCAN_XML);
    expect(run).toEqual({
      scanner: 'masscan',
      version: '1.0-BETA',
      xmlOutputVersion: '1.03',
      startedAt: '2026-12-04T15:33:20.000Z',
      scanInfo: [{ type: 'syn', protocol: 'tcp' }],
    });
    expect(isMasscanRun(run)).toBe(true);
    expect(hosts).toHaveLength(5);
    expect(hosts.every((h) => h.status === 'up')).toBe(true);
    expect(hosts[0]).toEqual({
      status: 'up',
      endTime: '2026-12-04T15:33:21.000Z',
      addresses: [{ addr: '10.77.0.11', addrtype: 'ipv4' }],
      hostnames: [],
      ports: [{ protocol: 'tcp', portid: 4242, state: 'open', reason: 'syn-ack', scripts: [] }],
      extraPorts: [],
      os: { matches: [], portsUsed: [] },
      hostScripts: [],
    });
    expect(hosts[2]!.ports[0]).toEqual({
      protocol: 'tcp',
      portid: 8042,
      state: 'open',
      reason: 'syn-ack',
      service: { name: 'http.server', cpe: [] },
      scripts: [{ id: 'banner', output: 'Orthanc', elements: { masscanProbe: 'http.server' } }],
    });
    expect(hosts[3]!.addresses).toEqual([{ addr: '2001:db8::15', addrtype: 'ipv6' }]);
    // An ICMP echo reply proves the host is up but is not a port.
    expect(hosts[4]).toMatchObject({ status: 'up', ports: [] });
    expect(summary).toEqual({
      finishedAt: '2026-12-04T15:33:30.000Z',
      elapsedSeconds: 10,
      hostsUp: 4,
      hostsDown: 0,
      hostsTotal: 4,
      complete: true,
    });
  });

  it('merges the per-finding records into one host per address', async () => {
    const merged = mergeHostsByAddress((await parseText(MASSCAN_XML)).hosts);
    expect(merged.map((h) => h.addresses[0]!.addr)).toEqual(['10.77.0.11', '2001:db8::15', '10.77.0.12']);
    const pacs = merged[0]!;
    expect(pacs.endTime).toBe('2026-12-04T15:33:23.000Z');
    expect(pacs.ports.map((p) => [p.portid, p.state, p.service?.name, p.scripts.map((s) => s.output)])).toEqual([
      [4242, 'open', undefined, []],
      [8042, 'open', 'http.server', ['Orthanc']],
    ]);
  });

  it('leaves its input untouched when merging', async () => {
    const { hosts } = await parseText(MASSCAN_XML);
    const before = structuredClone(hosts);
    mergeHostsByAddress(hosts);
    expect(hosts).toEqual(before);
  });
});

describe('nmap 4.x (xmloutputversion 1.01)', () => {
  const NMAP4_XML = `<?xml version="1.0" ?>
<?xml-stylesheet href="/usr/share/nmap/nmap.xsl" type="text/xsl"?>
<!-- Nmap 4.11 scan initiated Thu Nov  9 10:12:11 2006 as: nmap -sV -sU -O -oX - 192.168.0.5 -->
<nmaprun scanner="nmap" args="nmap -sV -sU -O -oX - 192.168.0.5" start="1163063531" startstr="Thu Nov  9 10:12:11 2006" version="4.11" xmloutputversion="1.01">
<scaninfo type="syn" protocol="tcp" numservices="1680" services="1-1027,1029-1033"/>
<scaninfo type="udp" protocol="udp" numservices="1480" services="1-100"/>
<verbose level="0" />
<debugging level="0" />
<host><status state="up" />
<address addr="192.168.0.5" addrtype="ipv4" />
<address addr="00:0C:29:4F:8E:35" addrtype="mac" vendor="VMWare" />
<hostnames><hostname name="pacs.example.org" type="PTR" /></hostnames>
<ports><extraports state="closed" count="3157" />
<port protocol="tcp" portid="22"><state state="open" /><service name="ssh" product="OpenSSH" version="4.3" extrainfo="protocol 2.0" method="probed" conf="10" /></port>
<port protocol="tcp" portid="104"><state state="open" /><service name="acr-nema" method="table" conf="3" /></port>
<port protocol="udp" portid="161"><state state="open|filtered" /></port>
</ports>
<os><portused state="open" proto="tcp" portid="22" />
<portused state="closed" proto="tcp" portid="1" />
<osclass type="general purpose" vendor="Linux" osfamily="Linux" osgen="2.6.X" accuracy="100" />
<osmatch name="Linux 2.6.9 - 2.6.12 (x86)" accuracy="100" />
</os>
<uptime seconds="1186817" lastboot="Thu Oct 26 16:31:54 2006" />
<tcpsequence index="200" class="random positive increments" difficulty="Good luck!" values="A,B" />
</host>
<runstats><finished time="1163063545" timestr="Thu Nov  9 10:12:25 2006"/><hosts up="1" down="0" total="1" />
<!-- Nmap run completed at Thu Nov  9 10:12:25 2006; 1 IP address (1 host up) scanned in 14.211 seconds -->
</runstats></nmaprun>
`;

  it('reads the host, reason-less states, a port without a <service> and old-style OS output', async () => {
    const { run, hosts, summary } = await parseText(NMAP4_XML);
    expect(run).toMatchObject({ version: '4.11', xmlOutputVersion: '1.01', startedAt: '2006-11-09T09:12:11.000Z' });
    expect(run.scanInfo.map((s) => s.protocol)).toEqual(['tcp', 'udp']);
    expect(hosts).toEqual([
      {
        status: 'up',
        addresses: [
          { addr: '192.168.0.5', addrtype: 'ipv4' },
          { addr: '00:0C:29:4F:8E:35', addrtype: 'mac', vendor: 'VMWare' },
        ],
        hostnames: [{ name: 'pacs.example.org', type: 'PTR' }],
        ports: [
          {
            protocol: 'tcp',
            portid: 22,
            state: 'open',
            service: { name: 'ssh', product: 'OpenSSH', version: '4.3', extrainfo: 'protocol 2.0', method: 'probed', conf: 10, cpe: [] },
            scripts: [],
          },
          { protocol: 'tcp', portid: 104, state: 'open', service: { name: 'acr-nema', method: 'table', conf: 3, cpe: [] }, scripts: [] },
          { protocol: 'udp', portid: 161, state: 'open|filtered', scripts: [] },
        ],
        extraPorts: [{ state: 'closed', count: 3157 }],
        os: {
          matches: [{ name: 'Linux 2.6.9 - 2.6.12 (x86)', accuracy: 100, classes: [] }],
          portsUsed: [
            { state: 'open', proto: 'tcp', portid: 22 },
            { state: 'closed', proto: 'tcp', portid: 1 },
          ],
          classes: [{ type: 'general purpose', vendor: 'Linux', osfamily: 'Linux', osgen: '2.6.X', accuracy: 100, cpe: [] }],
        },
        uptime: { seconds: 1186817, lastBoot: 'Thu Oct 26 16:31:54 2006' },
        hostScripts: [],
      },
    ]);
    expect(summary).toEqual({
      finishedAt: '2006-11-09T09:12:25.000Z',
      summary: 'Nmap run completed at Thu Nov  9 10:12:25 2006; 1 IP address (1 host up) scanned in 14.211 seconds',
      hostsUp: 1,
      hostsDown: 0,
      hostsTotal: 1,
      complete: true,
    });
  });
});

describe('a run that failed', () => {
  it('reports exit "error" with nmap’s message', async () => {
    const { run, hosts, summary } = await parseText(`<?xml version="1.0" encoding="UTF-8"?>
<!DOCTYPE nmaprun>
<nmaprun scanner="nmap" args="nmap -e eth9 -oX - 10.77.0.0/28" start="1796398479" startstr="Fri Dec  4 15:34:39 2026" version="7.93" xmloutputversion="1.05">
<verbose level="0"/>
<debugging level="0"/>
<runstats><finished time="1796398479" timestr="Fri Dec  4 15:34:39 2026" summary="Nmap done at Fri Dec  4 15:34:39 2026; 0 IP addresses (0 hosts up) scanned in 0.04 seconds" elapsed="0.04" exit="error" errormsg="Could not find interface eth9 which was specified by -e"/><hosts up="0" down="0" total="0"/>
</runstats>
</nmaprun>
`);
    expect(run.args).toBe('nmap -e eth9 -oX - 10.77.0.0/28');
    expect(hosts).toEqual([]);
    expect(summary).toEqual({
      finishedAt: '2026-12-04T15:34:39.000Z',
      elapsedSeconds: 0.04,
      exit: 'error',
      errorMessage: 'Could not find interface eth9 which was specified by -e',
      summary: 'Nmap done at Fri Dec  4 15:34:39 2026; 0 IP addresses (0 hosts up) scanned in 0.04 seconds',
      hostsUp: 0,
      hostsDown: 0,
      hostsTotal: 0,
      complete: true,
    });
  });
});

describe('hosts and ports the corpus lacks', () => {
  it('reads IPv6 addresses, UDP/SCTP ports, a port without <service>, and every host state', async () => {
    const { hosts } = await parseText(`<nmaprun scanner="nmap" version="7.93">
<host starttime="1796398473" endtime="1796398479"><status state="up" reason="nd-response" reason_ttl="0"/>
<address addr="fd00:77::10" addrtype="ipv6"/><address addr="FE:F8:2A:A9:C0:68" addrtype="mac"/>
<hostnames><hostname name="web.lab" type="user"/><hostname name="web.lab.internal" type="PTR"/></hostnames>
<ports><port protocol="udp" portid="161"><state state="open|filtered" reason="no-response" reason_ttl="0"/></port>
<port protocol="sctp" portid="2905"><state state="open" reason="init-ack" reason_ttl="64"/><service name="m3ua" method="table" conf="3"/></port>
<port protocol="ip" portid="132"><state state="open" reason="proto-response" reason_ttl="64"/><service name="sctp" method="table" conf="3"/></port></ports>
</host>
<host><status state="skipped" reason="user-set"/><address addr="10.77.0.2" addrtype="ipv4"/></host>
<host><status state="unknown"/><address addr="10.77.0.3" addrtype="ipv4"/></host>
<host><status state="weird"/><address addr="10.77.0.4" addrtype="ipv4"/></host>
</nmaprun>`);
    expect(hosts[0]!.addresses).toEqual([
      { addr: 'fd00:77::10', addrtype: 'ipv6' },
      { addr: 'FE:F8:2A:A9:C0:68', addrtype: 'mac' },
    ]);
    expect(hosts[0]!.statusReason).toBe('nd-response');
    expect(hosts[0]!.ports.map((p) => [p.protocol, p.portid, p.state, p.service?.name])).toEqual([
      ['udp', 161, 'open|filtered', undefined],
      ['sctp', 2905, 'open', 'm3ua'],
      ['ip', 132, 'open', 'sctp'],
    ]);
    expect(hosts[0]!.ports[0]).not.toHaveProperty('service');
    expect(hosts.slice(1).map((h) => h.status)).toEqual(['skipped', 'unknown', 'unknown']);
  });

  it('yields only down hosts for a run with 0 hosts up (derived from os_scan6.xml)', async () => {
    const real = readFileSync(fileURLToPath(new URL('../../../../shared/fixtures/nmap/public/os_scan6.xml', import.meta.url)), 'utf8');
    const blocks = real.match(/<host[ >][\s\S]*?<\/host>\n/g)!;
    const downOnly = blocks.filter((b) => b.includes('<status state="down"'));
    const noneUp =
      real.slice(0, real.indexOf(blocks[0]!)) +
      downOnly.join('') +
      `<runstats><finished time="1399586159" elapsed="24.43" exit="success"/><hosts up="0" down="${downOnly.length}" total="${downOnly.length}"/>\n</runstats>\n</nmaprun>\n`;
    const { hosts, summary } = await parseText(noneUp);
    expect(hosts).toHaveLength(253);
    expect(hosts.filter((h) => h.status === 'up')).toEqual([]);
    expect(hosts[0]).toEqual({
      status: 'down',
      statusReason: 'no-response',
      addresses: [{ addr: '192.168.1.0', addrtype: 'ipv4' }],
      hostnames: [],
      ports: [],
      extraPorts: [],
      os: { matches: [], portsUsed: [] },
      hostScripts: [],
    });
    expect(summary).toMatchObject({ hostsUp: 0, hostsDown: 253, complete: true });
  });
});
