import type { TestApp } from '../../helpers/app.js';

export async function waitForJob(t: TestApp, jobId: string, timeoutMs = 60_000): Promise<{ state: string; result?: unknown; error?: unknown }> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    const res = await t.app.inject({ method: 'GET', url: `/api/v1/jobs/${jobId}`, headers: t.auth('viewer') });
    if (res.statusCode === 200) {
      const body = res.json();
      if (['completed', 'failed', 'cancelled'].includes(body.state)) return body;
    }
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error(`job ${jobId} did not finish`);
}

export async function assetIdByIp(t: TestApp, ip: string): Promise<string> {
  const res = await t.app.inject({ method: 'GET', url: `/api/v1/assets?q=${encodeURIComponent(ip)}`, headers: t.auth('viewer') });
  const items = res.json().items as { id: string; ips: string[] }[];
  const hit = items.find((i) => i.ips.includes(ip));
  if (!hit) throw new Error(`no asset with ${ip}`);
  return hit.id;
}

const script = (id: string, lines: string[]) =>
  `<script id="${id}" output="${lines.map((l) => `&#xa;  ${l}`).join('')}">${lines.map((l) => `<elem key="${l.split(':')[0]}">${l.split(': ').slice(1).join(': ')}</elem>`).join('')}</script>`;

function port(p: number, name: string, product: string | null, scripts = ''): string {
  return `<port protocol="tcp" portid="${p}"><state state="open" reason="syn-ack" reason_ttl="0"/><service name="${name}"${product ? ` product="${product}"` : ''} method="${product ? 'probed' : 'table'}" conf="${product ? 10 : 3}"/>${scripts}</port>`;
}

function host(ip: string, name: string, ports: string[]): string {
  return `<host starttime="1764864000" endtime="1764864005"><status state="up" reason="syn-ack" reason_ttl="0"/>
<address addr="${ip}" addrtype="ipv4"/><hostnames><hostname name="${name}" type="user"/></hostnames>
<ports>${ports.join('')}</ports></host>`;
}

/** A small lab scan with DICOM (Orthanc and a storescp modality, with dicom-ping) and an unidentified service on 11434. */
export function healthcareLabXml(ips: { pacs: string; modality: string; inference: string }): string {
  const ping = script('dicom-ping', ['dicom: DICOM Service Provider discovered!', 'config: Called AET check enabled']);
  return `<?xml version="1.0" encoding="UTF-8"?>
<!DOCTYPE nmaprun>
<nmaprun scanner="nmap" args="nmap -sT -sV -p 104,4242,8042,11434 --script dicom-ping -oX - ${ips.pacs} ${ips.modality} ${ips.inference}" start="1764864000" startstr="Fri Dec  4 16:00:00 2026" version="7.93" xmloutputversion="1.05">
<scaninfo type="connect" protocol="tcp" numservices="4" services="104,4242,8042,11434"/>
<verbose level="0"/><debugging level="0"/>
${host(ips.pacs, 'pacs-lab', [port(4242, 'dicom', 'Orthanc', ping), port(8042, 'http', 'Orthanc')])}
${host(ips.modality, 'modality-lab', [port(104, 'dicom', null, ping)])}
${host(ips.inference, 'inference-lab', [port(11434, 'unknown', null)])}
<runstats><finished time="1764864010" timestr="Fri Dec  4 16:00:10 2026" elapsed="10.00" summary="Nmap done; 3 IP addresses (3 hosts up)" exit="success"/><hosts up="3" down="0" total="3"/></runstats>
</nmaprun>
`;
}

/** An nmap run that only names a host (a PTR record), with no ports: how a public endpoint gets its name. */
export function namedHostXml(ip: string, name: string): string {
  return `<?xml version="1.0" encoding="UTF-8"?>
<!DOCTYPE nmaprun>
<nmaprun scanner="nmap" args="nmap -sn ${ip}" start="1764864000" startstr="Fri Dec  4 16:00:00 2026" version="7.93" xmloutputversion="1.05">
<host><status state="up" reason="user-set" reason_ttl="0"/><address addr="${ip}" addrtype="ipv4"/><hostnames><hostname name="${name}" type="PTR"/></hostnames></host>
<runstats><finished time="1764864001" timestr="Fri Dec  4 16:00:01 2026" elapsed="1.00" summary="Nmap done; 1 IP address (1 host up)" exit="success"/><hosts up="1" down="0" total="1"/></runstats>
</nmaprun>
`;
}
