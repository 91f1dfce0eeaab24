import { round } from './lib.js';

/** A tiny client for the running API (loopback only). */
export class Api {
  constructor(
    readonly base: string,
    private readonly token: string,
  ) {
    const host = new URL(base).hostname;
    if (host !== '127.0.0.1' && host !== 'localhost') throw new Error(`the bench only talks to loopback, not ${host}`);
  }

  get headers(): Record<string, string> {
    return { authorization: `Bearer ${this.token}` };
  }

  async get(path: string): Promise<{ status: number; ms: number; bytes: number; body: unknown }> {
    const t0 = performance.now();
    const res = await fetch(`${this.base}${path}`, { headers: this.headers });
    const text = await res.text();
    const ms = round(performance.now() - t0);
    let body: unknown = text;
    try {
      body = JSON.parse(text);
    } catch {
      /* keep text */
    }
    return { status: res.status, ms, bytes: Buffer.byteLength(text), body };
  }

  /** The OpenAPI paths the server declares right now: the bench measures what exists. */
  async paths(): Promise<Record<string, Record<string, { parameters?: { name: string; in: string }[] }>>> {
    const r = await fetch(`${this.base}/api/v1/openapi.json`);
    const doc = (await r.json()) as { paths?: Record<string, Record<string, { parameters?: { name: string; in: string }[] }>> };
    return doc.paths ?? {};
  }
}

export function findPath(paths: Record<string, unknown>, pattern: RegExp): string | undefined {
  return Object.keys(paths).find((p) => pattern.test(p));
}
