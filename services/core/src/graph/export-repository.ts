import { inventoryWhere, type InventoryFilter } from './asset-filters.js';
import { ValidationError } from '../errors.js';
import { int, type GraphClient } from './neo4j-client.js';
import { BAA_CURRENT, BAA_STATUS } from './vendor-repository.js';

/**
 * Exports read the graph in keyset pages (ORDER BY id, WHERE id > last) so that memory stays
 * constant whatever the inventory size: each generator yields rows as soon as a page arrives.
 */
export const EXPORT_PAGE = 500;

export type { InventoryFilter } from './asset-filters.js';

/** The inventory columns required by the proposed Security Rule (asset inventory), in order. */
export const INVENTORY_COLUMNS = [
  ['id', 'Asset ID'],
  ['name', 'Name'],
  ['kind', 'Kind'],
  ['manufacturer', 'Manufacturer'],
  ['vendorModel', 'Vendor / model'],
  ['version', 'Version'],
  ['os', 'Operating system'],
  ['assetTag', 'Asset tag'],
  ['serial', 'Serial'],
  ['hostnames', 'Hostnames'],
  ['ips', 'IP addresses'],
  ['mac', 'MAC'],
  ['owner', 'Accountable person'],
  ['ownerEmail', 'Accountable person email'],
  ['site', 'Location'],
  ['ephiRole', 'ePHI role'],
  ['encryptionAtRest', 'Encryption at rest'],
  ['encryptionInTransit', 'Encryption in transit'],
  ['mfa', 'MFA'],
  ['criticality', 'Criticality'],
  ['status', 'Status'],
  ['firstSeen', 'First seen'],
  ['lastSeen', 'Last seen'],
  ['lastVulnScan', 'Last vulnerability scan'],
  ['vendor', 'Vendor'],
  ['vendorIsBusinessAssociate', 'Vendor is business associate'],
  ['baaSigned', 'BAA signed'],
  ['baaExpires', 'BAA expires'],
  ['baaStatus', 'BAA status'],
  ['isAi', 'AI system'],
  ['aiPurpose', 'AI purpose'],
  ['ephiFlowsOut', 'ePHI flows out'],
  ['ephiFlowsIn', 'ePHI flows in'],
] as const;
export type InventoryColumn = (typeof INVENTORY_COLUMNS)[number][0];
export type InventoryRow = Record<InventoryColumn, string | number | boolean | string[] | null>;

const INVENTORY_ROW = `{
  id: a.id, name: coalesce(a.name, a.id), kind: coalesce(a.kind, 'unknown'),
  manufacturer: coalesce(a.a_manufacturer, a.macVendor), vendorModel: a.a_vendorModel, version: coalesce(a.a_version, a.version),
  os: a.os, assetTag: coalesce(a.a_assetTag, a.assetTag), serial: coalesce(a.a_serial, a.serial),
  hostnames: coalesce(a.hostnames, []), ips: coalesce(a.ips, []), mac: a.mac,
  owner: p.name, ownerEmail: p.email, site: s.name,
  ephiRole: coalesce(a.ephiRole, 'unknown'),
  encryptionAtRest: coalesce(a.a_encryptionAtRest, 'unknown'), encryptionInTransit: coalesce(a.a_encryptionInTransit, 'unknown'),
  mfa: coalesce(a.a_mfa, 'unknown'), criticality: a.a_criticality, status: coalesce(a.status, 'up'),
  firstSeen: a.firstSeen, lastSeen: a.lastSeen, lastVulnScan: coalesce(a.lastVulnScanAt, a.lastScanAt),
  vendor: v.name, vendorIsBusinessAssociate: CASE WHEN v IS NULL THEN null ELSE coalesce(v.isBusinessAssociate, false) END,
  baaSigned: CASE WHEN v IS NULL THEN null ELSE coalesce(v.baaSigned, false) END, baaExpires: toString(v.baaExpires),
  baaStatus: CASE WHEN v IS NULL THEN null ELSE ${BAA_STATUS('v')} END,
  isAi: coalesce(a.isAi, false), aiPurpose: coalesce(a.a_aiPurpose, a.aiPurpose),
  ephiFlowsOut: COUNT { (a)-[:EPHI_FLOW]->() }, ephiFlowsIn: COUNT { (a)<-[:EPHI_FLOW]-() }
}`;


export async function* inventoryRows(graph: GraphClient, filter: InventoryFilter, pageSize = EXPORT_PAGE): AsyncGenerator<InventoryRow> {
  if (!Number.isInteger(pageSize) || pageSize < 1 || pageSize > 10_000) throw new ValidationError('INVALID_PAGE', 'page size out of range');
  let after = '';
  for (;;) {
    const params: Record<string, unknown> = { after, page: int(pageSize) };
    const where = [...inventoryWhere(filter, params), 'a.id > $after'];
    const rows = await graph.read(
      `MATCH (a:Asset) WHERE ${where.join(' AND ')}
       WITH a ORDER BY a.id LIMIT $page
       OPTIONAL CALL (a) { MATCH (a)-[:OWNED_BY]->(p:Person) RETURN p LIMIT 1 }
       OPTIONAL CALL (a) { MATCH (a)-[:LOCATED_AT]->(s:Site) RETURN s LIMIT 1 }
       OPTIONAL CALL (a) { MATCH (a)-[:SUPPLIED_BY]->(v:Vendor) RETURN v LIMIT 1 }
       RETURN ${INVENTORY_ROW} AS row ORDER BY row.id`,
      params,
    );
    for (const r of rows) yield r.row as InventoryRow;
    if (rows.length < pageSize) return;
    after = (rows[rows.length - 1]!.row as InventoryRow).id as string;
  }
}

export interface GraphNodeRow {
  id: string;
  type: 'asset' | 'vendor';
  label: string;
  kind: string;
  ephiRole: string | null;
  isAi: boolean;
  status: string | null;
  ips: string[];
}
export interface GraphEdgeRow {
  id: string;
  source: string;
  target: string;
  type: 'connection' | 'ephi-flow';
  protocol: string | null;
  port: number | null;
  encryptedInTransit: boolean | null;
  dataCategories: string[];
}

/**
 * Nodes (assets, then vendors), then edges: GraphML readers want endpoints declared first, so the
 * node pages are read twice (once for nodes, once for their outgoing edges) rather than held.
 */
export async function* graphElements(graph: GraphClient, pageSize = EXPORT_PAGE): AsyncGenerator<{ node: GraphNodeRow } | { edge: GraphEdgeRow }> {
  for (const pass of ['nodes', 'edges'] as const) {
    for (const label of ['Asset', 'Vendor'] as const) {
      let after = '';
      for (;;) {
        const rows = await graph.read(
          `MATCH (n:${label}) WHERE n.id > $after AND NOT coalesce(n:Retired, false)
           WITH n ORDER BY n.id LIMIT $page
           RETURN n.id AS id, ${pass === 'nodes' ? NODE_ROW : `${EDGE_ROWS} AS out`}
           ORDER BY id`,
          { after, page: int(pageSize) },
        );
        for (const r of rows) {
          if (pass === 'nodes') yield { node: r.node as GraphNodeRow };
          else for (const e of r.out as GraphEdgeRow[]) yield { edge: e };
        }
        if (rows.length < pageSize) break;
        after = rows[rows.length - 1]!.id as string;
      }
    }
  }
}

const NODE_ROW = `{id: n.id, type: CASE WHEN n:Vendor THEN 'vendor' ELSE 'asset' END, label: coalesce(n.name, n.id),
  kind: CASE WHEN n:Vendor THEN CASE WHEN coalesce(n.isAiService, false) THEN 'ai-service' ELSE 'vendor' END ELSE coalesce(n.kind, 'unknown') END,
  ephiRole: n.ephiRole, isAi: coalesce(n.isAi, n.isAiService, false), status: n.status, ips: coalesce(n.ips, [])} AS node`;
const EDGE_ROWS = `[(n)-[r:CONNECTS_TO|EPHI_FLOW]->(m) WHERE m:Asset OR m:Vendor |
  {id: coalesce(r.id, n.id + '>' + m.id + '>' + coalesce(r.protocol, '') + '/' + coalesce(toString(r.port), '')), source: n.id, target: m.id,
   type: CASE type(r) WHEN 'EPHI_FLOW' THEN 'ephi-flow' ELSE 'connection' END, protocol: r.protocol, port: r.port,
   encryptedInTransit: r.encryptedInTransit, dataCategories: coalesce(r.dataCategories, [])}]`;

export interface FlowExportRow {
  id: string;
  sourceType: string;
  sourceId: string;
  sourceName: string;
  targetType: string;
  targetId: string;
  targetName: string;
  dataCategories: string[];
  protocol: string | null;
  port: number | null;
  encryptedInTransit: boolean | null;
  purpose: string | null;
  origin: string;
  external: boolean;
  toAi: boolean;
  baaCovered: boolean | null;
  createdBy: string | null;
  createdAt: string | null;
  updatedAt: string | null;
}

export const FLOW_COLUMNS: (keyof FlowExportRow)[] = [
  'id', 'sourceType', 'sourceId', 'sourceName', 'targetType', 'targetId', 'targetName', 'dataCategories', 'protocol', 'port',
  'encryptedInTransit', 'purpose', 'origin', 'external', 'toAi', 'baaCovered', 'createdBy', 'createdAt', 'updatedAt',
];

export async function* flowRows(graph: GraphClient, pageSize = EXPORT_PAGE): AsyncGenerator<FlowExportRow> {
  let after = '';
  for (;;) {
    const rows = await graph.read(
      `MATCH (x)-[f:EPHI_FLOW]->(y) WHERE f.id > $after
       WITH x, f, y ORDER BY f.id LIMIT $page
       WITH x, f, y, CASE WHEN y:Vendor THEN y WHEN y.kind IN ['saas', 'cloud-service'] THEN head(COLLECT { MATCH (y)-[:SUPPLIED_BY]->(v:Vendor) RETURN v LIMIT 1 }) ELSE null END AS v
       RETURN {id: f.id, sourceType: CASE WHEN x:Vendor THEN 'vendor' ELSE 'asset' END, sourceId: x.id, sourceName: coalesce(x.name, x.id),
               targetType: CASE WHEN y:Vendor THEN 'vendor' ELSE 'asset' END, targetId: y.id, targetName: coalesce(y.name, y.id),
               dataCategories: coalesce(f.dataCategories, []), protocol: f.protocol, port: f.port, encryptedInTransit: f.encryptedInTransit,
               purpose: f.purpose, origin: coalesce(f.origin, 'asserted'), external: y:Vendor OR y.kind IN ['saas', 'cloud-service'],
               toAi: coalesce(y.isAiService, false) OR coalesce(y.isAi, false) OR coalesce(v.isAiService, false),
               baaCovered: CASE WHEN y:Vendor OR y.kind IN ['saas', 'cloud-service'] THEN v IS NOT NULL AND ${BAA_CURRENT('v')} ELSE null END,
               createdBy: f.createdBy, createdAt: f.createdAt, updatedAt: f.updatedAt} AS row
       ORDER BY row.id`,
      { after, page: int(pageSize) },
    );
    for (const r of rows) yield r.row as FlowExportRow;
    if (rows.length < pageSize) return;
    after = (rows[rows.length - 1]!.row as FlowExportRow).id;
  }
}
