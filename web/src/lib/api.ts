/** The one place the UI talks HTTP. Same origin, session cookie; errors keep the API's code and message. */
export class ApiError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
    readonly details?: unknown,
  ) {
    super(message);
  }
  /** The endpoint is not part of this server (yet): views fall back or say so. */
  get missing(): boolean {
    return this.status === 404 && /^no route /.test(this.message);
  }
}

export const API = '/api/v1';

export async function api<T>(path: string, init: RequestInit & { json?: unknown } = {}): Promise<T> {
  const { json, ...rest } = init;
  const headers: Record<string, string> = { ...((rest.headers as Record<string, string>) ?? {}) };
  if (json !== undefined) headers['content-type'] = 'application/json';
  const res = await fetch(`${API}${path}`, { credentials: 'same-origin', ...rest, headers, ...(json !== undefined ? { body: JSON.stringify(json) } : {}) });
  if (res.status === 204) return undefined as T;
  const text = await res.text();
  let body: unknown = undefined;
  try {
    body = text ? JSON.parse(text) : undefined;
  } catch {
    body = text;
  }
  if (!res.ok) {
    const err = (body as { error?: { code?: string; message?: string; details?: unknown } } | undefined)?.error;
    const raw = body as { message?: string; code?: string } | undefined;
    throw new ApiError(res.status, err?.code ?? raw?.code ?? `HTTP_${res.status}`, err?.message ?? raw?.message ?? res.statusText, err?.details);
  }
  return body as T;
}

export function qs(params: Record<string, string | number | boolean | undefined | null>): string {
  const u = new URLSearchParams();
  for (const [k, v] of Object.entries(params)) if (v !== undefined && v !== null && v !== '') u.set(k, String(v));
  const s = u.toString();
  return s ? `?${s}` : '';
}

/** Who is signed in; set by the shell after login. */
export interface Me {
  kind: 'user' | 'token';
  name: string;
  role: 'viewer' | 'analyst' | 'security' | 'admin';
  mfaEnabled?: boolean;
  /** The role requires MFA and the user has not enrolled: only enrolment is allowed. */
  mfaEnrollmentRequired?: boolean;
}
const RANK = { viewer: 1, analyst: 2, security: 3, admin: 4 } as const;
export const session: { me: Me | null } = { me: null };
export function can(role: Me['role']): boolean {
  return session.me !== null && RANK[session.me.role] >= RANK[role];
}
