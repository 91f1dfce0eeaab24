import { describe, expect, it } from 'vitest';
import { baaState, gapsFor, type ComplianceFacts } from '../../../services/core/src/classification/gaps.js';
import { diffSnapshots, type SnapshotContent } from '../../../services/core/src/classification/snapshot-diff.js';

const now = new Date('2026-12-04T12:00:00Z');
const base: ComplianceFacts = {
  subjectType: 'asset',
  id: 'a',
  name: 'pacs01',
  kind: 'server',
  ephiRole: 'stores',
  vendorIdentified: true,
  version: 'Linux 5.15',
  ownerName: 'Dr. Imaging',
  siteName: 'Main DC',
  encryptionAtRest: 'yes',
  encryptionInTransit: 'yes',
  unencryptedFlows: 0,
  mfa: 'yes',
  lastVulnScan: '2026-11-01T00:00:00Z',
  vendors: [],
  isAi: false,
  aiBaaStatus: null,
  aiVendorTrainsOnData: null,
  lastReviewedAt: '2026-06-01T00:00:00Z',
};

describe('NPRM gap rules', () => {
  it('a complete record has no gaps', () => {
    expect(gapsFor(base, now)).toEqual([]);
  });

  it('every missing or unknown fact is its own gap', () => {
    const f: ComplianceFacts = { ...base, kind: 'unknown', version: null, ownerName: null, siteName: null, encryptionAtRest: null, encryptionInTransit: 'unknown', mfa: 'no', lastVulnScan: '2026-05-01T00:00:00Z', lastReviewedAt: null };
    expect(gapsFor(f, now)).toEqual([
      'IDENTIFICATION_MISSING',
      'VERSION_MISSING',
      'OWNER_MISSING',
      'LOCATION_MISSING',
      'ENCRYPTION_AT_REST_UNKNOWN',
      'ENCRYPTION_IN_TRANSIT_UNKNOWN',
      'MFA_ABSENT',
      'VULN_SCAN_OVERDUE',
      'REVIEW_OVERDUE',
    ]);
  });

  it('an unencrypted ePHI flow counts as absent encryption in transit even if asserted yes', () => {
    expect(gapsFor({ ...base, unencryptedFlows: 1 }, now)).toEqual(['ENCRYPTION_IN_TRANSIT_ABSENT']);
  });

  it('vendor BAAs: missing, expired (day granularity), current', () => {
    expect(baaState({ id: 'v', name: 'v', baaSigned: false, baaExpires: null, baaRequired: true }, now)).toBe('missing');
    expect(baaState({ id: 'v', name: 'v', baaSigned: false, baaExpires: null, baaRequired: false }, now)).toBe('not-required');
    expect(baaState({ id: 'v', name: 'v', baaSigned: true, baaExpires: '2026-12-03', baaRequired: true }, now)).toBe('expired');
    expect(baaState({ id: 'v', name: 'v', baaSigned: true, baaExpires: '2026-12-04', baaRequired: true }, now)).toBe('current');
    expect(gapsFor({ ...base, vendors: [{ id: 'v1', name: 'Cloud PACS', baaSigned: true, baaExpires: '2025-01-01', baaRequired: true }, { id: 'v2', name: 'X', baaSigned: null, baaExpires: null, baaRequired: true }, { id: 'v3', name: 'Parts supplier', baaSigned: false, baaExpires: null, baaRequired: false }] }, now)).toEqual([
      'VENDOR_BAA_MISSING',
      'VENDOR_BAA_EXPIRED',
    ]);
  });

  it('AI systems: no BAA, trains on the data', () => {
    expect(gapsFor({ ...base, isAi: true, aiBaaStatus: 'unknown', aiVendorTrainsOnData: 'yes' }, now)).toEqual(['AI_BAA_MISSING', 'AI_TRAINS_ON_EPHI']);
    expect(gapsFor({ ...base, isAi: true, aiBaaStatus: 'not-required', aiVendorTrainsOnData: 'no' }, now)).toEqual([]);
  });

  it('scan 6 months and review 12 months boundaries', () => {
    expect(gapsFor({ ...base, lastVulnScan: '2026-06-05T00:00:00Z' }, now)).toEqual([]);
    expect(gapsFor({ ...base, lastVulnScan: '2026-05-30T00:00:00Z' }, now)).toEqual(['VULN_SCAN_OVERDUE']);
    expect(gapsFor({ ...base, lastReviewedAt: '2025-12-01T00:00:00Z' }, now)).toEqual(['REVIEW_OVERDUE']);
  });
});

describe('snapshot diff', () => {
  const snap = (id: string, inventory: SnapshotContent['inventory'], flows: SnapshotContent['map']['flows'], rows: SnapshotContent['gaps']['rows']): SnapshotContent => ({
    format: 'ephi-atlas-snapshot/1',
    id,
    takenAt: '2026-12-04T00:00:00Z',
    inventory,
    map: { flows, connections: [] },
    gaps: { totals: {}, rows },
  });

  it('reports added, removed and field-level changes, ignoring lastSeen', () => {
    const a = snap('s1', [{ id: '1', name: 'pacs01', a_mfa: 'unknown', lastSeen: 'x' }, { id: '2', name: 'old' }], [{ id: 'f1', encryptedInTransit: false }], [{ id: '1', gaps: ['MFA_UNKNOWN'] }]);
    const b = snap('s2', [{ id: '1', name: 'pacs01', a_mfa: 'yes', lastSeen: 'y' }, { id: '3', name: 'new' }], [{ id: 'f1', encryptedInTransit: true }, { id: 'f2' }], [{ id: '1', gaps: [] }]);
    const d = diffSnapshots(a, b);
    expect(d.assets.added.map((x) => x.id)).toEqual(['3']);
    expect(d.assets.removed.map((x) => x.id)).toEqual(['2']);
    expect(d.assets.changed).toEqual([{ id: '1', name: 'pacs01', changes: [{ field: 'a_mfa', from: 'unknown', to: 'yes' }] }]);
    expect(d.flows.added.map((x) => x.id)).toEqual(['f2']);
    expect(d.flows.changed).toEqual([{ id: 'f1', changes: [{ field: 'encryptedInTransit', from: false, to: true }] }]);
    expect(d.gaps).toEqual({ opened: [], closed: [{ id: '1', gap: 'MFA_UNKNOWN' }] });
  });
});
