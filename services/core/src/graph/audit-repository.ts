import { AUDIT_FIELDS, auditJson, checkLink, entryHash, GENESIS_HASH, type AuditEntry, type AuditFields, type ChainBreak } from '../auth/audit-chain.js';
import { int, type GraphClient } from './neo4j-client.js';

export interface AuditInput {
  actorKind: AuditFields['actorKind'];
  actorId?: string | null;
  actorName?: string | null;
  actorRole?: string | null;
  ip?: string | null;
  action: string;
  method?: string | null;
  route?: string | null;
  params?: unknown;
  status?: number | null;
  target?: string | null;
  before?: unknown;
  after?: unknown;
  detail?: unknown;
}

export interface AuditQuery {
  limit: number;
  /** Entries with seq below this (newest first paging). */
  beforeSeq?: number;
  actor?: string;
  action?: string;
  from?: string;
  to?: string;
  failedOnly?: boolean;
}

export interface VerifyReport {
  ok: boolean;
  count: number;
  firstBroken?: ChainBreak;
}

const RETURN_ENTRY = `e {${AUDIT_FIELDS.map((f) => `.${f}`).join(', ')}, .hash} AS e`;

/**
 * The append-only, hash-chained audit log. Appends are serialised by taking the write lock of a
 * single (:AuditHead) node inside the write transaction, so seq is gap-free and each entry
 * hashes the one before it. There is no update or delete.
 */
export class AuditRepository {
  constructor(private readonly graph: GraphClient) {}

  async append(input: AuditInput): Promise<AuditEntry> {
    return this.graph.executeWrite(async (tx) => {
      // SET on the head takes its write lock: a concurrent append waits here until we commit.
      const head = await tx.run(
        `MERGE (h:AuditHead {id: 'audit'}) ON CREATE SET h.seq = 0, h.hash = $genesis
         SET h.lockedAt = datetime()
         RETURN h.seq AS seq, h.hash AS hash`,
        { genesis: GENESIS_HASH },
      );
      const fields: AuditFields = {
        seq: Number(head[0]!.seq) + 1,
        at: new Date().toISOString(),
        actorKind: input.actorKind,
        actorId: input.actorId ?? null,
        actorName: input.actorName ?? null,
        actorRole: input.actorRole ?? null,
        ip: input.ip ?? null,
        action: input.action,
        method: input.method ?? null,
        route: input.route ?? null,
        params: auditJson(input.params),
        status: input.status ?? null,
        target: input.target ?? null,
        before: auditJson(input.before),
        after: auditJson(input.after),
        detail: auditJson(input.detail),
        prevHash: String(head[0]!.hash),
      };
      const hash = entryHash(fields);
      await tx.run(
        `MATCH (h:AuditHead {id: 'audit'})
         CREATE (e:AuditEntry $props) SET e.seq = $seq, e.status = $status
         SET h.seq = $seq, h.hash = $hash`,
        { props: { ...fields, hash }, seq: int(fields.seq), status: fields.status === null ? null : int(fields.status), hash },
      );
      return { ...fields, hash };
    });
  }

  async list(q: AuditQuery): Promise<{ items: AuditEntry[]; nextCursor: string | null }> {
    const rows = await this.graph.read(
      `MATCH (e:AuditEntry)
       WHERE ($before IS NULL OR e.seq < $before)
         AND ($actor IS NULL OR e.actorName = $actor OR e.actorId = $actor)
         AND ($action IS NULL OR e.action STARTS WITH $action)
         AND ($from IS NULL OR e.at >= $from)
         AND ($to IS NULL OR e.at < $to)
         AND (NOT $failedOnly OR e.status >= 400)
       RETURN ${RETURN_ENTRY} ORDER BY e.seq DESC LIMIT $limit`,
      {
        before: q.beforeSeq === undefined ? null : int(q.beforeSeq),
        actor: q.actor ?? null,
        action: q.action ?? null,
        from: q.from ?? null,
        to: q.to ?? null,
        failedOnly: q.failedOnly ?? false,
        limit: int(q.limit + 1),
      },
    );
    const items = rows.map((r) => r.e as AuditEntry);
    const more = items.length > q.limit;
    if (more) items.pop();
    return { items, nextCursor: more ? String(items[items.length - 1]!.seq) : null };
  }

  /** Every entry in seq order, in pages, for export and verification. */
  async *scan(pageSize = 2000): AsyncGenerator<AuditEntry> {
    let after = 0;
    for (;;) {
      const rows = await this.graph.read(`MATCH (e:AuditEntry) WHERE e.seq > $after RETURN ${RETURN_ENTRY} ORDER BY e.seq LIMIT $n`, { after: int(after), n: int(pageSize) });
      for (const r of rows) yield r.e as AuditEntry;
      if (rows.length < pageSize) return;
      after = Number((rows[rows.length - 1]!.e as AuditEntry).seq);
    }
  }

  /** Walks the chain from the first entry; names the first entry that is missing, re-linked or changed. */
  async verify(): Promise<VerifyReport> {
    let prev: AuditEntry | null = null;
    let count = 0;
    for await (const e of this.scan()) {
      const broken = checkLink(prev, e);
      if (broken) return { ok: false, count, firstBroken: broken };
      prev = e;
      count++;
    }
    const head = await this.graph.read(`MATCH (h:AuditHead {id: 'audit'}) RETURN h.seq AS seq, h.hash AS hash`);
    const h = head[0];
    const headSeq = h ? Number(h.seq) : 0;
    if (headSeq !== count || (prev && h && String(h.hash) !== prev.hash)) {
      return { ok: false, count, firstBroken: { seq: count + 1, reason: `the log ends at entry ${count} but ${headSeq} were written (entries removed from the end)` } };
    }
    return { ok: true, count };
  }
}

/**
 * For tests of tamper detection only: changes one stored field of one entry the way someone with
 * database access could. Nothing in the product calls it.
 */
export async function tamperWithAuditEntryForTests(graph: GraphClient, seq: number, field: 'action' | 'actorName' | 'ip' | 'after' | 'detail', value: string): Promise<void> {
  const allowed = ['action', 'actorName', 'ip', 'after', 'detail'];
  if (!allowed.includes(field)) throw new Error(`field ${field} not allowed`);
  await graph.write(`MATCH (e:AuditEntry {seq: $seq}) SET e += $patch`, { seq: int(seq), patch: { [field]: value } });
}
