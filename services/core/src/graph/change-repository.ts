import { ValidationError } from '../errors.js';
import { int, type GraphClient } from './neo4j-client.js';

/** The change feed: what changed, globally or per asset, newest first, with cursor paging. */
export interface ChangeView {
  id: string;
  type: string;
  assetId: string;
  at: string;
  summary: string | null;
  detail: unknown;
  runId: string | null;
  sourceId: string | null;
  by: string | null;
}

export interface ChangeQuery {
  since?: string;
  until?: string;
  assetId?: string;
  type?: string;
  limit: number;
  cursor?: string;
}

export const CHANGE_VIEW = `{
  id: c.id, type: c.type, assetId: c.assetId, at: c.at, summary: c.summary, detail: c.detail,
  runId: c.runId, sourceId: c.sourceId, by: c.by
}`;

export function parseDetail(s: unknown): unknown {
  if (typeof s !== 'string') return null;
  try {
    return JSON.parse(s) as unknown;
  } catch {
    return s;
  }
}

export class ChangeRepository {
  constructor(private readonly graph: GraphClient) {}

  async list(q: ChangeQuery): Promise<{ items: ChangeView[]; nextCursor: string | null }> {
    const where: string[] = [];
    const params: Record<string, unknown> = { limit: int(q.limit + 1) };
    if (q.since) {
      where.push('c.at >= datetime($since)');
      params.since = q.since;
    }
    if (q.until) {
      where.push('c.at < datetime($until)');
      params.until = q.until;
    }
    if (q.assetId) {
      where.push('c.assetId = $assetId');
      params.assetId = q.assetId;
    }
    if (q.type) {
      where.push('c.type = $type');
      params.type = q.type;
    }
    if (q.cursor) {
      const [at, id] = decode(q.cursor);
      where.push('(c.at < datetime($cat) OR (c.at = datetime($cat) AND c.id < $cid))');
      params.cat = at;
      params.cid = id;
    }
    const rows = await this.graph.read(
      `MATCH (c:ChangeEvent) ${where.length ? 'WHERE ' + where.join(' AND ') : ''}
       RETURN ${CHANGE_VIEW} AS c ORDER BY c.at DESC, c.id DESC LIMIT $limit`,
      params,
    );
    const items = rows.map((r) => {
      const c = r.c as ChangeView;
      return { ...c, detail: parseDetail(c.detail) };
    });
    const more = items.length > q.limit;
    const page = items.slice(0, q.limit);
    const last = page[page.length - 1];
    return { items: page, nextCursor: more && last ? Buffer.from(JSON.stringify([last.at, last.id])).toString('base64url') : null };
  }
}

function decode(c: string): [string, string] {
  try {
    const v = JSON.parse(Buffer.from(c, 'base64url').toString('utf8')) as unknown;
    if (Array.isArray(v) && v.length === 2 && typeof v[0] === 'string' && typeof v[1] === 'string' && !Number.isNaN(Date.parse(v[0]))) return [v[0], v[1]];
  } catch {
    /* fall through */
  }
  throw new ValidationError('INVALID_CURSOR', 'cursor is not one this API issued', { field: 'cursor' });
}
