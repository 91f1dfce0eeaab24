import { createHash, randomBytes } from 'node:crypto';
import { chmod, mkdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { gunzipSync, gzipSync } from 'node:zlib';
import { diffSnapshots, type SnapshotContent, type SnapshotDiff } from '../classification/snapshot-diff.js';
import { AtlasError, NotFoundError } from '../errors.js';
import { ComplianceRepository } from './compliance-repository.js';
import { int, type GraphClient } from './neo4j-client.js';

/**
 * Evidence snapshots: inventory + map + gaps as one gzip'd JSON file under
 * <ATLAS_DATA_DIR>/snapshots, written once (exclusive create, read-only mode) with its sha256 on
 * a (:Snapshot) node. Reading checks the hash, so an edited file is refused, not trusted.
 */
export interface SnapshotMeta {
  id: string;
  takenAt: string;
  trigger: 'on-demand' | 'scheduled';
  takenBy: string;
  sha256: string;
  bytes: number;
  file: string;
  assets: number;
  flows: number;
  gaps: number;
  note: string | null;
}

const META = `s {.id, takenAt: s.takenAt, .trigger, .takenBy, .sha256, .bytes, .file, .assets, .flows, .gaps, .note}`;

/** Internal bookkeeping that changes without the record changing. */
const NOT_EVIDENCE = new Set(['searchText', 'lastSeen', 'demo']);

export class SnapshotRepository {
  constructor(
    private readonly graph: GraphClient,
    private readonly dataDir: string,
  ) {}

  private dir(): string {
    return join(this.dataDir, 'snapshots');
  }

  async content(id: string, takenAt: string): Promise<SnapshotContent> {
    const inv = await this.graph.read(
      `MATCH (a:Asset) WHERE NOT a:Retired
       CALL (a) { OPTIONAL MATCH (a)-[:OWNED_BY]->(p:Person) RETURN collect(coalesce(p.name, p.id)) AS owners }
       CALL (a) { OPTIONAL MATCH (a)-[:LOCATED_AT]->(s:Site) RETURN collect(coalesce(s.name, s.id)) AS sites }
       CALL (a) { OPTIONAL MATCH (a)-[:SUPPLIED_BY]->(v:Vendor) RETURN collect(coalesce(v.name, v.id)) AS vendors }
       CALL (a) {
         OPTIONAL MATCH (a)-[:HAS_SERVICE]->(s:Service)
         WITH s ORDER BY s.protocol, s.port
         RETURN collect(CASE WHEN s IS NULL THEN NULL ELSE {protocol: s.protocol, port: s.port, state: s.state, product: s.product, version: s.version} END) AS services
       }
       RETURN properties(a) AS p, owners, sites, vendors, services ORDER BY a.id`,
    );
    const inventory = inv.map((r) => {
      const p = r.p as Record<string, unknown>;
      const rec: Record<string, unknown> = {};
      for (const k of Object.keys(p).sort()) if (!NOT_EVIDENCE.has(k)) rec[k] = p[k];
      return { ...(rec as { id: string }), owners: r.owners, sites: r.sites, vendors: r.vendors, services: r.services };
    });
    const flows = await this.graph.read(
      `MATCH (x)-[f:EPHI_FLOW]->(y)
       RETURN f {id: coalesce(f.id, elementId(f)), source: x.id, target: y.id, .dataCategories, .protocol, .port, .encryptedInTransit, .purpose, .origin, .updatedAt} AS f
       ORDER BY f.id`,
    );
    const connections = await this.graph.read(
      `MATCH (x)-[c:CONNECTS_TO]->(y) WITH x, y, c LIMIT 200000
       RETURN {source: x.id, target: y.id, protocol: c.protocol, port: c.port} AS c ORDER BY c.source, c.target, c.port`,
    );
    const gaps = await new ComplianceRepository(this.graph).gapReport({}, new Date(takenAt));
    return {
      format: 'ephi-atlas-snapshot/1',
      id,
      takenAt,
      inventory,
      map: { flows: flows.map((r) => r.f as { id: string }), connections: connections.map((r) => r.c as { source: string; target: string }) },
      gaps: { totals: gaps.totals, rows: gaps.rows.map((r) => ({ ...r })) },
    };
  }

  async take(opts: { trigger: 'on-demand' | 'scheduled'; takenBy: string; note?: string | null }): Promise<SnapshotMeta> {
    const now = new Date();
    const takenAt = now.toISOString();
    const id = `snap-${takenAt.replace(/[-:.]/g, '').replace('T', 't').replace('Z', 'z')}-${randomBytes(3).toString('hex')}`;
    const content = await this.content(id, takenAt);
    const blob = gzipSync(Buffer.from(JSON.stringify(content)), { level: 9 });
    const sha256 = createHash('sha256').update(blob).digest('hex');
    await mkdir(this.dir(), { recursive: true });
    const file = `${id}.json.gz`;
    const path = join(this.dir(), file);
    await writeFile(path, blob, { flag: 'wx' });
    await chmod(path, 0o444);
    const rows = await this.graph.write(
      `CREATE (s:Snapshot {id: $id, takenAt: datetime($takenAt), trigger: $trigger, takenBy: $by, sha256: $sha, bytes: $bytes, file: $file,
                           assets: $assets, flows: $flows, gaps: $gaps, note: $note})
       RETURN ${META} AS s`,
      {
        id,
        takenAt,
        trigger: opts.trigger,
        by: opts.takenBy,
        sha: sha256,
        bytes: int(blob.length),
        file,
        assets: int(content.inventory.length),
        flows: int(content.map.flows.length),
        gaps: int(content.gaps.rows.reduce((n, r) => n + r.gaps.length, 0)),
        note: opts.note ?? null,
      },
    );
    return rows[0]!.s as SnapshotMeta;
  }

  async list(limit: number): Promise<SnapshotMeta[]> {
    const rows = await this.graph.read(`MATCH (s:Snapshot) RETURN ${META} AS s ORDER BY s.takenAt DESC, s.id DESC LIMIT $limit`, { limit: int(limit) });
    return rows.map((r) => r.s as SnapshotMeta);
  }

  async meta(id: string): Promise<SnapshotMeta> {
    const rows = await this.graph.read(`MATCH (s:Snapshot {id: $id}) RETURN ${META} AS s`, { id });
    if (!rows[0]) throw new NotFoundError('snapshot', id);
    return rows[0].s as SnapshotMeta;
  }

  /** Reads the blob back and checks it against the recorded sha256. */
  async read(id: string): Promise<{ meta: SnapshotMeta; content: SnapshotContent }> {
    const meta = await this.meta(id);
    let blob: Buffer;
    try {
      blob = await readFile(join(this.dir(), meta.file));
    } catch {
      throw new AtlasError('SNAPSHOT_MISSING', `the evidence file of snapshot ${id} is missing from the data folder`, { status: 404, details: { id } });
    }
    const sha = createHash('sha256').update(blob).digest('hex');
    if (sha !== meta.sha256) {
      throw new AtlasError('SNAPSHOT_TAMPERED', `the evidence file of snapshot ${id} does not match its recorded sha256`, { status: 409, details: { id, expected: meta.sha256, actual: sha } });
    }
    return { meta, content: JSON.parse(gunzipSync(blob).toString('utf8')) as SnapshotContent };
  }

  async diff(from: string, to: string): Promise<SnapshotDiff> {
    const [a, b] = await Promise.all([this.read(from), this.read(to)]);
    return diffSnapshots(a.content, b.content);
  }
}
