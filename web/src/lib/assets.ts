import { api, ApiError, qs } from './api.js';

export interface AssetSummary {
  id: string;
  name: string;
  kind: string;
  ips: string[];
  mac: string | null;
  macVendor: string | null;
  hostnames: string[];
  os: string | null;
  status: string;
  ephiRole: string;
  isAi: boolean;
  firstSeen: string | null;
  lastSeen: string | null;
  demo: boolean;
}

export interface AssetFilters {
  q?: string;
  kind?: string;
  ephi?: string;
  ai?: string;
  stale?: string;
  subnet?: string;
  vendor?: string;
  site?: string;
  tag?: string;
}

export const ASSET_KINDS = [
  'server', 'workstation', 'network-device', 'medical-device', 'iot', 'mobile', 'virtual-machine', 'container',
  'application', 'database', 'cloud-service', 'saas', 'ai-system', 'storage-media', 'printer', 'unknown',
];
export const EPHI_ROLES = ['stores', 'processes', 'transmits', 'none', 'unknown'];

/** Filters the asset list endpoint understands (the map endpoints take the rest too). */
export function listFilters(f: AssetFilters): Record<string, string | undefined> {
  return { q: f.q, kind: f.kind, ephi: f.ephi, ai: f.ai, stale: f.stale, subnet: f.subnet };
}

export async function listAssets(f: AssetFilters & { sort?: string; order?: string; limit?: number; cursor?: string | null }): Promise<{ items: AssetSummary[]; nextCursor: string | null }> {
  return api(`/assets${qs({ ...listFilters(f), sort: f.sort, order: f.order, limit: f.limit ?? 100, cursor: f.cursor ?? undefined })}`);
}

/** Every asset matching the filters, up to `max`, a page at a time. */
export async function allAssets(f: AssetFilters, max: number): Promise<{ items: AssetSummary[]; truncated: boolean }> {
  const items: AssetSummary[] = [];
  let cursor: string | null = null;
  do {
    const page = await listAssets({ ...f, limit: 500, cursor });
    items.push(...page.items);
    cursor = page.nextCursor;
  } while (cursor && items.length < max);
  return { items: items.slice(0, max), truncated: Boolean(cursor) || items.length > max };
}

/** The /24 (IPv4) or /64 (IPv6) an address sits in: how the server groups subnets too. */
export function subnetOf(ip: string | undefined): string {
  if (!ip) return 'no address';
  const p = ip.split('.');
  if (p.length === 4) return `${p[0]}.${p[1]}.${p[2]}.0/24`;
  return `${ip.split(':').slice(0, 4).join(':')}::/64`;
}

export function isMissing(err: unknown): boolean {
  return err instanceof ApiError && err.missing;
}
