import type { NmapHost, NmapPort } from '../../../discovery/src/nmap/nmap-types.js';

/**
 * "St. Demo Regional Hospital": a small, fictitious network that shows every feature. All names
 * end in .demo.example and every asset is marked demo=true; ATLAS_DEMO=0 turns it off. These
 * addresses are data only: nothing ever scans them.
 */
const DOMAIN = 'demo.example';

function port(portid: number, name: string, product?: string, version?: string, scripts: NmapPort['scripts'] = []): NmapPort {
  return { protocol: 'tcp', portid, state: 'open', reason: 'syn-ack', service: { name, product, version, method: 'probed', conf: 10, cpe: [] }, scripts };
}

function host(ip: string, mac: string | null, vendor: string | null, name: string, os: string | null, ports: NmapPort[]): NmapHost {
  return {
    status: 'up',
    addresses: [{ addr: ip, addrtype: 'ipv4' }, ...(mac ? [{ addr: mac, addrtype: 'mac' as const, ...(vendor ? { vendor } : {}) }] : [])],
    hostnames: [{ name: `${name}.${DOMAIN}`, type: 'PTR' }],
    ports,
    extraPorts: [],
    os: { matches: os ? [{ name: os, accuracy: 96, classes: [] }] : [], portsUsed: [] },
    hostScripts: [],
  };
}

const dicom = (product: string) => port(104, 'dicom', product, undefined, [{ id: 'dicom-ping', output: '\n  dicom: DICOM Service Provider discovered!\n  config: Any AET is accepted (Insecure)' }]);

export function demoHosts(): NmapHost[] {
  return [
    // Clinical data centre
    host('10.20.1.10', '00:50:56:A1:10:10', 'VMware', 'pacs01', 'Linux 5.15', [port(4242, 'dicom', 'Orthanc'), port(8042, 'http', 'Orthanc', '1.10.1')]),
    host('10.20.1.11', '00:50:56:A1:10:11', 'VMware', 'ehr-app01', 'Windows Server 2019', [port(443, 'https', 'Microsoft IIS httpd', '10.0')]),
    host('10.20.1.12', '00:50:56:A1:10:12', 'VMware', 'ehr-db01', 'Windows Server 2019', [port(1433, 'ms-sql-s', 'Microsoft SQL Server 2019', '15.00.2000')]),
    host('10.20.1.13', '00:50:56:A1:10:13', 'VMware', 'hl7-engine01', 'Linux 5.4', [port(2575, 'hl7', 'Mirth Connect MLLP'), port(8443, 'https', 'Mirth Connect', '4.4.0')]),
    host('10.20.1.14', '00:50:56:A1:10:14', 'VMware', 'fhir01', 'Linux 5.15', [port(443, 'https', 'HAPI FHIR Server', '6.8.0')]),
    host('10.20.1.15', '00:50:56:A1:10:15', 'VMware', 'backup01', 'Linux 5.10', [port(22, 'ssh', 'OpenSSH', '8.4p1'), port(9102, 'bacula-fd', 'Bacula')]),
    // Imaging modalities
    host('10.20.2.20', '00:0A:CD:20:20:20', 'Siemens Healthineers', 'ct-scanner01', null, [dicom('Siemens SOMATOM')]),
    host('10.20.2.21', '00:0A:CD:20:20:21', 'Siemens Healthineers', 'mri01', null, [dicom('Siemens MAGNETOM')]),
    host('10.20.2.22', '00:1B:63:20:20:22', 'GE Healthcare', 'us-cart01', null, [dicom('GE LOGIQ')]),
    // Clinical workstations
    ...[30, 31, 32, 33, 34, 35].map((n) =>
      host(`10.20.3.${n}`, `3C:52:82:30:30:${n}`, 'HP', `ws-ward${n - 29}`, 'Windows 11', [port(445, 'microsoft-ds'), port(3389, 'ms-wbt-server', 'Microsoft Terminal Services')]),
    ),
    // Research and AI
    host('10.20.4.40', '00:50:56:A1:40:40', 'VMware', 'ai-infer01', 'Linux 6.1', [port(11434, 'http', 'Ollama', '0.3.12')]),
    host('10.20.4.41', '00:50:56:A1:40:41', 'VMware', 'jupyter01', 'Linux 6.1', [port(8888, 'http', 'Jupyter Notebook', '7.0')]),
    host('10.20.4.42', '00:50:56:A1:40:42', 'VMware', 'vectordb01', 'Linux 6.1', [port(6333, 'http', 'Qdrant', '1.9.0')]),
    // Biomedical and IoT
    ...[50, 51, 52].map((n) => host(`10.20.5.${n}`, `00:09:FB:50:50:${n}`, 'Philips Medical Systems', `infusion-pump0${n - 49}`, 'VxWorks', [port(80, 'http', 'GoAhead WebServer')])),
    host('10.20.5.60', '00:1E:0B:50:50:60', 'HP', 'printer-ward1', 'HP JetDirect', [port(9100, 'jetdirect'), port(631, 'ipp')]),
  ];
}
