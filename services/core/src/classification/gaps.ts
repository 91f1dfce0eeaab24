/**
 * NPRM gap rules (90 FR 898, proposed 45 CFR 164.308/312): pure, so they are tested without a
 * database. The compliance repository gathers one ComplianceFacts per subject that touches ePHI.
 */
export const GAP_CODES = [
  'IDENTIFICATION_MISSING',
  'VERSION_MISSING',
  'OWNER_MISSING',
  'LOCATION_MISSING',
  'ENCRYPTION_AT_REST_UNKNOWN',
  'ENCRYPTION_AT_REST_ABSENT',
  'ENCRYPTION_IN_TRANSIT_UNKNOWN',
  'ENCRYPTION_IN_TRANSIT_ABSENT',
  'MFA_UNKNOWN',
  'MFA_ABSENT',
  'VULN_SCAN_OVERDUE',
  'VENDOR_BAA_MISSING',
  'VENDOR_BAA_EXPIRED',
  'AI_BAA_MISSING',
  'AI_TRAINS_ON_EPHI',
  'REVIEW_OVERDUE',
] as const;
export type GapCode = (typeof GAP_CODES)[number];

export const GAP_TEXT: Record<GapCode, string> = {
  IDENTIFICATION_MISSING: 'identification incomplete (vendor, type or name)',
  VERSION_MISSING: 'version unknown',
  OWNER_MISSING: 'no accountable person',
  LOCATION_MISSING: 'no location',
  ENCRYPTION_AT_REST_UNKNOWN: 'encryption at rest unknown',
  ENCRYPTION_AT_REST_ABSENT: 'not encrypted at rest',
  ENCRYPTION_IN_TRANSIT_UNKNOWN: 'encryption in transit unknown',
  ENCRYPTION_IN_TRANSIT_ABSENT: 'not encrypted in transit (asserted, or an unencrypted ePHI flow)',
  MFA_UNKNOWN: 'MFA unknown',
  MFA_ABSENT: 'no MFA',
  VULN_SCAN_OVERDUE: 'no vulnerability scan in the last 6 months',
  VENDOR_BAA_MISSING: 'vendor without a signed BAA',
  VENDOR_BAA_EXPIRED: 'vendor BAA expired',
  AI_BAA_MISSING: 'AI system without a BAA',
  AI_TRAINS_ON_EPHI: 'AI vendor trains on the data',
  REVIEW_OVERDUE: 'no attested review in the last 12 months',
};

export interface VendorFacts {
  id: string;
  name: string;
  baaSigned: boolean | null;
  baaExpires: string | null;
  /** A business associate, an AI service, or a vendor that receives ePHI: it needs a BAA. */
  baaRequired: boolean;
}

export interface ComplianceFacts {
  subjectType: 'asset' | 'vendor';
  id: string;
  name: string;
  kind: string | null;
  ephiRole: string | null;
  vendorIdentified: boolean;
  version: string | null;
  ownerName: string | null;
  siteName: string | null;
  encryptionAtRest: string | null;
  encryptionInTransit: string | null;
  unencryptedFlows: number;
  mfa: string | null;
  lastVulnScan: string | null;
  vendors: VendorFacts[];
  isAi: boolean;
  aiBaaStatus: string | null;
  aiVendorTrainsOnData: string | null;
  lastReviewedAt: string | null;
}

export const SIX_MONTHS_MS = 183 * 24 * 3600 * 1000;
export const TWELVE_MONTHS_MS = 365 * 24 * 3600 * 1000;

function olderThan(iso: string | null, ms: number, now: Date): boolean {
  if (!iso) return true;
  const t = Date.parse(iso);
  return Number.isNaN(t) || now.getTime() - t > ms;
}

/** A BAA is current when signed and not past its expiry date (end of that day, UTC). */
export function baaState(v: VendorFacts, now: Date): 'current' | 'missing' | 'expired' | 'not-required' {
  if (v.baaSigned !== true) return v.baaRequired ? 'missing' : 'not-required';
  if (v.baaExpires) {
    const t = Date.parse(v.baaExpires.length === 10 ? `${v.baaExpires}T23:59:59.999Z` : v.baaExpires);
    if (!Number.isNaN(t) && t < now.getTime()) return 'expired';
  }
  return 'current';
}

export function gapsFor(f: ComplianceFacts, now: Date): GapCode[] {
  const g: GapCode[] = [];
  const asset = f.subjectType === 'asset';
  if (asset) {
    if (!f.vendorIdentified || !f.kind || f.kind === 'unknown' || !f.name) g.push('IDENTIFICATION_MISSING');
    if (!f.version) g.push('VERSION_MISSING');
  }
  if (asset && !f.ownerName) g.push('OWNER_MISSING');
  if (asset && !f.siteName) g.push('LOCATION_MISSING');
  if (asset) {
    if (f.encryptionAtRest === 'no') g.push('ENCRYPTION_AT_REST_ABSENT');
    else if (f.encryptionAtRest !== 'yes') g.push('ENCRYPTION_AT_REST_UNKNOWN');
  }
  if (f.encryptionInTransit === 'no' || f.unencryptedFlows > 0) g.push('ENCRYPTION_IN_TRANSIT_ABSENT');
  else if (asset && f.encryptionInTransit !== 'yes') g.push('ENCRYPTION_IN_TRANSIT_UNKNOWN');
  if (asset) {
    if (f.mfa === 'no') g.push('MFA_ABSENT');
    else if (f.mfa !== 'yes') g.push('MFA_UNKNOWN');
    if (olderThan(f.lastVulnScan, SIX_MONTHS_MS, now)) g.push('VULN_SCAN_OVERDUE');
  }
  const states = f.vendors.map((v) => baaState(v, now));
  if (states.includes('missing')) g.push('VENDOR_BAA_MISSING');
  if (states.includes('expired')) g.push('VENDOR_BAA_EXPIRED');
  if (f.isAi) {
    if (f.aiBaaStatus !== 'signed' && f.aiBaaStatus !== 'not-required') g.push('AI_BAA_MISSING');
    if (f.aiVendorTrainsOnData === 'yes') g.push('AI_TRAINS_ON_EPHI');
  }
  if (asset && olderThan(f.lastReviewedAt, TWELVE_MONTHS_MS, now)) g.push('REVIEW_OVERDUE');
  return g;
}
