/**
 * The graph model, declared once. Constraints, indexes, the allow-lists that the API uses for
 * labels, relationship types and sortable/filterable properties, and the docs in README.md all
 * follow from these declarations. Nothing outside graph-schema/ and the graph repositories
 * writes a label or relationship type as a string.
 */
export interface NodeType {
  label: string;
  key: string; // unique, constraint-backed
  extraLabels?: string[];
  unique?: string[]; // other uniqueness constraints
  indexes?: string[]; // range indexes
  textIndexes?: string[];
  description: string;
}

export interface RelType {
  type: string;
  from: string | string[];
  to: string | string[];
  description: string;
  indexes?: string[];
}

export const ASSET_KINDS = [
  'server',
  'workstation',
  'network-device',
  'medical-device',
  'iot',
  'mobile',
  'virtual-machine',
  'container',
  'application',
  'database',
  'cloud-service',
  'saas',
  'ai-system',
  'storage-media',
  'printer',
  'unknown',
] as const;
export type AssetKind = (typeof ASSET_KINDS)[number];

export const EPHI_ROLES = ['stores', 'processes', 'transmits', 'none', 'unknown'] as const;
export type EphiRole = (typeof EPHI_ROLES)[number];

export const TRI_STATE = ['yes', 'no', 'unknown'] as const;

export const NODES = {
  Asset: {
    label: 'Asset',
    key: 'id',
    unique: ['assetTag', 'serial', 'cloudId'],
    indexes: ['kind', 'lastSeen', 'firstSeen', 'ephiRole', 'isAi', 'status', 'name', 'fqdn', 'subnetCidr', 'demo'],
    textIndexes: ['searchText'],
    description: 'One canonical node per real thing (device, VM, application, cloud/SaaS service, AI system).',
  },
  Interface: {
    label: 'Interface',
    key: 'key',
    indexes: ['ip', 'mac', 'lastSeen'],
    description: 'A network identity of an asset: an IP address and/or MAC address, with MAC vendor from the IEEE OUI registry.',
  },
  Service: {
    label: 'Service',
    key: 'key',
    indexes: ['port', 'product', 'name', 'lastSeen', 'state'],
    description: 'A port/protocol on an asset, with product, version, CPE and NSE script results; provenance as properties: seenBy (source ids), lastRunId, firstSeen, lastSeen.',
  },
  Subnet: { label: 'Subnet', key: 'cidr', description: 'An IP network (IPv4 /24 or IPv6 /64 by default, or declared).' },
  Site: { label: 'Site', key: 'id', unique: ['name'], description: 'A site or location (building, floor, room, cloud region).' },
  Person: { label: 'Person', key: 'id', unique: ['email'], description: 'A person accountable for assets.' },
  Vendor: {
    label: 'Vendor',
    key: 'id',
    unique: ['name'],
    indexes: ['baaStatus', 'isAiService'],
    description: 'A vendor or business associate, with BAA signed/effective/expiry dates. Can be a flow endpoint.',
  },
  Source: { label: 'Source', key: 'id', description: 'Where observations come from: a scanner, an importer, a person.' },
  ScanRun: { label: 'ScanRun', key: 'id', indexes: ['startedAt', 'finishedAt'], description: 'One scan or import run: provenance of observations.' },
  ChangeEvent: {
    label: 'ChangeEvent',
    key: 'id',
    indexes: ['at', 'type', 'assetId'],
    description: 'Something that changed: new asset, port opened/closed, version/OS/IP changed, asset missed, assertion edited. Names its asset by the indexed assetId.',
  },
  Alert: { label: 'Alert', key: 'id', indexes: ['state', 'type', 'dedupeKey', 'openedAt'], description: 'A stateful alert (open, acknowledged, resolved) with history.' },
  IdentityConflict: { label: 'IdentityConflict', key: 'id', indexes: ['state', 'detectedAt'], description: 'Two strong keys of one observation pointed at different assets.' },
  IngestLock: { label: 'IngestLock', key: 'id', description: 'One node whose write lock serialises identity resolution across concurrent imports.' },
  User: { label: 'User', key: 'id', unique: ['username'], description: 'A person who signs in to ePHI Atlas.' },
  ApiToken: { label: 'ApiToken', key: 'id', unique: ['hash'], indexes: ['prefix'], description: 'An API token for automation: stored hashed, role-scoped, expiring.' },
  AuditEntry: { label: 'AuditEntry', key: 'seq', indexes: ['at', 'actor', 'action'], description: 'Append-only, hash-chained audit log entry.' },
  ScanDefinition: { label: 'ScanDefinition', key: 'id', unique: ['name'], description: 'A scan: targets, profile, schedule, owner.' },
  ScanScope: { label: 'ScanScope', key: 'id', description: 'The admin-edited authorised scan scope (inside ATLAS_SCAN_SCOPE).' },
  Suggestion: { label: 'Suggestion', key: 'id', indexes: ['state', 'type', 'assetId'], description: 'A suggested classification (ePHI role, AI system) with evidence, confirmed or dismissed by a person.' },
  Review: { label: 'Review', key: 'id', indexes: ['at'], description: 'An attestation that an asset record is correct.' },
  Snapshot: { label: 'Snapshot', key: 'id', indexes: ['takenAt'], description: 'A dated, immutable evidence snapshot of inventory, map and gaps.' },
  SchemaMigration: { label: 'SchemaMigration', key: 'version', description: 'A migration applied to this graph.' },
  MapAggregate: { label: 'MapAggregate', key: 'groupBy', description: 'Stored map overview tallies for one group-by (per-group counts, group-to-group edge counts), refreshed when the graph changes.' },
} satisfies Record<string, NodeType>;

export const RELATIONSHIPS = {
  HAS_INTERFACE: { type: 'HAS_INTERFACE', from: 'Asset', to: 'Interface', description: 'Asset owns a network identity.' },
  IN_SUBNET: { type: 'IN_SUBNET', from: 'Interface', to: 'Subnet', description: 'Interface address is inside the subnet.' },
  HAS_SERVICE: { type: 'HAS_SERVICE', from: 'Asset', to: 'Service', description: 'Asset exposes a service.' },
  LOCATED_AT: { type: 'LOCATED_AT', from: 'Asset', to: 'Site', description: 'Asserted location.' },
  OWNED_BY: { type: 'OWNED_BY', from: 'Asset', to: 'Person', description: 'Asserted accountable person.' },
  SUPPLIED_BY: { type: 'SUPPLIED_BY', from: 'Asset', to: 'Vendor', description: 'Asset is made or operated by the vendor.' },
  SEEN_BY: {
    type: 'SEEN_BY',
    from: ['Asset', 'Interface'],
    to: 'Source',
    description: 'Per-source provenance: firstSeen, lastSeen, lastRunId. Services carry theirs as properties (seenBy: source ids, lastRunId).',
  },
  OBSERVED_IN: { type: 'OBSERVED_IN', from: 'Asset', to: 'ScanRun', description: 'Asset was observed (or missed) in a run.' },
  CONNECTS_TO: {
    type: 'CONNECTS_TO',
    from: ['Asset', 'Vendor'],
    to: ['Asset', 'Vendor'],
    description: 'Observed network connection (flow logs): bytes, packets, ports, first/last seen.',
  },
  EPHI_FLOW: {
    type: 'EPHI_FLOW',
    from: ['Asset', 'Vendor'],
    to: ['Asset', 'Vendor'],
    description: 'ePHI moves from A to B: data categories, protocol/port, encrypted in transit, purpose, origin (asserted|observed).',
    indexes: ['id'],
  },
  ABOUT: { type: 'ABOUT', from: ['Alert', 'Suggestion', 'Review', 'IdentityConflict'], to: 'Asset', description: 'The asset an alert, suggestion, review or conflict concerns.' },
  MERGED_INTO: { type: 'MERGED_INTO', from: 'Asset', to: 'Asset', description: 'A retired asset was merged into the survivor (history kept).' },
  SPLIT_FROM: { type: 'SPLIT_FROM', from: 'Asset', to: 'Asset', description: 'An asset was split off another one (interfaces moved, history kept): at, by, interfaceKeys.' },
  FROM_SOURCE: { type: 'FROM_SOURCE', from: 'ScanRun', to: 'Source', description: 'The source that produced a run.' },
} satisfies Record<string, RelType>;

export type NodeLabel = keyof typeof NODES;
export type RelTypeName = keyof typeof RELATIONSHIPS;


/** Constraint and index statements derived from the declarations; all idempotent. */
export function schemaStatements(): string[] {
  const out: string[] = [];
  for (const n of Object.values(NODES) as NodeType[]) {
    out.push(`CREATE CONSTRAINT ${lc(n.label)}_${n.key}_key IF NOT EXISTS FOR (x:${n.label}) REQUIRE x.${n.key} IS UNIQUE`);
    for (const u of n.unique ?? []) out.push(`CREATE CONSTRAINT ${lc(n.label)}_${u}_unique IF NOT EXISTS FOR (x:${n.label}) REQUIRE x.${u} IS UNIQUE`);
    for (const i of n.indexes ?? []) out.push(`CREATE INDEX ${lc(n.label)}_${i}_idx IF NOT EXISTS FOR (x:${n.label}) ON (x.${i})`);
    for (const t of n.textIndexes ?? []) out.push(`CREATE TEXT INDEX ${lc(n.label)}_${t}_text IF NOT EXISTS FOR (x:${n.label}) ON (x.${t})`);
  }
  for (const r of Object.values(RELATIONSHIPS) as RelType[]) {
    for (const i of r.indexes ?? []) out.push(`CREATE INDEX rel_${lc(r.type)}_${i}_idx IF NOT EXISTS FOR ()-[r:${r.type}]-() ON (r.${i})`);
  }
  return out;
}

function lc(s: string): string {
  return s.toLowerCase();
}
