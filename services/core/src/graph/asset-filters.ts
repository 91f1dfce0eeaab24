/**
 * The inventory filters shared by the asset list, the exports and anything else that selects
 * assets the way a user filters the inventory. Clauses are fixed text; values go in `params`.
 */
export interface InventoryFilter {
  q?: string;
  kind?: string;
  subnet?: string;
  ephi?: string;
  ai?: boolean;
  stale?: boolean;
}

export function inventoryWhere(f: InventoryFilter, params: Record<string, unknown>): string[] {
  const where = ['NOT a:Retired'];
  if (f.q) {
    where.push('a.searchText CONTAINS $q');
    params.q = f.q.toLowerCase();
  }
  if (f.kind) {
    where.push('a.kind = $kind');
    params.kind = f.kind;
  }
  if (f.subnet) {
    where.push('(a.subnetCidr = $subnet OR EXISTS { (a)-[:HAS_INTERFACE]->(:Interface)-[:IN_SUBNET]->(:Subnet {cidr: $subnet}) })');
    params.subnet = f.subnet;
  }
  if (f.ephi) {
    where.push("coalesce(a.ephiRole, 'unknown') = $ephi");
    params.ephi = f.ephi;
  }
  if (f.ai !== undefined) {
    where.push('coalesce(a.isAi, false) = $ai');
    params.ai = f.ai;
  }
  if (f.stale !== undefined) where.push(f.stale ? "a.status IN ['stale', 'missed']" : "NOT coalesce(a.status, 'up') IN ['stale', 'missed']");
  return where;
}
