import { z } from 'zod';
import { ALERT_SEVERITIES } from './alert-repository.js';
import { int, type GraphClient } from './neo4j-client.js';

/**
 * Staleness policies and the reads/writes the sweep needs. A policy selects assets by kind, by
 * ePHI role and optionally by source (per-source last seen on SEEN_BY), and says how old
 * `lastSeen` may be.
 */
export const stalenessPolicySchema = z.object({
  name: z.string().regex(/^[a-z0-9][a-z0-9-]{0,62}$/, 'lowercase letters, digits and dashes'),
  maxAgeSeconds: z.number().int().min(1),
  kinds: z.array(z.string()).optional(),
  ephiOnly: z.boolean().optional(),
  source: z.string().optional(),
  severity: z.enum(ALERT_SEVERITIES).default('medium'),
});
export type StalenessPolicy = z.infer<typeof stalenessPolicySchema>;

export const DEFAULT_STALENESS_POLICIES: StalenessPolicy[] = [
  { name: 'ephi-24h', ephiOnly: true, maxAgeSeconds: 24 * 3600, severity: 'high' },
  { name: 'any-7d', maxAgeSeconds: 7 * 24 * 3600, severity: 'medium' },
];

export function parsePolicies(json: string | undefined): StalenessPolicy[] {
  if (!json) return DEFAULT_STALENESS_POLICIES;
  return z.array(stalenessPolicySchema).min(1).parse(JSON.parse(json));
}

export const EPHI_BEARING = ['stores', 'processes', 'transmits'];

export interface StaleAsset {
  id: string;
  name: string | null;
  kind: string | null;
  lastSeen: string;
  ephiRole: string | null;
}

export async function findStaleAssets(graph: GraphClient, p: StalenessPolicy, now: Date, limit = 5_000): Promise<StaleAsset[]> {
  const cutoff = new Date(now.getTime() - p.maxAgeSeconds * 1000).toISOString();
  const rows = await graph.read(
    `MATCH (a:Asset) WHERE a.lastSeen IS NOT NULL
       AND ($kinds IS NULL OR a.kind IN $kinds)
       AND (NOT $ephiOnly OR coalesce(a.ephiRole, a.a_ephiRole) IN $bearing)
     OPTIONAL MATCH (a)-[s:SEEN_BY]->(:Source {id: $source})
     WITH a, CASE WHEN $source IS NULL THEN a.lastSeen ELSE s.lastSeen END AS seen
     WHERE seen IS NOT NULL AND seen < datetime($cutoff)
     RETURN a.id AS id, a.name AS name, a.kind AS kind, seen AS lastSeen, coalesce(a.ephiRole, a.a_ephiRole) AS ephiRole
     ORDER BY seen LIMIT $limit`,
    { kinds: p.kinds ?? null, ephiOnly: p.ephiOnly ?? false, bearing: EPHI_BEARING, source: p.source ?? null, cutoff, limit: int(limit) },
  );
  return rows as unknown as StaleAsset[];
}

export async function markAssetsStale(graph: GraphClient, ids: string[]): Promise<number> {
  if (ids.length === 0) return 0;
  const rows = await graph.write(`UNWIND $ids AS id MATCH (a:Asset {id: id}) WHERE a.status <> 'stale' SET a.status = 'stale' RETURN count(a) AS n`, { ids });
  return Number(rows[0]?.n ?? 0);
}

/** Dedupe keys of open stale alerts of a policy whose asset was seen again (or no longer exists). */
export async function recoveredStaleKeys(graph: GraphClient, p: StalenessPolicy, now: Date): Promise<string[]> {
  const cutoff = new Date(now.getTime() - p.maxAgeSeconds * 1000).toISOString();
  const rows = await graph.read(
    `MATCH (x:Alert) WHERE x.openKey STARTS WITH $prefix
     OPTIONAL MATCH (a:Asset {id: x.assetId})
     OPTIONAL MATCH (a)-[s:SEEN_BY]->(:Source {id: $source})
     WITH x, a, CASE WHEN $source IS NULL THEN a.lastSeen ELSE s.lastSeen END AS seen
     WHERE a IS NULL OR seen >= datetime($cutoff)
     RETURN x.openKey AS key`,
    { prefix: `stale:${p.name}:`, source: p.source ?? null, cutoff },
  );
  return rows.map((r) => r.key as string);
}
