import type { FastifyInstance } from 'fastify';

/** Signs in through the API like the UI does and returns the cookies it set. */
export async function login(app: FastifyInstance, username: string, password: string, cookie?: string) {
  const res = await app.inject({ method: 'POST', url: '/api/v1/auth/login', payload: { username, password }, headers: cookie ? { cookie } : {} });
  return { res, cookie: cookieHeader(res.cookies as { name: string; value: string }[]) };
}

export function cookieHeader(cookies: { name: string; value: string; maxAge?: number }[]): string {
  return cookies
    .filter((c) => c.value !== '' && c.maxAge !== 0)
    .map((c) => `${c.name}=${c.value}`)
    .join('; ');
}

export function setCookie(res: { cookies: unknown }, name: string): { name: string; value: string; httpOnly?: boolean; sameSite?: string; secure?: boolean; path?: string } | undefined {
  return (res.cookies as { name: string; value: string }[]).find((c) => c.name === name);
}
