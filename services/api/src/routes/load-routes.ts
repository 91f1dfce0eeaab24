import { readdirSync, existsSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import type { FastifyPluginAsync } from 'fastify';

/**
 * One folder per resource under routes/api/v1/<resource>/index.ts, each exporting its plugin
 * as default; they are registered in name order under /api/v1 (like @fastify/autoload, without
 * its magic). Adding a resource is adding a folder.
 */
export async function loadRouteModules(): Promise<{ name: string; plugin: FastifyPluginAsync }[]> {
  const dir = fileURLToPath(new URL('./api/v1/', import.meta.url));
  const out: { name: string; plugin: FastifyPluginAsync }[] = [];
  for (const name of readdirSync(dir).sort()) {
    const file = ['index.ts', 'index.js'].map((f) => join(dir, name, f)).find((f) => existsSync(f));
    if (!file) continue;
    const mod = (await import(pathToFileURL(file).href)) as { default: FastifyPluginAsync };
    out.push({ name, plugin: mod.default });
  }
  return out;
}
