/**
 * Fictitious vendors and business associates of the generated hospital (all domains are
 * `.example`). The mix is what a gap report must find: BAAs signed, expired, expiring soon and
 * missing, and AI services with and without one. Dates are relative to the generator's `now`.
 */
export interface VendorDef {
  id: string;
  name: string;
  isBusinessAssociate: boolean;
  baaSigned: boolean;
  baaEffective: string | null;
  baaExpires: string | null;
  isAiService: boolean;
  domains: string[];
  /** What it does for the hospital; the generator routes flows by it. */
  role: 'ehr' | 'imaging-archive' | 'lab' | 'billing' | 'backup' | 'telehealth' | 'ai-scribe' | 'ai-llm' | 'ai-radiology' | 'device-maker' | 'it' | 'eprescribing';
}

type Baa = 'signed' | 'expired' | 'expiring' | 'missing' | 'not-ba';

const VENDOR_SPECS: [id: string, name: string, role: VendorDef['role'], baa: Baa, ai: boolean][] = [
  ['v-ehr', 'Meridian Health Records Inc.', 'ehr', 'signed', false],
  ['v-pacs-cloud', 'CloudPACS Archive LLC', 'imaging-archive', 'expiring', false],
  ['v-lab', 'Northfield Reference Laboratories', 'lab', 'signed', false],
  ['v-billing', 'ClearPath Claims Clearinghouse', 'billing', 'signed', false],
  ['v-backup', 'Vaultline Cloud Backup', 'backup', 'expired', false],
  ['v-telehealth', 'QuickVisit Telehealth', 'telehealth', 'missing', false],
  ['v-scribe', 'ScribeBot Ambient AI', 'ai-scribe', 'missing', true],
  ['v-llm', 'Generic LLM API Co.', 'ai-llm', 'signed', true],
  ['v-llm-free', 'FreeChat Assistant', 'ai-llm', 'missing', true],
  ['v-rad-ai', 'RadiSight AI Triage', 'ai-radiology', 'signed', true],
  ['v-erx', 'ScriptLink e-Prescribing', 'eprescribing', 'signed', false],
  ['v-siemens', 'Siemens Healthineers', 'device-maker', 'signed', false],
  ['v-ge', 'GE HealthCare', 'device-maker', 'signed', false],
  ['v-philips', 'Philips Healthcare', 'device-maker', 'expired', false],
  ['v-baxter', 'Baxter International', 'device-maker', 'missing', false],
  ['v-msp', 'Harbor IT Managed Services', 'it', 'signed', false],
  ['v-office', 'OfficeSuite Online', 'it', 'not-ba', false],
  ['v-hvac', 'ClimateWorks Building Systems', 'it', 'not-ba', false],
];

export function hospitalVendors(now: Date): VendorDef[] {
  const day = 86_400_000;
  const iso = (offsetDays: number) => new Date(now.getTime() + offsetDays * day).toISOString().slice(0, 10);
  return VENDOR_SPECS.map(([id, name, role, baa, ai]) => {
    const dates: Record<Baa, [string | null, string | null]> = {
      signed: [iso(-400), iso(700)],
      expired: [iso(-1200), iso(-35)],
      expiring: [iso(-700), iso(25)],
      missing: [null, null],
      'not-ba': [null, null],
    };
    const [baaEffective, baaExpires] = dates[baa];
    return {
      id,
      name,
      isBusinessAssociate: baa !== 'not-ba',
      baaSigned: baa === 'signed' || baa === 'expired' || baa === 'expiring',
      baaEffective,
      baaExpires,
      isAiService: ai,
      domains: [`${id.slice(2)}.example`],
      role,
    };
  });
}
