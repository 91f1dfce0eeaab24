/**
 * Field-level diff of two evidence snapshots. Pure: snapshots are plain JSON once read back.
 */
export interface SnapshotAsset {
  id: string;
  [field: string]: unknown;
}
export interface SnapshotFlow {
  id: string;
  [field: string]: unknown;
}
export interface SnapshotContent {
  format: 'ephi-atlas-snapshot/1';
  id: string;
  takenAt: string;
  inventory: SnapshotAsset[];
  map: { flows: SnapshotFlow[]; connections: { source: string; target: string; [field: string]: unknown }[] };
  gaps: { totals: Record<string, unknown>; rows: { id: string; gaps: string[]; [field: string]: unknown }[] };
}

export interface FieldChange {
  field: string;
  from: unknown;
  to: unknown;
}
export interface SnapshotDiff {
  from: string;
  to: string;
  assets: { added: SnapshotAsset[]; removed: SnapshotAsset[]; changed: { id: string; name: unknown; changes: FieldChange[] }[] };
  flows: { added: SnapshotFlow[]; removed: SnapshotFlow[]; changed: { id: string; changes: FieldChange[] }[] };
  gaps: { opened: { id: string; gap: string }[]; closed: { id: string; gap: string }[] };
}

/** Fields that change on every scan and say nothing about the inventory itself. */
const VOLATILE = new Set(['lastSeen']);

function canonical(v: unknown): string {
  if (Array.isArray(v)) return `[${v.map(canonical).join(',')}]`;
  if (v && typeof v === 'object') return `{${Object.keys(v as object).sort().map((k) => `${JSON.stringify(k)}:${canonical((v as Record<string, unknown>)[k])}`).join(',')}}`;
  return JSON.stringify(v ?? null);
}

export function fieldChanges(a: Record<string, unknown>, b: Record<string, unknown>, ignore: Set<string> = VOLATILE): FieldChange[] {
  const keys = [...new Set([...Object.keys(a), ...Object.keys(b)])].filter((k) => !ignore.has(k)).sort();
  return keys.filter((k) => canonical(a[k]) !== canonical(b[k])).map((k) => ({ field: k, from: a[k] ?? null, to: b[k] ?? null }));
}

function byId<T extends { id: string }>(xs: T[]): Map<string, T> {
  return new Map(xs.map((x) => [x.id, x]));
}

export function diffSnapshots(a: SnapshotContent, b: SnapshotContent): SnapshotDiff {
  const aa = byId(a.inventory);
  const ba = byId(b.inventory);
  const af = byId(a.map.flows);
  const bf = byId(b.map.flows);
  const changedAssets = [...ba.values()]
    .filter((x) => aa.has(x.id))
    .map((x) => ({ id: x.id, name: x.name, changes: fieldChanges(aa.get(x.id)!, x) }))
    .filter((c) => c.changes.length > 0);
  const changedFlows = [...bf.values()]
    .filter((x) => af.has(x.id))
    .map((x) => ({ id: x.id, changes: fieldChanges(af.get(x.id)!, x, new Set(['updatedAt'])) }))
    .filter((c) => c.changes.length > 0);
  const gapSet = (s: SnapshotContent) => new Set(s.gaps.rows.flatMap((r) => r.gaps.map((g) => `${r.id}\u0000${g}`)));
  const ga = gapSet(a);
  const gb = gapSet(b);
  const split = (k: string) => {
    const [id, gap] = k.split('\u0000');
    return { id: id!, gap: gap! };
  };
  return {
    from: a.id,
    to: b.id,
    assets: {
      added: [...ba.values()].filter((x) => !aa.has(x.id)),
      removed: [...aa.values()].filter((x) => !ba.has(x.id)),
      changed: changedAssets,
    },
    flows: {
      added: [...bf.values()].filter((x) => !af.has(x.id)),
      removed: [...af.values()].filter((x) => !bf.has(x.id)),
      changed: changedFlows,
    },
    gaps: { opened: [...gb].filter((k) => !ga.has(k)).sort().map(split), closed: [...ga].filter((k) => !gb.has(k)).sort().map(split) },
  };
}
