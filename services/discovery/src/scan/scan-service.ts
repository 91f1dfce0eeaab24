import { lookup } from 'node:dns/promises';
import type { AtlasConfig } from '../../../core/src/config.js';
import { chunkTargets, inScope, parseScope, validateTargets, type ScopeEntry, type TargetChunk, type ValidatedTarget } from '../../../core/src/domain/scope.js';
import { ValidationError } from '../../../core/src/errors.js';
import type { GraphClient } from '../../../core/src/graph/neo4j-client.js';
import type { ScanDefinition, ScanRepository } from '../../../core/src/graph/scan-repository.js';
import type { QueueHub } from '../../../core/src/queue/queues.js';
import type { ProfileId } from './profiles.js';

/** Scope resolution and run expansion, shared by the API (run now) and the scheduled-scan job. */
export const CHUNK_SIZE = 256;

export interface ScanChunkJobData {
  definitionId: string;
  definitionName: string;
  profile: ProfileId;
  family: 4 | 6;
  specs: string[];
  /** The definition's whole target list, so ingestion can tell what range the run covered. */
  coveredTargets: string[];
  chunk: number;
  chunks: number;
  runStamp: string;
}

export async function systemResolve(host: string): Promise<string[]> {
  const res = await lookup(host, { all: true, verbatim: true });
  return res.map((r) => r.address);
}

export function ceilingScope(config: AtlasConfig): ScopeEntry[] {
  return parseScope(config.ATLAS_SCAN_SCOPE, 'ATLAS_SCAN_SCOPE');
}

/** The stored scope when an admin set one, else the configured ceiling. */
export async function effectiveScope(repo: ScanRepository, config: AtlasConfig): Promise<{ scope: ScopeEntry[]; source: 'stored' | 'config' }> {
  const stored = await repo.getStoredScope();
  if (stored && stored.cidrs.length > 0) {
    // Re-check against the ceiling, in case the operator narrowed ATLAS_SCAN_SCOPE since.
    const ceiling = ceilingScope(config);
    return { scope: parseScope(stored.cidrs).filter((e) => inScope(e, ceiling)), source: 'stored' };
  }
  return { scope: ceilingScope(config), source: 'config' };
}

/** Validates an admin's scope list: every entry a CIDR inside the configured ceiling. */
export function validateStoredScope(cidrs: string[], config: AtlasConfig): string[] {
  const entries = parseScope(cidrs, 'cidrs');
  const ceiling = ceilingScope(config);
  entries.forEach((e, i) => {
    if (!inScope(e, ceiling)) {
      throw new ValidationError('SCOPE_OUTSIDE_CEILING', `cidrs[${i}] "${cidrs[i]}" is outside ATLAS_SCAN_SCOPE (${config.ATLAS_SCAN_SCOPE}), the widest scope this installation allows`, {
        field: `cidrs[${i}]`,
        value: cidrs[i],
      });
    }
  });
  return entries.map((e) => e.cidr);
}

export async function checkTargets(repo: ScanRepository, config: AtlasConfig, targets: unknown, resolve = systemResolve): Promise<ValidatedTarget[]> {
  const { scope } = await effectiveScope(repo, config);
  return validateTargets(targets, { scope, maxPrefixV4: config.ATLAS_MAX_SCAN_PREFIX_V4, resolve, field: 'targets' });
}

export function chunkJobId(queues: QueueHub, definitionId: string, runStamp: string, chunk: number): string {
  return queues.newJobId('scan', `${definitionId}-${runStamp}-c${chunk}`);
}

/**
 * Re-checks the definition against the current scope, cuts it into chunks and enqueues one job per
 * chunk with deterministic ids (re-expanding the same run adds nothing). Returns the job ids.
 */
export async function enqueueScanRun(
  queues: QueueHub,
  graph: GraphClient,
  repo: ScanRepository,
  config: AtlasConfig,
  def: ScanDefinition,
  runStamp: string,
  resolve = systemResolve,
): Promise<string[]> {
  void graph;
  const targets = await checkTargets(repo, config, def.targets, resolve);
  const chunks: TargetChunk[] = chunkTargets(targets, CHUNK_SIZE);
  const ids: string[] = [];
  for (let i = 0; i < chunks.length; i++) {
    const c = chunks[i]!;
    const jobId = chunkJobId(queues, def.id, runStamp, i);
    const data: ScanChunkJobData = {
      definitionId: def.id,
      definitionName: def.name,
      profile: def.profile as ProfileId,
      family: c.family,
      specs: c.specs,
      coveredTargets: def.targets,
      chunk: i,
      chunks: chunks.length,
      runStamp,
    };
    ids.push(await queues.add('scan', 'scan', data, { jobId, attempts: 3, backoff: { type: 'exponential', delay: 3_000 } }));
  }
  await repo.recordRun(def.id, ids);
  return ids;
}
