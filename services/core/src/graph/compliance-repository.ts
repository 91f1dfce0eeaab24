import { GAP_CODES, gapsFor, GAP_TEXT, type ComplianceFacts, type GapCode } from '../classification/gaps.js';
import { ValidationError } from '../errors.js';
import { int, type GraphClient } from './neo4j-client.js';

/**
 * The NPRM gap report and the "ePHI-exposed" view. Facts are read here; which facts make a gap
 * is decided in classification/gaps.ts.
 */
export interface GapRow {
  subjectType: 'asset' | 'vendor';
  id: string;
  name: string;
  kind: string | null;
  ephiRole: string | null;
  owner: string | null;
  location: string | null;
  lastVulnScan: string | null;
  lastReviewedAt: string | null;
  gaps: GapCode[];
}

export interface GapReport {
  generatedAt: string;
  totals: { subjects: number; assets: number; vendors: number; withGaps: number; gaps: number; byGap: Record<GapCode, number> };
  rows: GapRow[];
}

export interface GapFilter {
  gap?: GapCode;
  kind?: string;
  ephiRole?: string;
  subjectType?: 'asset' | 'vendor';
  q?: string;
  /** The location shown in the report (site name, or the asserted location), case-insensitive. */
  site?: string;
}

/** nmap runs that count as a vulnerability scan: a version/vuln profile, or args asking for it. */
const VULN_PROFILES = ['service-version', 'healthcare', 'vuln', 'os'];
const VULN_RUN = (r: string) =>
  `(${r}.profile IN $vulnProfiles OR coalesce(${r}.args, '') =~ '(?s).*(\\\\s-sV|\\\\s-A\\\\b|--script[= ]?\\\\S*vuln).*')`;

/** Assets that touch ePHI: by the indexed effective role, or as an end of an ePHI flow (a UNION keeps the index usable). */
export const EPHI_ASSETS = `CALL () {
         MATCH (a:Asset) WHERE a.ephiRole IN ['stores', 'processes', 'transmits'] RETURN a
         UNION
         MATCH (a:Asset)-[:EPHI_FLOW]-() RETURN a
       }
       WITH DISTINCT a WHERE NOT a:Retired`;

const VENDOR_FACTS = (v: string, required: string) =>
  `${v} {id: ${v}.id, name: coalesce(${v}.name, ${v}.id), baaSigned: ${v}.baaSigned, baaExpires: toString(${v}.baaExpires), baaRequired: ${required}}`;
const BA = (v: string) => `(coalesce(${v}.isBusinessAssociate, false) OR coalesce(${v}.isAiService, false))`;

export class ComplianceRepository {
  constructor(private readonly graph: GraphClient) {}

  async facts(): Promise<ComplianceFacts[]> {
    const assets = await this.graph.read(
      `${EPHI_ASSETS}
       CALL (a) { OPTIONAL MATCH (a)-[:OWNED_BY]->(p:Person) RETURN head(collect(coalesce(p.name, p.email, p.id))) AS owner }
       CALL (a) { OPTIONAL MATCH (a)-[:LOCATED_AT]->(s:Site) RETURN head(collect(coalesce(s.name, s.id))) AS site }
       CALL (a) { OPTIONAL MATCH (a)-[:SUPPLIED_BY]->(v:Vendor) RETURN collect(${VENDOR_FACTS('v', BA('v'))}) AS suppliers }
       CALL (a) { OPTIONAL MATCH (a)-[:EPHI_FLOW]->(v:Vendor) RETURN collect(DISTINCT ${VENDOR_FACTS('v', 'true')}) AS flowVendors }
       CALL (a) { OPTIONAL MATCH (a)-[f:EPHI_FLOW]-() WHERE f.encryptedInTransit = false RETURN count(f) AS unencrypted }
       CALL (a) {
         OPTIONAL MATCH (a)-[:OBSERVED_IN]->(r:ScanRun) WHERE ${VULN_RUN('r')}
         RETURN max(coalesce(r.finishedAt, r.startedAt)) AS observedScan
       }
       CALL (a) {
         OPTIONAL MATCH (a)-[sb:SEEN_BY]->(:Source) WHERE sb.lastRunId IS NOT NULL
         OPTIONAL MATCH (r:ScanRun {id: sb.lastRunId}) WHERE ${VULN_RUN('r')}
         RETURN max(coalesce(r.finishedAt, r.startedAt)) AS seenScan
       }
       WITH a, owner, site, suppliers, flowVendors, unencrypted,
            [t IN [observedScan, seenScan, CASE WHEN a.a_lastVulnScanAt IS NULL THEN NULL ELSE datetime(toString(a.a_lastVulnScanAt)) END] WHERE t IS NOT NULL] AS scans
       RETURN {subjectType: 'asset', id: a.id, name: coalesce(a.name, a.id), kind: a.kind, ephiRole: a.ephiRole,
               vendorIdentified: size(suppliers) > 0 OR a.a_vendorModel IS NOT NULL OR a.macVendor IS NOT NULL,
               version: coalesce(a.a_version, a.os), ownerName: coalesce(owner, a.a_owner), siteName: coalesce(site, a.a_location),
               encryptionAtRest: a.a_encryptionAtRest, encryptionInTransit: a.a_encryptionInTransit, unencryptedFlows: unencrypted,
               mfa: a.a_mfa, lastVulnScan: CASE WHEN size(scans) = 0 THEN NULL ELSE reduce(m = scans[0], t IN scans | CASE WHEN t > m THEN t ELSE m END) END,
               vendors: suppliers + [v IN flowVendors WHERE NOT v.id IN [s IN suppliers | s.id]],
               isAi: coalesce(a.isAi, false), aiBaaStatus: a.a_aiBaaStatus, aiVendorTrainsOnData: a.a_aiVendorTrainsOnData,
               lastReviewedAt: coalesce(a.lastReviewedAt, CASE WHEN a.a_aiLastReviewed IS NULL THEN NULL ELSE datetime(toString(a.a_aiLastReviewed)) END)} AS f
       ORDER BY f.name, f.id`,
      { vulnProfiles: VULN_PROFILES },
    );
    const vendors = await this.graph.read(
      `MATCH (v:Vendor) WHERE EXISTS { (v)-[:EPHI_FLOW]-() }
       CALL (v) { OPTIONAL MATCH (v)-[f:EPHI_FLOW]-() WHERE f.encryptedInTransit = false RETURN count(f) AS unencrypted }
       RETURN {subjectType: 'vendor', id: v.id, name: coalesce(v.name, v.id), kind: 'vendor', ephiRole: null, vendorIdentified: true,
               version: null, ownerName: null, siteName: null, encryptionAtRest: null, encryptionInTransit: null, unencryptedFlows: unencrypted,
               mfa: null, lastVulnScan: null, vendors: [${VENDOR_FACTS('v', 'true')}], isAi: coalesce(v.isAiService, false),
               aiBaaStatus: CASE WHEN coalesce(v.baaSigned, false) AND (v.baaExpires IS NULL OR v.baaExpires >= date()) THEN 'signed' ELSE 'not-signed' END,
               aiVendorTrainsOnData: v.trainsOnData, lastReviewedAt: null} AS f
       ORDER BY f.name, f.id`,
    );
    return [...assets, ...vendors].map((r) => r.f as ComplianceFacts);
  }

  async gapReport(filter: GapFilter = {}, now = new Date()): Promise<GapReport> {
    if (filter.gap && !(GAP_CODES as readonly string[]).includes(filter.gap)) throw new ValidationError('INVALID_GAP', `unknown gap code ${filter.gap}`, { field: 'gap' });
    const all = (await this.facts()).map((f) => ({ f, gaps: gapsFor(f, now) }));
    const q = filter.q?.toLowerCase();
    const site = filter.site?.toLowerCase();
    const rows: GapRow[] = all
      .filter(({ f, gaps }) =>
        (!filter.gap || gaps.includes(filter.gap)) &&
        (!filter.kind || f.kind === filter.kind) &&
        (!filter.ephiRole || f.ephiRole === filter.ephiRole) &&
        (!filter.subjectType || f.subjectType === filter.subjectType) &&
        (!q || f.name.toLowerCase().includes(q)) &&
        (!site || (f.siteName ?? '').toLowerCase() === site),
      )
      .map(({ f, gaps }) => ({
        subjectType: f.subjectType,
        id: f.id,
        name: f.name,
        kind: f.kind,
        ephiRole: f.ephiRole,
        owner: f.ownerName,
        location: f.siteName,
        lastVulnScan: f.lastVulnScan,
        lastReviewedAt: f.lastReviewedAt,
        gaps,
      }));
    const byGap = Object.fromEntries(GAP_CODES.map((c) => [c, 0])) as Record<GapCode, number>;
    for (const r of rows) for (const g of r.gaps) byGap[g]++;
    return {
      generatedAt: now.toISOString(),
      totals: {
        subjects: rows.length,
        assets: rows.filter((r) => r.subjectType === 'asset').length,
        vendors: rows.filter((r) => r.subjectType === 'vendor').length,
        withGaps: rows.filter((r) => r.gaps.length > 0).length,
        gaps: rows.reduce((n, r) => n + r.gaps.length, 0),
        byGap,
      },
      rows,
    };
  }

  /**
   * Assets with a directed path of observed connections or ePHI flows to an ePHI store within k
   * hops (k is a validated integer 1..4, so it can be part of the pattern).
   */
  async exposed(k: number, limit: number): Promise<{ items: { id: string; name: string; kind: string | null; hops: number; stores: { id: string; name: string }[] }[]; truncated: boolean }> {
    if (!Number.isInteger(k) || k < 1 || k > 4) throw new ValidationError('INVALID_HOPS', 'k must be an integer from 1 to 4', { field: 'k' });
    const rows = await this.graph.read(
      `MATCH (s:Asset) WHERE s.ephiRole IN ['stores', 'processes'] AND NOT s:Retired
       MATCH p = (x:Asset)-[:CONNECTS_TO|EPHI_FLOW*1..${k}]->(s)
       WHERE x <> s AND NOT x:Retired AND NOT coalesce(x.ephiRole, 'unknown') IN ['stores', 'processes']
       WITH x, s, min(length(p)) AS hops
       WITH x, min(hops) AS hops, collect({id: s.id, name: coalesce(s.name, s.id)})[..20] AS stores
       RETURN x.id AS id, coalesce(x.name, x.id) AS name, x.kind AS kind, hops, stores
       ORDER BY hops, name LIMIT $limit`,
      { limit: int(limit + 1) },
    );
    return { items: rows.slice(0, limit) as never, truncated: rows.length > limit };
  }
}

export { GAP_TEXT };

/** Asserted compliance facts that the demo seeder (and tests) may set; keys come from this list only. */
export const ASSERTED_COMPLIANCE_FIELDS = ['a_ephiRole', 'a_encryptionAtRest', 'a_encryptionInTransit', 'a_mfa', 'a_lastVulnScanAt', 'a_version'] as const;
export type AssertedComplianceField = (typeof ASSERTED_COMPLIANCE_FIELDS)[number];

export async function setAssertedComplianceFields(graph: GraphClient, assetId: string, fields: Partial<Record<AssertedComplianceField, string>>): Promise<void> {
  const props: Record<string, string> = {};
  for (const [k, v] of Object.entries(fields)) {
    if (!(ASSERTED_COMPLIANCE_FIELDS as readonly string[]).includes(k)) throw new ValidationError('UNKNOWN_FIELD', `${k} is not an asserted compliance field`, { field: k });
    if (v !== undefined) props[k] = v;
  }
  const rows = await graph.write(
    `MATCH (a:Asset {id: $id}) SET a += $props
     SET a.ephiRole = coalesce(a.a_ephiRole, a.ephiRole), a.a_lastVulnScanAt = CASE WHEN a.a_lastVulnScanAt IS NULL THEN NULL ELSE datetime(toString(a.a_lastVulnScanAt)) END
     RETURN a.id AS id`,
    { id: assetId, props },
  );
  if (!rows[0]) throw new ValidationError('UNKNOWN_ASSET', `asset ${assetId} not found`, { field: 'assetId' });
}

/** Asset ids by hostname (first label or full name), for seeders and tests. */
export async function assetIdsByHostname(graph: GraphClient, names: string[]): Promise<Record<string, string>> {
  const rows = await graph.read(
    `UNWIND $names AS n
     MATCH (a:Asset) WHERE NOT a:Retired AND any(h IN coalesce(a.hostnames, []) WHERE h = n OR split(h, '.')[0] = n)
     RETURN n, min(a.id) AS id`,
    { names },
  );
  return Object.fromEntries(rows.map((r) => [r.n as string, r.id as string]));
}
