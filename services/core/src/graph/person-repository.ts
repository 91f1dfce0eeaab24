import { randomUUID } from 'node:crypto';
import { ConflictError, NotFoundError } from '../errors.js';
import { int, type GraphClient } from './neo4j-client.js';
import { decodeNameCursor, definedOnly, encodeNameCursor, linkAssets } from './vendor-repository.js';

/** People accountable for assets (OWNED_BY). Email is unique when given. */
export interface PersonInput {
  name: string;
  email: string | null;
  title: string | null;
  department: string | null;
  phone: string | null;
}
export interface PersonView extends PersonInput {
  id: string;
  assetCount: number;
  demo: boolean;
  createdAt: string | null;
  updatedAt: string | null;
}

const DEFAULTS: PersonInput = { name: '', email: null, title: null, department: null, phone: null };

const VIEW = `{
  id: p.id, name: p.name, email: p.email, title: p.title, department: p.department, phone: p.phone,
  assetCount: COUNT { (p)<-[:OWNED_BY]-(:Asset) }, demo: coalesce(p.demo, false), createdAt: p.createdAt, updatedAt: p.updatedAt
}`;

export class PersonRepository {
  constructor(private readonly graph: GraphClient) {}

  private async assertEmailFree(email: string | null, id: string | null): Promise<void> {
    if (!email) return;
    const rows = await this.graph.read('MATCH (p:Person {email: $email}) WHERE p.id <> $id RETURN p.id AS id', { email, id: id ?? '' });
    if (rows[0]) throw new ConflictError('PERSON_EXISTS', `a person with email ${email} already exists`, { id: rows[0].id, field: 'body.email' });
  }

  async create(input: Partial<PersonInput> & { name: string }, opts: { id?: string; demo?: boolean } = {}): Promise<PersonView> {
    const v = { ...DEFAULTS, ...input, email: input.email ? input.email.toLowerCase() : null };
    await this.assertEmailFree(v.email, null);
    const rows = await this.graph.write(
      `CREATE (p:Person {id: $id, createdAt: datetime(), updatedAt: datetime(), demo: $demo}) SET p += $props RETURN ${VIEW} AS person`,
      { id: opts.id ?? randomUUID(), demo: opts.demo ?? false, props: v },
    );
    return rows[0]!.person as PersonView;
  }

  async get(id: string): Promise<PersonView> {
    const rows = await this.graph.read(`MATCH (p:Person {id: $id}) RETURN ${VIEW} AS person`, { id });
    if (!rows[0]) throw new NotFoundError('person', id);
    return rows[0].person as PersonView;
  }

  async list(q: { q?: string; limit: number; cursor?: string }): Promise<{ items: PersonView[]; nextCursor: string | null }> {
    const where: string[] = [];
    const params: Record<string, unknown> = { limit: int(q.limit + 1) };
    if (q.q) {
      where.push("(toLower(p.name) CONTAINS $q OR coalesce(p.email, '') CONTAINS $q)");
      params.q = q.q.toLowerCase();
    }
    if (q.cursor) {
      [params.an, params.aid] = decodeNameCursor(q.cursor);
      where.push('(p.name > $an OR (p.name = $an AND p.id > $aid))');
    }
    const rows = await this.graph.read(
      `MATCH (p:Person) ${where.length ? `WHERE ${where.join(' AND ')}` : ''} WITH p ORDER BY p.name, p.id LIMIT $limit RETURN ${VIEW} AS person`,
      params,
    );
    const items = rows.slice(0, q.limit).map((r) => r.person as PersonView);
    const last = items[items.length - 1];
    return { items, nextCursor: rows.length > q.limit && last ? encodeNameCursor(last.name, last.id) : null };
  }

  async update(id: string, patch: Partial<PersonInput>): Promise<PersonView> {
    await this.get(id);
    const set: Record<string, unknown> = definedOnly(patch);
    if (patch.email !== undefined) {
      set.email = patch.email ? patch.email.toLowerCase() : null;
      await this.assertEmailFree(set.email as string | null, id);
    }
    const rows = await this.graph.write(`MATCH (p:Person {id: $id}) SET p += $set, p.updatedAt = datetime() RETURN ${VIEW} AS person`, { id, set });
    if (!rows[0]) throw new NotFoundError('person', id);
    return rows[0].person as PersonView;
  }

  /** Refuses while the person owns assets: the inventory would lose its accountable person silently. */
  async delete(id: string): Promise<void> {
    const p = await this.get(id);
    if (p.assetCount > 0) throw new ConflictError('PERSON_IN_USE', `${p.name} is accountable for ${p.assetCount} assets; reassign them first`, { assetCount: p.assetCount });
    await this.graph.write('MATCH (p:Person {id: $id}) DETACH DELETE p', { id });
  }

  /** Makes this person accountable for the assets (OWNED_BY), replacing any previous owner. */
  async assignAssets(id: string, assetIds: string[]): Promise<number> {
    return linkAssets(this.graph, 'OWNED_BY', 'Person', id, assetIds);
  }

  async exists(id: string): Promise<boolean> {
    return (await this.graph.read('MATCH (p:Person {id: $id}) RETURN p.id AS id', { id })).length > 0;
  }
}
