import fp from 'fastify-plugin';
import type { FastifyRequest } from 'fastify';
import { AuditRepository, type AuditInput } from '../../../../core/src/graph/audit-repository.js';
import type { Principal } from '../../../../core/src/graph/auth-repository.js';

export interface AuditDetail {
  /** A stable dotted name such as `auth.login` or `asset.update`; defaults to "METHOD /route". */
  action?: string;
  target?: string;
  before?: unknown;
  after?: unknown;
  detail?: unknown;
  /** Who acted when it is not the authenticated caller (a sign-in names the user it signed in). */
  actor?: Principal;
}

declare module 'fastify' {
  interface FastifyInstance {
    audit: {
      /** Adds detail to the audit entry of this request (and makes a read such as an export audited). */
      record(req: FastifyRequest, d: AuditDetail): void;
      repo: AuditRepository;
    };
  }
  interface FastifyRequest {
    auditDetail: AuditDetail | null;
  }
}

const READ_METHODS = new Set(['GET', 'HEAD', 'OPTIONS']);

/**
 * Reads that are audited even when the route does not ask: exports of inventory and evidence,
 * recognised by their path (/exports/…, …/export) or by asking for a file (?format=csv, xlsx…).
 */
function isAuditedRead(route: string, query: unknown): boolean {
  const format = query && typeof query === 'object' ? (query as { format?: unknown }).format : undefined;
  return route.includes('/exports/') || route.endsWith('/export') || (typeof format === 'string' && format !== 'json');
}

/**
 * Every mutation under /api (any non-GET on a known route, whatever its outcome, including
 * refused ones), every export and every request a route marks with `app.audit.record` gets one
 * entry in the hash-chained audit log. The entry is written in onSend, before the client sees
 * the response, so an API client that reads the log right after a change finds it there.
 * Request bodies are never copied: only route params, the status and what the route provides.
 */
export default fp(
  async (app) => {
    const repo = new AuditRepository(app.graph);
    app.decorateRequest('auditDetail', null);
    app.decorate('audit', {
      repo,
      record(req: FastifyRequest, d: AuditDetail) {
        req.auditDetail = { ...(req.auditDetail ?? {}), ...d };
      },
    });

    app.addHook('onSend', async (req, reply, payload) => {
      const route = req.routeOptions.url;
      if (!route || !route.startsWith('/api/')) return payload;
      const mutation = !READ_METHODS.has(req.method);
      if (!mutation && !req.auditDetail && !isAuditedRead(route, req.query)) return payload;
      const d = req.auditDetail ?? {};
      const who = d.actor ?? req.principal;
      const entry: AuditInput = {
        actorKind: who ? who.kind : 'anonymous',
        actorId: who?.id ?? null,
        actorName: who?.name ?? null,
        actorRole: who?.role ?? null,
        ip: req.ip,
        action: d.action ?? `${req.method} ${route}`,
        method: req.method,
        route,
        params: req.params && Object.keys(req.params as object).length ? req.params : null,
        status: reply.statusCode,
        target: d.target ?? null,
        before: d.before,
        after: d.after,
        detail: d.detail ?? (!mutation && req.query && Object.keys(req.query as object).length ? { query: req.query } : undefined),
      };
      try {
        await repo.append(entry);
      } catch (err) {
        req.log.error({ err, action: entry.action }, 'could not write the audit entry');
      }
      return payload;
    });
  },
  { name: 'audit', dependencies: ['services', 'auth'] },
);
