/** Roles are ordered: each includes everything the ones before it may do. */
export const ROLES = ['viewer', 'analyst', 'security', 'admin'] as const;
export type Role = (typeof ROLES)[number];

export function roleRank(r: Role): number {
  return ROLES.indexOf(r);
}

export function hasRole(actual: Role, required: Role): boolean {
  return roleRank(actual) >= roleRank(required);
}

export function isRole(s: string): s is Role {
  return (ROLES as readonly string[]).includes(s);
}
