import type { AssetKind, EphiRole } from '../../../../graph-schema/src/schema.js';

/**
 * What a hospital network is made of: one profile per kind of box, with its share of the
 * estate, the ports nmap -sV would see on it, its OS fingerprint and its ePHI role. Shares are
 * rough figures for a US acute-care system (workstations and biomedical devices dominate;
 * data stores are few but hold everything). Products and versions are real product names so
 * the AI/DICOM/HL7/FHIR fingerprinting of other parts of the product has something to match.
 */
export interface ServiceTemplate {
  port: number;
  protocol?: 'tcp' | 'udp';
  name: string;
  /** One is picked per asset. */
  products?: { product: string; version?: string; cpe?: string }[];
  /** NSE output nmap would print for this service (dicom-ping, hl7-info …). */
  script?: { id: string; output: string };
  /** Probability that the port is open on an asset of this profile (default 1). */
  p?: number;
}

export interface OsTemplate {
  name: string;
  type: string;
  vendor: string;
  family: string;
  gen?: string;
  cpe: string;
}

export interface Profile {
  id: string;
  kind: AssetKind;
  /** Share of all assets (normalised over the list). */
  share: number;
  /** Which VLAN family the asset lives in: assets of one family at one site share subnets. */
  zone: 'clinical-dc' | 'imaging' | 'clinical-ws' | 'admin-ws' | 'biomed' | 'facilities' | 'network' | 'research' | 'print' | 'wifi';
  hostPrefix: string;
  macVendors: { oui: string; vendor: string }[];
  os: OsTemplate[];
  services: ServiceTemplate[];
  ephiRole: EphiRole;
  isAi?: boolean;
  /** Labels that help queries, as in the graph conventions (:DataStore, :AISystem). */
  dataStore?: boolean;
}

const WIN11: OsTemplate = { name: 'Microsoft Windows 11 21H2', type: 'general purpose', vendor: 'Microsoft', family: 'Windows', gen: '11', cpe: 'cpe:/o:microsoft:windows_11' };
const WIN10: OsTemplate = { name: 'Microsoft Windows 10 1909 - 21H2', type: 'general purpose', vendor: 'Microsoft', family: 'Windows', gen: '10', cpe: 'cpe:/o:microsoft:windows_10' };
const WIN2019: OsTemplate = { name: 'Microsoft Windows Server 2019', type: 'general purpose', vendor: 'Microsoft', family: 'Windows', gen: '2019', cpe: 'cpe:/o:microsoft:windows_server_2019' };
const WIN2016: OsTemplate = { name: 'Microsoft Windows Server 2016', type: 'general purpose', vendor: 'Microsoft', family: 'Windows', gen: '2016', cpe: 'cpe:/o:microsoft:windows_server_2016' };
const LINUX5: OsTemplate = { name: 'Linux 5.0 - 5.14', type: 'general purpose', vendor: 'Linux', family: 'Linux', gen: '5.X', cpe: 'cpe:/o:linux:linux_kernel:5' };
const LINUX4: OsTemplate = { name: 'Linux 4.15 - 5.8', type: 'general purpose', vendor: 'Linux', family: 'Linux', gen: '4.X', cpe: 'cpe:/o:linux:linux_kernel:4' };
const VXWORKS: OsTemplate = { name: 'Wind River VxWorks 6.x', type: 'specialized', vendor: 'Wind River', family: 'VxWorks', gen: '6.X', cpe: 'cpe:/o:windriver:vxworks:6' };
const WINXPE: OsTemplate = { name: 'Microsoft Windows Embedded Standard 7', type: 'specialized', vendor: 'Microsoft', family: 'Windows', gen: '7', cpe: 'cpe:/o:microsoft:windows_embedded_standard_7' };
const IOS: OsTemplate = { name: 'Cisco IOS XE 16.X', type: 'switch', vendor: 'Cisco', family: 'IOS XE', gen: '16.X', cpe: 'cpe:/o:cisco:ios_xe:16' };
const EMBEDDED: OsTemplate = { name: 'Linux 3.2 - 4.9 (embedded)', type: 'specialized', vendor: 'Linux', family: 'Linux', gen: '3.X', cpe: 'cpe:/o:linux:linux_kernel:3' };
const PRINTER_OS: OsTemplate = { name: 'HP LaserJet printer firmware', type: 'printer', vendor: 'HP', family: 'embedded', cpe: 'cpe:/h:hp:laserjet' };
const IOS_MOBILE: OsTemplate = { name: 'Apple iOS 16.0 - 17.4', type: 'phone', vendor: 'Apple', family: 'iOS', gen: '16.X', cpe: 'cpe:/o:apple:iphone_os:16' };

const VMWARE = [{ oui: '00:50:56', vendor: 'VMware' }];
const PC_VENDORS = [
  { oui: '3C:52:82', vendor: 'Hewlett Packard' },
  { oui: 'F8:B4:6A', vendor: 'Hewlett Packard' },
  { oui: '54:BF:64', vendor: 'Dell' },
  { oui: 'E4:54:E8', vendor: 'Dell' },
  { oui: '8C:16:45', vendor: 'Lenovo' },
];

const SMB = { port: 445, name: 'microsoft-ds', products: [{ product: 'Microsoft Windows Server 2008 R2 - 2012 microsoft-ds' }] };
const MSRPC = { port: 135, name: 'msrpc', products: [{ product: 'Microsoft Windows RPC', cpe: 'cpe:/o:microsoft:windows' }] };
const NETBIOS = { port: 139, name: 'netbios-ssn', products: [{ product: 'Microsoft Windows netbios-ssn', cpe: 'cpe:/o:microsoft:windows' }] };
const RDP = { port: 3389, name: 'ms-wbt-server', products: [{ product: 'Microsoft Terminal Services', cpe: 'cpe:/o:microsoft:windows' }] };
const SSH = { port: 22, name: 'ssh', products: [{ product: 'OpenSSH', version: '8.9p1 Ubuntu 3ubuntu0.6', cpe: 'cpe:/a:openbsd:openssh:8.9p1' }, { product: 'OpenSSH', version: '7.4', cpe: 'cpe:/a:openbsd:openssh:7.4' }] };
const HTTPS_WEB = {
  port: 443,
  name: 'https',
  products: [
    { product: 'nginx', version: '1.24.0', cpe: 'cpe:/a:igor_sysoev:nginx:1.24.0' },
    { product: 'Apache httpd', version: '2.4.57', cpe: 'cpe:/a:apache:http_server:2.4.57' },
    { product: 'Microsoft IIS httpd', version: '10.0', cpe: 'cpe:/a:microsoft:internet_information_services:10.0' },
  ],
};
const DICOM_SCRIPT = { id: 'dicom-ping', output: '\n  dicom: DICOM Service Provider discovered!\n  config: Called AET check enabled' };

export const PROFILES: Profile[] = [
  {
    id: 'clinical-workstation', kind: 'workstation', share: 30, zone: 'clinical-ws', hostPrefix: 'ws', macVendors: PC_VENDORS, os: [WIN11, WIN10],
    services: [MSRPC, NETBIOS, SMB, { ...RDP, p: 0.4 }], ephiRole: 'processes',
  },
  {
    id: 'admin-workstation', kind: 'workstation', share: 12, zone: 'admin-ws', hostPrefix: 'pc', macVendors: PC_VENDORS, os: [WIN11, WIN10],
    services: [MSRPC, NETBIOS, SMB], ephiRole: 'none',
  },
  {
    id: 'windows-server', kind: 'server', share: 5, zone: 'clinical-dc', hostPrefix: 'srv', macVendors: VMWARE, os: [WIN2019, WIN2016],
    services: [MSRPC, SMB, RDP, { ...HTTPS_WEB, p: 0.5 }, { port: 5985, name: 'http', products: [{ product: 'Microsoft HTTPAPI httpd', version: '2.0' }], p: 0.7 }], ephiRole: 'unknown',
  },
  {
    id: 'linux-server', kind: 'server', share: 4, zone: 'clinical-dc', hostPrefix: 'lnx', macVendors: VMWARE, os: [LINUX5, LINUX4],
    services: [SSH, { ...HTTPS_WEB, p: 0.6 }, { port: 9100, name: 'jetdirect', products: [{ product: 'Prometheus node_exporter' }], p: 0.3 }], ephiRole: 'unknown',
  },
  {
    id: 'database', kind: 'database', share: 1.2, zone: 'clinical-dc', hostPrefix: 'db', macVendors: VMWARE, os: [WIN2019, LINUX5], dataStore: true,
    services: [
      { port: 1433, name: 'ms-sql-s', products: [{ product: 'Microsoft SQL Server 2019', version: '15.00.2000.00', cpe: 'cpe:/a:microsoft:sql_server:2019' }], p: 0.5 },
      { port: 5432, name: 'postgresql', products: [{ product: 'PostgreSQL DB', version: '14.9 - 16.2', cpe: 'cpe:/a:postgresql:postgresql' }], p: 0.4 },
      { port: 1521, name: 'oracle-tns', products: [{ product: 'Oracle TNS listener', version: '19.0.0.0.0', cpe: 'cpe:/a:oracle:database_server:19' }], p: 0.2 },
      SSH,
    ],
    ephiRole: 'stores',
  },
  {
    id: 'ehr', kind: 'application', share: 0.4, zone: 'clinical-dc', hostPrefix: 'ehr', macVendors: VMWARE, os: [WIN2019, LINUX5], dataStore: true,
    services: [HTTPS_WEB, { port: 8443, name: 'https-alt', products: [{ product: 'Apache Tomcat', version: '9.0.83', cpe: 'cpe:/a:apache:tomcat:9.0.83' }] }],
    ephiRole: 'stores',
  },
  {
    id: 'pacs', kind: 'server', share: 0.3, zone: 'imaging', hostPrefix: 'pacs', macVendors: VMWARE, os: [LINUX5], dataStore: true,
    services: [
      { port: 104, name: 'dicom', products: [{ product: 'dcm4chee-arc', version: '5.31.0' }, { product: 'Orthanc', version: '1.12.1' }], script: DICOM_SCRIPT },
      { port: 4242, name: 'dicom', products: [{ product: 'Orthanc', version: '1.12.1' }], script: DICOM_SCRIPT, p: 0.5 },
      { port: 8042, name: 'http', products: [{ product: 'Orthanc', version: '1.12.1' }], p: 0.5 },
      { port: 11112, name: 'dicom', products: [{ product: 'dcm4chee-arc', version: '5.31.0' }], p: 0.5 },
    ],
    ephiRole: 'stores',
  },
  {
    id: 'hl7-engine', kind: 'application', share: 0.2, zone: 'clinical-dc', hostPrefix: 'hl7', macVendors: VMWARE, os: [LINUX5, WIN2019],
    services: [
      { port: 2575, name: 'hl7', products: [{ product: 'Mirth Connect MLLP' }, { product: 'Rhapsody Integration Engine MLLP' }] },
      { port: 6661, name: 'hl7', products: [{ product: 'Mirth Connect MLLP' }], p: 0.5 },
      { port: 8443, name: 'https', products: [{ product: 'Mirth Connect', version: '4.4.0' }] },
    ],
    ephiRole: 'transmits',
  },
  {
    id: 'fhir', kind: 'application', share: 0.2, zone: 'clinical-dc', hostPrefix: 'fhir', macVendors: VMWARE, os: [LINUX5],
    services: [{ port: 443, name: 'https', products: [{ product: 'HAPI FHIR Server', version: '6.8.0' }, { product: 'Microsoft FHIR Server', version: '3.5' }] }, SSH],
    ephiRole: 'processes',
  },
  {
    id: 'imaging-modality', kind: 'medical-device', share: 2, zone: 'imaging', hostPrefix: 'mod',
    macVendors: [
      { oui: '00:0A:CD', vendor: 'Siemens Healthineers' },
      { oui: '00:1B:63', vendor: 'GE Healthcare' },
      { oui: '00:09:FB', vendor: 'Philips Medical Systems' },
    ],
    os: [WINXPE, VXWORKS],
    services: [{ port: 104, name: 'dicom', products: [{ product: 'Siemens SOMATOM' }, { product: 'GE LOGIQ' }, { product: 'Philips IntelliSpace' }], script: DICOM_SCRIPT }, { ...RDP, p: 0.3 }],
    ephiRole: 'transmits',
  },
  {
    id: 'bedside-device', kind: 'medical-device', share: 10, zone: 'biomed', hostPrefix: 'med',
    macVendors: [
      { oui: '00:09:FB', vendor: 'Philips Medical Systems' },
      { oui: '00:40:9D', vendor: 'Baxter' },
      { oui: '00:1E:C0', vendor: 'Becton Dickinson' },
      { oui: '00:0B:AB', vendor: 'GE Healthcare' },
    ],
    os: [VXWORKS, EMBEDDED],
    services: [
      { port: 80, name: 'http', products: [{ product: 'GoAhead WebServer' }, { product: 'lighttpd', version: '1.4.35' }] },
      { port: 2575, name: 'hl7', products: [{ product: 'HL7 MLLP listener' }], p: 0.3 },
      { port: 24105, name: 'unknown', p: 0.5 },
    ],
    ephiRole: 'processes',
  },
  {
    id: 'ai-inference', kind: 'ai-system', share: 0.5, zone: 'research', hostPrefix: 'ai', macVendors: VMWARE, os: [LINUX5], isAi: true,
    services: [
      { port: 11434, name: 'http', products: [{ product: 'Ollama', version: '0.3.12' }], p: 0.4 },
      { port: 8000, name: 'http', products: [{ product: 'vLLM OpenAI-compatible server', version: '0.5.4' }, { product: 'NVIDIA Triton Inference Server', version: '2.47' }], p: 0.6 },
      { port: 8888, name: 'http', products: [{ product: 'Jupyter Notebook', version: '7.0' }], p: 0.3 },
      { port: 6333, name: 'http', products: [{ product: 'Qdrant', version: '1.9.0' }], p: 0.3 },
      SSH,
    ],
    ephiRole: 'processes',
  },
  {
    id: 'nas', kind: 'storage-media', share: 0.4, zone: 'clinical-dc', hostPrefix: 'nas', macVendors: [{ oui: '00:A0:98', vendor: 'NetApp' }, { oui: '00:11:32', vendor: 'Synology' }],
    os: [LINUX4], dataStore: true,
    services: [{ port: 2049, name: 'nfs', products: [{ product: 'nfs', version: '3-4' }] }, SMB, { port: 443, name: 'https', products: [{ product: 'nginx' }] }],
    ephiRole: 'stores',
  },
  {
    id: 'printer', kind: 'printer', share: 5, zone: 'print', hostPrefix: 'prn', macVendors: [{ oui: '00:1B:A9', vendor: 'Brother' }, { oui: '00:21:5A', vendor: 'Hewlett Packard' }],
    os: [PRINTER_OS],
    services: [{ port: 9100, name: 'jetdirect' }, { port: 631, name: 'ipp', products: [{ product: 'CUPS', version: '2.2' }], p: 0.5 }, { port: 80, name: 'http', products: [{ product: 'HP HTTP Server' }] }],
    ephiRole: 'none',
  },
  {
    id: 'network-device', kind: 'network-device', share: 3, zone: 'network', hostPrefix: 'sw', macVendors: [{ oui: '00:1E:BD', vendor: 'Cisco Systems' }, { oui: 'F4:CF:E2', vendor: 'Cisco Systems' }, { oui: '00:1A:1E', vendor: 'Aruba Networks' }],
    os: [IOS],
    services: [{ port: 22, name: 'ssh', products: [{ product: 'Cisco SSH', version: '1.25' }] }, { port: 443, name: 'https', products: [{ product: 'Cisco IOS http config' }] }, { port: 161, protocol: 'udp', name: 'snmp', products: [{ product: 'SNMPv3 server' }] }],
    ephiRole: 'transmits',
  },
  {
    id: 'facilities-iot', kind: 'iot', share: 9, zone: 'facilities', hostPrefix: 'iot',
    macVendors: [{ oui: '00:40:8C', vendor: 'Axis Communications' }, { oui: '00:0F:2E', vendor: 'Johnson Controls' }, { oui: '00:80:F4', vendor: 'Honeywell' }],
    os: [EMBEDDED],
    services: [{ port: 80, name: 'http', products: [{ product: 'Boa HTTPd', version: '0.94.14rc21' }] }, { port: 554, name: 'rtsp', products: [{ product: 'AXIS media control' }], p: 0.4 }, { port: 47808, protocol: 'udp', name: 'bacnet', p: 0.4 }],
    ephiRole: 'none',
  },
  {
    id: 'mobile', kind: 'mobile', share: 8, zone: 'wifi', hostPrefix: 'mob', macVendors: [{ oui: 'F0:99:B6', vendor: 'Apple' }, { oui: '5C:F9:38', vendor: 'Apple' }, { oui: '8C:F5:A3', vendor: 'Samsung Electronics' }],
    os: [IOS_MOBILE],
    services: [{ port: 62078, name: 'iphone-sync', p: 0.7 }],
    ephiRole: 'processes',
  },
  {
    id: 'virtual-machine', kind: 'virtual-machine', share: 9.1, zone: 'clinical-dc', hostPrefix: 'vm', macVendors: VMWARE, os: [LINUX5, WIN2019],
    services: [SSH, { ...HTTPS_WEB, p: 0.4 }, { port: 8080, name: 'http-proxy', products: [{ product: 'Apache Tomcat', version: '9.0.83' }], p: 0.3 }],
    ephiRole: 'unknown',
  },
];

export const PROFILE_BY_ID = new Map(PROFILES.map((p) => [p.id, p]));
