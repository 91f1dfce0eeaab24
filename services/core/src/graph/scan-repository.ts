import { randomUUID } from 'node:crypto';
import { ConflictError, NotFoundError } from '../errors.js';
import { int, type GraphClient } from './neo4j-client.js';

/** Scan definitions and the admin-edited authorised scope, stored in the graph. */
export interface ScanDefinition {
  id: string;
  name: string;
  targets: string[];
  profile: string;
  schedule: string | null;
  owner: string | null;
  enabled: boolean;
  createdAt: string;
  updatedAt: string;
  lastRunAt: string | null;
  lastJobIds: string[];
}

export interface ScanDefinitionInput {
  name: string;
  targets: string[];
  profile: string;
  schedule: string | null;
  enabled: boolean;
}

const RETURN_DEF = `RETURN d {.id, .name, .targets, .profile, .schedule, .owner, .enabled, .createdAt, .updatedAt, .lastRunAt, .lastJobIds} AS d`;

function toDef(row: Record<string, unknown> | undefined): ScanDefinition | null {
  if (!row) return null;
  const d = row.d as Record<string, unknown>;
  return {
    id: d.id as string,
    name: d.name as string,
    targets: (d.targets as string[]) ?? [],
    profile: d.profile as string,
    schedule: (d.schedule as string | null) ?? null,
    owner: (d.owner as string | null) ?? null,
    enabled: (d.enabled as boolean | null) ?? true,
    createdAt: d.createdAt as string,
    updatedAt: d.updatedAt as string,
    lastRunAt: (d.lastRunAt as string | null) ?? null,
    lastJobIds: (d.lastJobIds as string[] | null) ?? [],
  };
}

export class ScanRepository {
  constructor(private readonly graph: GraphClient) {}

  async create(input: ScanDefinitionInput, owner: string | null): Promise<ScanDefinition> {
    try {
      const rows = await this.graph.write(
        `CREATE (d:ScanDefinition {id: $id, name: $name, targets: $targets, profile: $profile, schedule: $schedule, enabled: $enabled,
                 owner: $owner, createdAt: datetime(), updatedAt: datetime(), lastJobIds: []})
         ${RETURN_DEF}`,
        { id: randomUUID(), ...input, owner },
      );
      return toDef(rows[0])!;
    } catch (err) {
      if ((err as { code?: string }).code === 'CONSTRAINT_VIOLATION') throw new ConflictError('SCAN_NAME_TAKEN', `a scan named "${input.name}" already exists`, { field: 'name' });
      throw err;
    }
  }

  async get(id: string): Promise<ScanDefinition> {
    const d = toDef((await this.graph.read(`MATCH (d:ScanDefinition {id: $id}) ${RETURN_DEF}`, { id }))[0]);
    if (!d) throw new NotFoundError('scan', id);
    return d;
  }

  async list(limit = 200): Promise<ScanDefinition[]> {
    const rows = await this.graph.read(`MATCH (d:ScanDefinition) WITH d ORDER BY d.name LIMIT $limit ${RETURN_DEF}`, { limit: int(limit) });
    return rows.map((r) => toDef(r)!);
  }

  async update(id: string, patch: Partial<ScanDefinitionInput>): Promise<ScanDefinition> {
    const set: Record<string, unknown> = {};
    for (const k of ['name', 'targets', 'profile', 'schedule', 'enabled'] as const) if (patch[k] !== undefined) set[k] = patch[k];
    try {
      const rows = await this.graph.write(`MATCH (d:ScanDefinition {id: $id}) SET d += $set, d.updatedAt = datetime() ${RETURN_DEF}`, { id, set });
      const d = toDef(rows[0]);
      if (!d) throw new NotFoundError('scan', id);
      return d;
    } catch (err) {
      if ((err as { code?: string }).code === 'CONSTRAINT_VIOLATION') throw new ConflictError('SCAN_NAME_TAKEN', `a scan named "${patch.name}" already exists`, { field: 'name' });
      throw err;
    }
  }

  async remove(id: string): Promise<void> {
    const rows = await this.graph.write(`MATCH (d:ScanDefinition {id: $id}) DETACH DELETE d RETURN 1 AS ok`, { id });
    if (rows.length === 0) throw new NotFoundError('scan', id);
  }

  async recordRun(id: string, jobIds: string[]): Promise<void> {
    await this.graph.write(`MATCH (d:ScanDefinition {id: $id}) SET d.lastRunAt = datetime(), d.lastJobIds = $jobIds`, { id, jobIds });
  }

  /** The admin-edited scope, or null when none is stored (then the configured ceiling applies). */
  async getStoredScope(): Promise<{ cidrs: string[]; updatedAt: string; updatedBy: string | null } | null> {
    const rows = await this.graph.read(`MATCH (s:ScanScope {id: 'default'}) RETURN s.cidrs AS cidrs, s.updatedAt AS updatedAt, s.updatedBy AS updatedBy`);
    const r = rows[0];
    return r ? { cidrs: (r.cidrs as string[]) ?? [], updatedAt: r.updatedAt as string, updatedBy: (r.updatedBy as string | null) ?? null } : null;
  }

  async setStoredScope(cidrs: string[] | null, by: string | null): Promise<void> {
    if (cidrs === null) {
      await this.graph.write(`MATCH (s:ScanScope {id: 'default'}) DETACH DELETE s`);
      return;
    }
    await this.graph.write(`MERGE (s:ScanScope {id: 'default'}) SET s.cidrs = $cidrs, s.updatedAt = datetime(), s.updatedBy = $by`, { cidrs, by });
  }
}

export interface ScanFinding {
  assetId: string;
  name: string | null;
  ip: string | null;
  port?: number;
  protocol?: string;
  product?: string | null;
}

/** Assets among `ips` first seen at or after `since` (new in this scan). */
export async function findNewAssets(graph: GraphClient, ips: string[], since: string): Promise<ScanFinding[]> {
  if (ips.length === 0) return [];
  const rows = await graph.read(
    `MATCH (a:Asset)-[:HAS_INTERFACE]->(i:Interface) WHERE i.ip IN $ips AND a.firstSeen >= datetime($since)
     RETURN DISTINCT a.id AS assetId, a.name AS name, i.ip AS ip`,
    { ips, since },
  );
  return rows as unknown as ScanFinding[];
}

/** Open services first seen at or after `since` on ePHI-bearing assets that existed before. */
export async function findNewEphiPorts(graph: GraphClient, ips: string[], since: string): Promise<ScanFinding[]> {
  if (ips.length === 0) return [];
  const rows = await graph.read(
    `MATCH (a:Asset)-[:HAS_INTERFACE]->(i:Interface) WHERE i.ip IN $ips AND a.firstSeen < datetime($since)
       AND coalesce(a.ephiRole, a.a_ephiRole) IN ['stores', 'processes', 'transmits']
     MATCH (a)-[:HAS_SERVICE]->(s:Service) WHERE s.state = 'open' AND s.firstSeen >= datetime($since)
     RETURN DISTINCT a.id AS assetId, a.name AS name, i.ip AS ip, s.port AS port, s.protocol AS protocol, s.product AS product`,
    { ips, since },
  );
  return rows as unknown as ScanFinding[];
}

/** NSE script output recorded on an asset's service (e.g. dicom-ping), by address and port. */
export async function serviceScripts(graph: GraphClient, ip: string, protocol: string, port: number): Promise<{ id: string; output: string }[]> {
  const rows = await graph.read(
    `MATCH (a:Asset)-[:HAS_INTERFACE]->(:Interface {ip: $ip}) MATCH (a)-[:HAS_SERVICE]->(s:Service {protocol: $protocol, port: $port})
     RETURN s.scripts AS scripts LIMIT 1`,
    { ip, protocol, port: int(port) },
  );
  const raw = rows[0]?.scripts as string | null | undefined;
  return raw ? (JSON.parse(raw) as { id: string; output: string }[]) : [];
}
