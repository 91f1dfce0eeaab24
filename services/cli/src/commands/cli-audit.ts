import { userInfo } from 'node:os';
import { AuditRepository, type AuditInput } from '../../../core/src/graph/audit-repository.js';
import type { GraphClient } from '../../../core/src/graph/neo4j-client.js';

/** Operator actions on the host are audited like API calls, with the OS account as the actor. */
export async function auditCli(graph: GraphClient, e: Omit<AuditInput, 'actorKind'>): Promise<void> {
  let who = 'unknown';
  try {
    who = userInfo().username;
  } catch {
    /* no passwd entry (containers): keep "unknown" */
  }
  await new AuditRepository(graph).append({ actorKind: 'cli', actorName: who, ip: 'local', ...e });
}
