import { randomUUID } from 'node:crypto';
import { ConflictError, NotFoundError } from '../errors.js';
import { int, type GraphClient } from './neo4j-client.js';
import { decodeNameCursor, definedOnly, encodeNameCursor, linkAssets } from './vendor-repository.js';

/** Sites and locations (LOCATED_AT). Names are unique. */
export const SITE_KINDS = ['campus', 'building', 'floor', 'room', 'data-centre', 'cloud-region', 'remote', 'other'] as const;
export type SiteKind = (typeof SITE_KINDS)[number];

export interface SiteInput {
  name: string;
  kind: SiteKind;
  address: string | null;
  notes: string | null;
}
export interface SiteView extends SiteInput {
  id: string;
  assetCount: number;
  demo: boolean;
  createdAt: string | null;
  updatedAt: string | null;
}

const DEFAULTS: SiteInput = { name: '', kind: 'other', address: null, notes: null };

const VIEW = `{
  id: s.id, name: s.name, kind: coalesce(s.kind, 'other'), address: s.address, notes: s.notes,
  assetCount: COUNT { (s)<-[:LOCATED_AT]-(:Asset) }, demo: coalesce(s.demo, false), createdAt: s.createdAt, updatedAt: s.updatedAt
}`;

export class SiteRepository {
  constructor(private readonly graph: GraphClient) {}

  private async assertNameFree(name: string, id: string | null): Promise<void> {
    const rows = await this.graph.read('MATCH (s:Site {name: $name}) WHERE s.id <> $id RETURN s.id AS id', { name, id: id ?? '' });
    if (rows[0]) throw new ConflictError('SITE_EXISTS', `a site named ${name} already exists`, { id: rows[0].id, field: 'body.name' });
  }

  async create(input: Partial<SiteInput> & { name: string }, opts: { id?: string; demo?: boolean } = {}): Promise<SiteView> {
    const v = { ...DEFAULTS, ...input };
    await this.assertNameFree(v.name, null);
    const rows = await this.graph.write(
      `CREATE (s:Site {id: $id, createdAt: datetime(), updatedAt: datetime(), demo: $demo}) SET s += $props RETURN ${VIEW} AS site`,
      { id: opts.id ?? randomUUID(), demo: opts.demo ?? false, props: v },
    );
    return rows[0]!.site as SiteView;
  }

  async get(id: string): Promise<SiteView> {
    const rows = await this.graph.read(`MATCH (s:Site {id: $id}) RETURN ${VIEW} AS site`, { id });
    if (!rows[0]) throw new NotFoundError('site', id);
    return rows[0].site as SiteView;
  }

  async list(q: { q?: string; limit: number; cursor?: string }): Promise<{ items: SiteView[]; nextCursor: string | null }> {
    const where: string[] = [];
    const params: Record<string, unknown> = { limit: int(q.limit + 1) };
    if (q.q) {
      where.push('toLower(s.name) CONTAINS $q');
      params.q = q.q.toLowerCase();
    }
    if (q.cursor) {
      [params.an, params.aid] = decodeNameCursor(q.cursor);
      where.push('(s.name > $an OR (s.name = $an AND s.id > $aid))');
    }
    const rows = await this.graph.read(
      `MATCH (s:Site) ${where.length ? `WHERE ${where.join(' AND ')}` : ''} WITH s ORDER BY s.name, s.id LIMIT $limit RETURN ${VIEW} AS site`,
      params,
    );
    const items = rows.slice(0, q.limit).map((r) => r.site as SiteView);
    const last = items[items.length - 1];
    return { items, nextCursor: rows.length > q.limit && last ? encodeNameCursor(last.name, last.id) : null };
  }

  async update(id: string, patch: Partial<SiteInput>): Promise<SiteView> {
    await this.get(id);
    if (patch.name !== undefined) await this.assertNameFree(patch.name, id);
    const rows = await this.graph.write(`MATCH (s:Site {id: $id}) SET s += $set, s.updatedAt = datetime() RETURN ${VIEW} AS site`, { id, set: definedOnly(patch) });
    if (!rows[0]) throw new NotFoundError('site', id);
    return rows[0].site as SiteView;
  }

  /** Refuses while assets are located here: they would lose their location silently. */
  async delete(id: string): Promise<void> {
    const s = await this.get(id);
    if (s.assetCount > 0) throw new ConflictError('SITE_IN_USE', `${s.assetCount} assets are located at ${s.name}; move them first`, { assetCount: s.assetCount });
    await this.graph.write('MATCH (s:Site {id: $id}) DETACH DELETE s', { id });
  }

  /** Locates the assets at this site (LOCATED_AT), replacing any previous location. */
  async locateAssets(id: string, assetIds: string[]): Promise<number> {
    return linkAssets(this.graph, 'LOCATED_AT', 'Site', id, assetIds);
  }

  async exists(id: string): Promise<boolean> {
    return (await this.graph.read('MATCH (s:Site {id: $id}) RETURN s.id AS id', { id })).length > 0;
  }
}
