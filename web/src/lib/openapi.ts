import { API, ApiError } from './api.js';

/** The server's OpenAPI document, fetched once: forms read field names and enums from it. */
interface Spec {
  paths?: Record<string, Record<string, { requestBody?: { content?: Record<string, { schema?: unknown }> }; parameters?: { name: string; in: string }[] } | undefined>>;
}
let cached: Promise<Spec> | null = null;
export function openApi(): Promise<Spec> {
  cached ??= fetch(`${API}/openapi.json`).then((r) => {
    if (!r.ok) throw new Error(`openapi ${r.status}`);
    return r.json() as Promise<Spec>;
  });
  return cached;
}
/**
 * Whether this server offers an endpoint (path in OpenAPI form, e.g. `/map/groups/{groupId}`).
 * Views ask before calling optional endpoints, so a server without them produces no failed requests.
 */
export async function hasPath(path: string, method = 'get'): Promise<boolean> {
  const s = await openApi().catch(() => null);
  if (!s) return true;
  const norm = (x: string) => x.replace(/\{[^}]*\}/g, '{}');
  const want = norm(`${API}${path}`);
  return Object.entries(s.paths ?? {}).some(([k, v]) => norm(k) === want && Boolean(v[method]));
}

/** Throws the same "no route" error the server would, without sending the request. */
export async function requireOffered(path: string, method = 'get'): Promise<void> {
  if (!(await hasPath(path, method))) throw new ApiError(404, 'NOT_FOUND', `no route ${method.toUpperCase()} ${API}${path}`);
}

/** The query parameters an endpoint declares, or null when the endpoint is not offered. */
export async function queryParams(path: string): Promise<Set<string> | null> {
  const s = await openApi().catch(() => null);
  if (!s) return null;
  const norm = (x: string) => x.replace(/\{[^}]*\}/g, '{}');
  const want = norm(`${API}${path}`);
  const op = Object.entries(s.paths ?? {}).find(([k, v]) => norm(k) === want && v.get)?.[1].get;
  return op ? new Set((op.parameters ?? []).filter((p) => p.in === 'query').map((p) => p.name)) : null;
}

/** True when the endpoint exists and understands every filter that is set. */
export async function supports(path: string, filters: Record<string, unknown>): Promise<boolean> {
  const params = await queryParams(path);
  if (!params) return false;
  return Object.entries(filters).every(([k, v]) => v === undefined || v === '' || params.has(k));
}
