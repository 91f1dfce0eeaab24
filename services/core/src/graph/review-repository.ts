import { randomUUID } from 'node:crypto';
import { AtlasError, NotFoundError } from '../errors.js';
import { resolveAlerts } from './alert-repository.js';
import { EPHI_ASSETS } from './compliance-repository.js';
import { raiseAlert } from './suggestion-repository.js';
import { int, type GraphClient } from './neo4j-client.js';

/**
 * Review attestations: a person says an asset's record is correct as of now. The last one is
 * kept on the asset (lastReviewedAt) for the gap report and the overdue sweep.
 */
export interface ReviewView {
  id: string;
  assetId: string;
  assetName: string;
  at: string;
  note: string | null;
  by: string;
  byRole: string;
  asAccountablePerson: boolean;
}

export const REVIEW_INTERVAL_DAYS = 365;

export class ReviewRepository {
  constructor(private readonly graph: GraphClient) {}

  /** Whether the principal is the asset's accountable person (owner linked by email, name or user id). */
  async isAccountable(assetId: string, principal: { id: string; name: string }): Promise<boolean> {
    const rows = await this.graph.read(
      `MATCH (a:Asset {id: $assetId})-[:OWNED_BY]->(p:Person)
       WHERE p.userId = $id OR toLower(coalesce(p.email, '')) = toLower($name) OR toLower(coalesce(p.username, '')) = toLower($name)
       RETURN count(p) > 0 AS ok`,
      { assetId, id: principal.id, name: principal.name },
    );
    return Boolean(rows[0]?.ok);
  }

  async attest(input: { assetId: string; note: string | null; by: string; byRole: string; asAccountablePerson: boolean; at?: string; id?: string }): Promise<ReviewView> {
    const id = input.id ?? `rev-${randomUUID()}`;
    const rows = await this.graph.write(
      `MATCH (a:Asset {id: $assetId}) WHERE NOT a:Retired
       MERGE (r:Review {id: $id})
         ON CREATE SET r.at = datetime($at), r.note = $note, r.by = $by, r.byRole = $byRole, r.asAccountablePerson = $acc, r.assetId = a.id
       MERGE (r)-[:ABOUT]->(a)
       WITH a, r, a.lastReviewedAt IS NULL OR a.lastReviewedAt < r.at AS newer
       FOREACH (_ IN CASE WHEN newer THEN [1] ELSE [] END | SET a.lastReviewedAt = r.at, a.lastReviewedBy = $by)
       WITH a, r
       RETURN r {.id, assetId: a.id, assetName: coalesce(a.name, a.id), at: r.at, .note, .by, .byRole, asAccountablePerson: r.asAccountablePerson} AS r`,
      { id, assetId: input.assetId, note: input.note, by: input.by, byRole: input.byRole, acc: input.asAccountablePerson, at: input.at ?? new Date().toISOString() },
    );
    if (!rows[0]) throw new NotFoundError('asset', input.assetId);
    await resolveAlerts(this.graph, { dedupeKeys: [`review-overdue:${input.assetId}`] }, 'record attested', input.by);
    return rows[0].r as ReviewView;
  }

  async list(q: { assetId?: string; limit: number }): Promise<ReviewView[]> {
    const rows = await this.graph.read(
      `MATCH (r:Review)-[:ABOUT]->(a:Asset) WHERE $assetId IS NULL OR a.id = $assetId
       RETURN r {.id, assetId: a.id, assetName: coalesce(a.name, a.id), at: r.at, .note, .by, .byRole, asAccountablePerson: coalesce(r.asAccountablePerson, false)} AS r
       ORDER BY r.at DESC, r.id LIMIT $limit`,
      { assetId: q.assetId ?? null, limit: int(q.limit) },
    );
    return rows.map((r) => r.r as ReviewView);
  }

  /** Opens a review-overdue alert for every ePHI-touching asset without a review in the interval. */
  async sweepOverdue(intervalDays = REVIEW_INTERVAL_DAYS): Promise<{ overdue: number; opened: number }> {
    if (!Number.isInteger(intervalDays) || intervalDays < 1) throw new AtlasError('INVALID_INTERVAL', 'intervalDays must be a positive integer', { status: 400 });
    const rows = await this.graph.read(
      `${EPHI_ASSETS}
       WITH a WHERE (a.lastReviewedAt IS NULL OR a.lastReviewedAt < datetime() - duration({days: $days}))
       RETURN a.id AS id, coalesce(a.name, a.id) AS name, toString(a.lastReviewedAt) AS last`,
      { days: int(intervalDays) },
    );
    let opened = 0;
    for (const r of rows) {
      const isNew = await raiseAlert(this.graph, {
        type: 'review-overdue',
        dedupeKey: `review-overdue:${r.id as string}`,
        severity: 'medium',
        message: `${r.name as string}: ${r.last ? `last review ${r.last as string}` : 'never reviewed'}; the record must be attested every ${intervalDays} days`,
        assetId: r.id as string,
        evidence: { lastReviewedAt: (r.last as string | null) ?? null },
      });
      if (isNew) opened++;
    }
    return { overdue: rows.length, opened };
  }
}
