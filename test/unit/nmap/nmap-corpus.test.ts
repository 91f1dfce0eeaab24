// The public corpus (python-libnmap's test files, nmap 5.21 to 7.91, xmloutputversion 1.03 to
// 1.05) read as an outsider: every expected value below was read from the XML files themselves.
import { readdirSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { parseNmapXmlFile } from '../../../services/discovery/src/nmap/nmap-xml-parser.js';
import type { NmapHost, NmapPort } from '../../../services/discovery/src/nmap/nmap-types.js';

const PUBLIC_DIR = new URL('../../../../shared/fixtures/nmap/public/', import.meta.url);
const LAB_DIR = new URL('../../../../shared/fixtures/nmap/lab/', import.meta.url);
const ATTACK_FILES = new Set(['defused_et_included.xml', 'defused_et_local_includer.xml']);

const parsePublic = (name: string) => parseNmapXmlFile(fileURLToPath(new URL(name, PUBLIC_DIR)));

function hostAt(hosts: NmapHost[], addr: string): NmapHost {
  const host = hosts.find((h) => h.addresses.some((a) => a.addr === addr));
  if (!host) throw new Error(`no host ${addr}`);
  return host;
}

function portOf(host: NmapHost, portid: number, protocol: NmapPort['protocol'] = 'tcp'): NmapPort {
  const port = host.ports.find((p) => p.portid === portid && p.protocol === protocol);
  if (!port) throw new Error(`no port ${protocol}/${portid}`);
  return port;
}

const scriptOf = (port: NmapPort, id: string) => port.scripts.find((s) => s.id === id);

describe('every fixture except the two attack files parses', () => {
  const files = [
    ...readdirSync(PUBLIC_DIR).filter((f) => f.endsWith('.xml') && !ATTACK_FILES.has(f)).map((f) => new URL(f, PUBLIC_DIR)),
    ...readdirSync(LAB_DIR).filter((f) => f.endsWith('.xml')).map((f) => new URL(f, LAB_DIR)),
  ];

  it('finds the 26 scans (24 public + 2 lab)', () => {
    expect(files).toHaveLength(26);
  });

  it.each(files.map((url) => [url.pathname.split('/').at(-1)!, url] as const))('%s', async (_name, url) => {
    const { run, hosts, summary } = await parseNmapXmlFile(fileURLToPath(url));
    expect(run.scanner).toBe('nmap');
    expect(hosts.length).toBeGreaterThan(0);
    // No fixture is truncated: each closes </nmaprun> after <runstats>, and nmap's own count
    // of up hosts matches what we yielded (down hosts are listed only by some scan types).
    expect(summary.complete).toBe(true);
    expect(hosts.filter((h) => h.status === 'up')).toHaveLength(summary.hostsUp!);
    expect(hosts.length).toBeLessThanOrEqual(summary.hostsTotal!);
    // Plain data: survives a JSON round trip unchanged.
    expect(JSON.parse(JSON.stringify(hosts))).toEqual(hosts);
  });
});

describe('1_hosts.xml (nmap 5.51 connect scan of localhost)', () => {
  it('reads run info, scaninfo, the host, its hostnames and ports, and runstats', async () => {
    const { run, hosts, summary } = await parsePublic('1_hosts.xml');
    expect(run).toMatchObject({
      scanner: 'nmap',
      version: '5.51',
      xmlOutputVersion: '1.03',
      args: 'nmap -sT -vv -oX 1_hosts.xml localhost',
      startedAt: '2013-02-24T20:39:37.000Z',
    });
    expect(run.scanInfo).toHaveLength(1);
    expect(run.scanInfo[0]).toMatchObject({ type: 'connect', protocol: 'tcp', numServices: 1000 });
    expect(run.scanInfo[0]!.services).toMatch(/^1,3-4,6-7,9,13,/);

    expect(hosts).toHaveLength(1);
    const host = hosts[0]!;
    expect(host.status).toBe('up');
    expect(host.statusReason).toBe('localhost-response');
    expect(host.startTime).toBe('2013-02-24T20:39:37.000Z');
    expect(host.addresses).toEqual([{ addr: '127.0.0.1', addrtype: 'ipv4' }]);
    expect(host.hostnames).toEqual([
      { name: 'localhost', type: 'user' },
      { name: 'localhost', type: 'PTR' },
    ]);
    expect(host.extraPorts).toEqual([{ state: 'closed', count: 995 }]);
    expect(host.ports.map((p) => [p.portid, p.state, p.service?.name])).toEqual([
      [22, 'open', 'ssh'],
      [25, 'open', 'smtp'],
      [111, 'open', 'rpcbind'],
      [631, 'open', 'ipp'],
      [3306, 'open', 'mysql'],
    ]);
    expect(portOf(host, 22)).toEqual({
      protocol: 'tcp',
      portid: 22,
      state: 'open',
      reason: 'syn-ack',
      service: { name: 'ssh', method: 'table', conf: 3, cpe: [] },
      scripts: [],
    });

    expect(summary).toEqual({
      finishedAt: '2013-02-24T20:39:37.000Z',
      elapsedSeconds: 0.14,
      exit: 'success',
      summary: 'Nmap done at Sun Feb 24 21:39:37 2013; 1 IP address (1 host up) scanned in 0.14 seconds',
      hostsUp: 1,
      hostsDown: 0,
      hostsTotal: 1,
      complete: true,
    });
  });

  it('sees the port changes between 1_hosts.xml and 1_hosts_diff.xml', async () => {
    const before = (await parsePublic('1_hosts.xml')).hosts[0]!;
    const after = (await parsePublic('1_hosts_diff.xml')).hosts[0]!;
    expect(portOf(before, 3306).state).toBe('open');
    expect(portOf(after, 3306).state).toBe('filtered');
  });
});

describe('1_os_banner_scripts.xml (nmap 5.51 -sV -O with scripts)', () => {
  it('keeps product, version, extrainfo and the hostname nmap gave a service', async () => {
    const host = (await parsePublic('1_os_banner_scripts.xml')).hosts[0]!;
    expect(portOf(host, 22).service).toEqual({
      name: 'ssh',
      product: 'OpenSSH',
      version: '5.3',
      extrainfo: 'protocol 2.0',
      method: 'probed',
      conf: 10,
      cpe: [],
    });
    // Kept exactly as nmap wrote it, leading space included.
    expect(portOf(host, 25).service).toMatchObject({ product: 'Postfix smtpd', hostname: ' bouteille.localdomain' });
    expect(portOf(host, 80).service).toMatchObject({ product: 'Apache httpd', version: '2.2.15', extrainfo: '(CentOS) PHP/5.3.3' });
    expect(portOf(host, 111).service).toMatchObject({ name: 'rpcbind', version: '2-4', extrainfo: 'rpc #100000' });
    expect(portOf(host, 8080).service).toMatchObject({ name: 'tcpwrapped', conf: 8 });
  });

  it('keeps port scripts in order with their decoded multi-line output', async () => {
    const host = (await parsePublic('1_os_banner_scripts.xml')).hosts[0]!;
    expect(portOf(host, 80).scripts.map((s) => s.id)).toEqual(['http-methods', 'http-headers']);
    expect(scriptOf(portOf(host, 80), 'http-methods')).toEqual({
      id: 'http-methods',
      output: 'GET HEAD POST OPTIONS TRACE\nPotentially risky methods: TRACE\nSee http://nmap.org/nsedoc/scripts/http-methods.html',
    });
    expect(scriptOf(portOf(host, 631), 'http-headers')!.output).toContain('Server: CUPS/1.4');
    expect(scriptOf(portOf(host, 8080), 'http-headers')!.output).toContain('X-Jenkins: 1.508');
  });

  it('puts pre-1.04 <osclass> (beside, not inside, <osmatch>) in os.classes', async () => {
    const host = (await parsePublic('1_os_banner_scripts.xml')).hosts[0]!;
    expect(host.os.matches).toEqual([]);
    expect(host.os.classes).toHaveLength(9);
    expect(host.os.classes![0]).toEqual({ type: 'WAP', vendor: 'Netgear', osfamily: 'embedded', accuracy: 96, cpe: [] });
    expect(host.os.classes![1]).toEqual({
      type: 'general purpose',
      vendor: 'Linux',
      osfamily: 'Linux',
      osgen: '2.6.X',
      accuracy: 96,
      cpe: [],
    });
    expect(host.os.portsUsed).toEqual([
      { state: 'open', proto: 'tcp', portid: 22 },
      { state: 'closed', proto: 'tcp', portid: 1 },
      { state: 'closed', proto: 'udp', portid: 31666 },
    ]);
    expect(host.uptime).toEqual({ seconds: 241792, lastBoot: 'Tue May  7 10:21:54 2013' });
    expect(host.distance).toBe(0);
  });
});

describe('test_osclass.xml (nmap 6.47, osclass nested in osmatch)', () => {
  it('reads the OS match with its class and CPE', async () => {
    const host = (await parsePublic('test_osclass.xml')).hosts[0]!;
    expect(host.addresses).toEqual([{ addr: 'IP', addrtype: 'ipv4' }]); // anonymised in the file
    expect(host.os.matches).toEqual([
      {
        name: 'Linux 3.7 - 3.15',
        accuracy: 100,
        classes: [
          { type: 'general purpose', vendor: 'Linux', osfamily: 'Linux', osgen: '3.X', accuracy: 100, cpe: ['cpe:/o:linux:linux_kernel:3'] },
        ],
      },
    ]);
    expect(host.os.classes).toBeUndefined();
    expect(host.uptime).toEqual({ seconds: 2496, lastBoot: 'Wed Nov 26 09:41:13 2014' });
    expect(host.ports.map((p) => p.portid)).toEqual([22, 53, 80, 631, 3306, 8000, 9418]);
  });
});

describe('full_sudo6.xml (nmap 6.40 -A over a /24)', () => {
  it('yields all 256 hosts, 4 up and 252 down', async () => {
    const { hosts, summary } = await parsePublic('full_sudo6.xml');
    expect(hosts).toHaveLength(256);
    expect(hosts.filter((h) => h.status === 'up').map((h) => h.addresses[0]!.addr)).toEqual([
      '192.168.1.1',
      '192.168.1.2',
      '192.168.1.5',
      '192.168.1.3',
    ]);
    expect(hosts.filter((h) => h.status === 'down')).toHaveLength(252);
    expect(hostAt(hosts, '192.168.1.0')).toMatchObject({ status: 'down', statusReason: 'no-response', ports: [] });
    expect(summary).toMatchObject({ hostsUp: 4, hostsDown: 252, hostsTotal: 256, elapsedSeconds: 155.75, exit: 'success' });
  });

  it('reads MAC addresses with their vendors', async () => {
    const { hosts } = await parsePublic('full_sudo6.xml');
    expect(hostAt(hosts, '192.168.1.1').addresses).toEqual([
      { addr: '192.168.1.1', addrtype: 'ipv4' },
      { addr: '6C:2E:85:19:AF:00', addrtype: 'mac', vendor: 'Sagemcom' },
    ]);
    expect(hostAt(hosts, '192.168.1.2').addresses[1]).toEqual({ addr: 'C0:63:94:05:01:03', addrtype: 'mac', vendor: 'Apple' });
    expect(hostAt(hosts, '192.168.1.5').addresses[1]).toEqual({ addr: '00:1F:3C:87:66:50', addrtype: 'mac', vendor: 'Intel Corporate' });
    expect(hostAt(hosts, '192.168.1.3').addresses).toEqual([{ addr: '192.168.1.3', addrtype: 'ipv4' }]);
  });

  it('reads services with CPE, device type and SSL tunnels', async () => {
    const { hosts } = await parsePublic('full_sudo6.xml');
    const router = hostAt(hosts, '192.168.1.1');
    expect(portOf(router, 23).service).toEqual({
      name: 'telnet',
      product: 'Sagem router telnetd',
      devicetype: 'router',
      method: 'probed',
      conf: 10,
      cpe: [],
    });
    expect(portOf(router, 992).service).toMatchObject({ name: 'telnet', tunnel: 'ssl' });
    expect(portOf(hostAt(hosts, '192.168.1.5'), 2869).service).toEqual({
      name: 'http',
      product: 'Microsoft HTTPAPI httpd',
      version: '2.0',
      extrainfo: 'SSDP/UPnP',
      ostype: 'Windows',
      method: 'probed',
      conf: 10,
      cpe: ['cpe:/o:microsoft:windows'],
    });
    expect(portOf(hostAt(hosts, '192.168.1.3'), 88).service).toMatchObject({
      product: 'Heimdal Kerberos',
      cpe: ['cpe:/a:heimdal:kerberos'],
    });
  });

  it('reads OS matches with accuracy, classes and CPEs, uptime and distance', async () => {
    const { hosts } = await parsePublic('full_sudo6.xml');
    const windows = hostAt(hosts, '192.168.1.5');
    expect(windows.os.matches.map((m) => [m.name, m.accuracy])).toEqual([
      ['Microsoft Windows Server 2008 Beta 3', 100],
      ['Microsoft Windows 7 Professional', 100],
      ['Microsoft Windows Phone 7.5', 100],
      ['Microsoft Windows Vista SP0 or SP1, Windows Server 2008 SP1, or Windows 7', 100],
      ['Microsoft Windows Vista SP2, Windows 7 SP1, or Windows Server 2008', 100],
    ]);
    expect(windows.os.matches[3]!.classes.map((c) => c.cpe)).toEqual([
      ['cpe:/o:microsoft:windows_vista::-', 'cpe:/o:microsoft:windows_vista::sp1'],
      ['cpe:/o:microsoft:windows_server_2008::sp1'],
      ['cpe:/o:microsoft:windows_7'],
    ]);
    expect(windows.distance).toBe(1);
    expect(windows.uptime).toBeUndefined();

    const mac = hostAt(hosts, '192.168.1.3');
    expect(mac.os.matches[0]!.classes.map((c) => c.osfamily)).toEqual(['Mac OS X', 'iOS', 'iOS']);
    expect(mac.uptime).toEqual({ seconds: 1026688, lastBoot: 'Sun Apr 27 02:51:59 2014' });
    expect(mac.distance).toBe(0);

    const router = hostAt(hosts, '192.168.1.1');
    expect(router.os.matches).toEqual([
      {
        name: 'Linux 2.6.13 (embedded)',
        accuracy: 100,
        classes: [
          { type: 'WAP', vendor: 'Linux', osfamily: 'Linux', osgen: '2.6.X', accuracy: 100, cpe: ['cpe:/o:linux:linux_kernel:2.6.13'] },
        ],
      },
    ]);
    expect(router.uptime).toEqual({ seconds: 1989200, lastBoot: 'Tue Apr 15 23:29:51 2014' });
  });

  it('flattens NSE tables: keyed into objects, lists into arrays', async () => {
    const router = hostAt((await parsePublic('full_sudo6.xml')).hosts, '192.168.1.1');
    const https = portOf(router, 443);
    expect(scriptOf(https, 'http-title')).toEqual({ id: 'http-title', output: 'Belgacom', elements: { title: 'Belgacom' } });
    expect(scriptOf(https, 'ssl-date')!.elements).toEqual({ delta: '7198', date: '2014-05-09T00:02:38+00:00' });
    const sslv2 = scriptOf(https, 'sslv2')!.elements!;
    expect(sslv2['1']).toBe('SSLv2 supported'); // an unkeyed top-level elem keeps its Lua index
    expect(sslv2.ciphers).toHaveLength(8);
    expect((sslv2.ciphers as string[])[0]).toBe('SSL2_DES_192_EDE3_CBC_WITH_MD5');
    expect(scriptOf(https, 'ssl-cert')!.elements).toMatchObject({
      subject: { commonName: 'ORname_Jungo: OpenRG Products Group', countryName: 'US' },
      pubkey: { type: 'rsa', bits: '1024' },
      validity: { notBefore: '2004-06-03T10:11:43+00:00', notAfter: '2024-05-29T10:11:43+00:00' },
    });
  });
});

describe('full_sudo5.xml and os_scan5.xml (nmap 5.21, xmloutputversion 1.03)', () => {
  it('takes the run summary from the comment when <finished> has none, and leaves exit unset', async () => {
    const { run, summary } = await parsePublic('full_sudo5.xml');
    expect(run).toMatchObject({ version: '5.21', xmlOutputVersion: '1.03' });
    expect(summary).toEqual({
      finishedAt: '2014-05-08T22:05:21.000Z',
      elapsedSeconds: 192.37,
      summary: 'Nmap done at Fri May  9 00:05:21 2014; 256 IP addresses (4 hosts up) scanned in 192.37 seconds',
      hostsUp: 4,
      hostsDown: 252,
      hostsTotal: 256,
      complete: true,
    });
  });

  it('reads old-style OS output: classes beside name-only matches', async () => {
    const { hosts } = await parsePublic('os_scan5.xml');
    const router = hostAt(hosts, '192.168.1.1');
    expect(router.os.matches).toEqual([
      { name: 'Chumby Internet radio', accuracy: 100, classes: [] },
      { name: 'Linux 2.6.9 - 2.6.30', accuracy: 100, classes: [] },
    ]);
    expect(router.os.classes).toEqual([
      { type: 'media device', vendor: 'Chumby', osfamily: 'embedded', accuracy: 100, cpe: [] },
      { type: 'general purpose', vendor: 'Linux', osfamily: 'Linux', osgen: '2.6.X', accuracy: 100, cpe: [] },
    ]);
    expect(router.addresses[1]).toEqual({ addr: '6C:2E:85:19:AF:00', addrtype: 'mac' }); // 5.21 knew no vendor
    expect(hostAt(hosts, '192.168.1.5').addresses[1]).toEqual({ addr: '00:1F:3C:87:66:50', addrtype: 'mac', vendor: 'Intel Corporate' });
    expect(hostAt(hosts, '192.168.1.4').uptime).toEqual({ seconds: 7644, lastBoot: 'Thu May  8 21:51:50 2014' });
  });

  it('keeps a port whose service nmap could not identify (servicefp only)', async () => {
    const router = hostAt((await parsePublic('full_sudo5.xml')).hosts, '192.168.1.1');
    expect(portOf(router, 80).service).toEqual({ name: 'unknown', method: 'table', conf: 0, cpe: [] });
    expect(scriptOf(portOf(router, 443), 'sslv2')!.output).toBe('server still supports SSLv2\n');
  });
});

describe('fullscan.xml (nmap 6.40 -A, not root: no OS detection)', () => {
  it('yields 2 up and 254 down hosts, no OS data', async () => {
    const { hosts } = await parsePublic('fullscan.xml');
    expect(hosts.filter((h) => h.status === 'up').map((h) => h.addresses[0]!.addr)).toEqual(['192.168.1.1', '192.168.1.4']);
    expect(hosts.filter((h) => h.status === 'down')).toHaveLength(254);
    expect(hostAt(hosts, '192.168.1.4').os).toEqual({ matches: [], portsUsed: [] });
  });

  it('reads rpcinfo and ssh-hostkey structured output', async () => {
    const ubuntu = hostAt((await parsePublic('fullscan.xml')).hosts, '192.168.1.4');
    expect(portOf(ubuntu, 22).service).toMatchObject({
      product: 'OpenSSH',
      version: '5.9p1 Debian 5ubuntu1',
      extrainfo: 'Ubuntu Linux; protocol 2.0',
      cpe: ['cpe:/a:openbsd:openssh:5.9p1', 'cpe:/o:linux:linux_kernel'],
    });
    expect(scriptOf(portOf(ubuntu, 111), 'rpcinfo')!.elements).toEqual({
      '100000': { tcp: { version: ['2', '3', '4'], port: '111' }, udp: { version: ['2', '3', '4'], port: '111' } },
      '100024': { udp: { version: ['1'], port: '43760' }, tcp: { version: ['1'], port: '40358' } },
    });
    const hostkeys = scriptOf(portOf(ubuntu, 22), 'ssh-hostkey')!.elements!;
    expect(hostkeys['1']).toMatchObject({ fingerprint: '6860dec22bc616d85b88bee3cca12575', type: 'ssh-dss', bits: '1024' });
    expect(hostkeys['2']).toMatchObject({ fingerprint: '50db75ba112f43c9ab14406d7fa1eee3' });
  });
});

describe('2_hosts_version.xml and friends (nmap 5.51, two targets)', () => {
  it('reads scanme.nmap.org: filtered port reason, 10 OS guesses, distance 14', async () => {
    const { hosts } = await parsePublic('2_hosts_version.xml');
    const scanme = hostAt(hosts, '74.207.244.221');
    expect(scanme.hostnames).toEqual([
      { name: 'scanme.nmap.org', type: 'user' },
      { name: 'scanme.nmap.org', type: 'PTR' },
    ]);
    expect(scanme.statusReason).toBe('echo-reply');
    expect(portOf(scanme, 25)).toMatchObject({ state: 'filtered', reason: 'admin-prohibited' });
    expect(scanme.os.matches).toHaveLength(10);
    expect(scanme.os.matches[0]).toEqual({ name: 'Netgear DG834G WAP', accuracy: 92, classes: [] });
    expect(scanme.os.classes).toHaveLength(16);
    expect(scanme.uptime).toEqual({ seconds: 23138, lastBoot: 'Sun Feb 24 15:04:52 2013' });
    expect(scanme.distance).toBe(14);
  });

  it('sees the changed ports between 2_hosts.xml and 2_hosts_achange.xml', async () => {
    const ports = async (file: string) =>
      hostAt((await parsePublic(file)).hosts, '127.0.0.1').ports.map((p) => `${p.portid}:${p.state}`);
    expect(await ports('2_hosts.xml')).toEqual(['22:open', '25:open', '111:open', '631:open', '3306:open']);
    expect(await ports('2_hosts_achange.xml')).toEqual(['22:open', '23:open', '25:closed', '631:open', '3306:open']);
  });

  it('reads NULL-scan open|filtered extraports', async () => {
    const { hosts } = await parsePublic('2_null_hosts.xml');
    expect(hosts.map((h) => h.extraPorts)).toEqual([[{ state: 'open|filtered', count: 1000 }], [{ state: 'open|filtered', count: 1000 }]]);
  });
});

describe('small single-host files', () => {
  it('1_host_ping.xml and its MAC-changed twin differ only in the MAC', async () => {
    const ping = (await parsePublic('1_host_ping.xml')).hosts[0]!;
    const changed = (await parsePublic('diff_1_host_ping_mac_changed.xml')).hosts[0]!;
    expect(ping.addresses).toEqual([
      { addr: '172.28.1.3', addrtype: 'ipv4' },
      { addr: '02:42:AC:1C:01:03', addrtype: 'mac' },
    ]);
    expect(ping.hostnames).toEqual([
      { name: 'dionaea', type: 'user' },
      { name: 'dionaea.honeynet_testing_net', type: 'PTR' },
    ]);
    expect(ping.statusReason).toBe('arp-response');
    expect(ping.startTime).toBeUndefined(); // -sP writes no host times
    expect(changed.addresses[1]!.addr).toBe('02:42:AC:1C:01:04');
    expect({ ...changed, addresses: [] }).toEqual({ ...ping, addresses: [] });
  });

  it('1_hosts_down.xml is, despite its name, an up host with every port filtered', async () => {
    const { hosts, summary } = await parsePublic('1_hosts_down.xml');
    expect(hosts).toHaveLength(1);
    expect(hosts[0]).toMatchObject({ status: 'up', statusReason: 'reset', ports: [], extraPorts: [{ state: 'filtered', count: 1000 }] });
    expect(hosts[0]!.addresses).toEqual([{ addr: '10.1.1.1', addrtype: 'ipv4' }]);
    expect(summary.hostsUp).toBe(1);
  });

  it('1_hosts_nohostname.xml: no hostnames, two filtered ports', async () => {
    const host = (await parsePublic('1_hosts_nohostname.xml')).hosts[0]!;
    expect(host.hostnames).toEqual([]);
    expect(host.ports.map((p) => [p.portid, p.state, p.reason])).toEqual([
      [22, 'filtered', 'no-response'],
      [80, 'filtered', 'no-response'],
    ]);
  });
});

describe('dionaea_scan.xml and extra_ports.xml (nmap 7.91, all ports, default+safe scripts)', () => {
  it('reads 16 services including product, device type, version and CPE', async () => {
    const { hosts } = await parsePublic('dionaea_scan.xml');
    expect(hosts).toHaveLength(1); // the <hosthint> before the host is not a second host
    const honeypot = hosts[0]!;
    expect(honeypot.ports).toHaveLength(16);
    expect(portOf(honeypot, 21).service).toEqual({
      name: 'ftp',
      product: 'Synology DiskStation NAS ftpd',
      devicetype: 'storage-misc',
      method: 'probed',
      conf: 10,
      cpe: [],
    });
    expect(portOf(honeypot, 3306).service).toMatchObject({ product: 'MySQL', version: '5.7.16', cpe: ['cpe:/a:mysql:mysql:5.7.16'] });
    expect(portOf(honeypot, 11211).service).toMatchObject({ product: 'Memcached', version: '1.4.25', extrainfo: 'uptime 132 seconds' });
    // product="" and hostname="" in the file are absent here, not empty strings.
    expect(portOf(honeypot, 1723).service).toEqual({ name: 'pptp', version: '(Firmware: 1)', method: 'probed', conf: 10, cpe: [] });
  });

  it('reads port scripts with nested tables (vulners, mysql-info, ssl-cert)', async () => {
    const honeypot = (await parsePublic('dionaea_scan.xml')).hosts[0]!;
    expect(scriptOf(portOf(honeypot, 21), 'banner')!.output).toBe('220 DiskStation FTP server ready.');
    const vulners = scriptOf(portOf(honeypot, 11211), 'vulners')!.elements!;
    const findings = vulners['cpe:/a:memcached:memcached:1.4.25'] as Record<string, string>[];
    expect(findings).toHaveLength(6);
    expect(findings[0]).toEqual({ type: 'cve', cvss: '7.5', is_exploit: 'false', id: 'CVE-2016-8705' });
    expect(scriptOf(portOf(honeypot, 3306), 'mysql-info')!.elements).toMatchObject({
      Version: '5.7.16',
      'Some Capabilities': ['ConnectWithDatabase', 'SupportsCompression', 'LongColumnFlag', 'Support41Auth', 'SupportsTransactions', 'Speaks41ProtocolNew'],
    });
    const cert = scriptOf(portOf(honeypot, 443), 'ssl-cert')!.elements!;
    expect(cert.subject).toMatchObject({ commonName: 'Nepenthes Development Team', countryName: 'DE' });
    expect(cert.extensions).toEqual([
      { name: 'Netscape Cert Type', value: 'SSL Server' },
      { name: 'Netscape SSL Server Name', value: 'localhost' },
    ]);
  });

  it('reads host scripts, OS, uptime and distance', async () => {
    const honeypot = (await parsePublic('dionaea_scan.xml')).hosts[0]!;
    const clockSkew = honeypot.hostScripts.find((s) => s.id === 'clock-skew');
    expect(clockSkew).toEqual({
      id: 'clock-skew',
      output: 'mean: -35m03s, deviation: 42m12s, median: -1h04m54s',
      elements: { mean: '-2103', count: '2', median: '-3894', stddev: '2532' },
    });
    const pulsar = honeypot.hostScripts.find((s) => s.id === 'smb-double-pulsar-backdoor')!;
    expect(pulsar.elements).toMatchObject({ 'NMAP-3': { state: 'VULNERABLE', title: 'Double Pulsar SMB Backdoor' } });
    expect(honeypot.os.matches).toEqual([
      {
        name: 'Linux 4.15 - 5.6',
        accuracy: 100,
        classes: [
          { type: 'general purpose', vendor: 'Linux', osfamily: 'Linux', osgen: '4.X', accuracy: 100, cpe: ['cpe:/o:linux:linux_kernel:4'] },
          { type: 'general purpose', vendor: 'Linux', osfamily: 'Linux', osgen: '5.X', accuracy: 100, cpe: ['cpe:/o:linux:linux_kernel:5'] },
        ],
      },
    ]);
    expect(honeypot.uptime).toEqual({ seconds: 4190117, lastBoot: 'Mon Oct  5 05:19:16 2020' });
    expect(honeypot.distance).toBe(1);
  });

  it('extra_ports.xml keeps both <extraports> groups', async () => {
    const host = (await parsePublic('extra_ports.xml')).hosts[0]!;
    expect(host.extraPorts).toEqual([
      { state: 'closed', count: 65509 },
      { state: 'unknown', count: 10 },
    ]);
  });
});
