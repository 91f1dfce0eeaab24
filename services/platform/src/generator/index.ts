export * from './hospital-network.js';
export { writeNmapXml, hostXml, type NmapXmlWriteOptions } from './nmap-xml-writer.js';
export { PROFILES, type Profile } from './profiles.js';
export type { VendorDef } from './vendors.js';
