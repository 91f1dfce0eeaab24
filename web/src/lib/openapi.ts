import { API } from './api.js';

/** The server's OpenAPI document, fetched once: forms read field names and enums from it. */
interface Spec {
  paths?: Record<string, Record<string, { requestBody?: { content?: Record<string, { schema?: unknown }> } }>>;
}
let cached: Promise<Spec> | null = null;
export function openApi(): Promise<Spec> {
  cached ??= fetch(`${API}/openapi.json`).then((r) => {
    if (!r.ok) throw new Error(`openapi ${r.status}`);
    return r.json() as Promise<Spec>;
  });
  return cached;
}
export async function hasPath(path: string, method = 'get'): Promise<boolean> {
  const s = await openApi().catch(() => null);
  return Boolean(s?.paths?.[`${API}${path}`]?.[method]);
}
