/**
 * The dashboard page is a Vite app in ../client. `vtx view` serves its production build from dist/client, building
 * it first (a few seconds, once) when the build is missing or older than the client sources.
 */
import { promises as fs } from 'node:fs';
import { join, resolve } from 'node:path';

export const CLIENT_SRC = resolve(import.meta.dirname, '../client');
export const CLIENT_DIST = resolve(import.meta.dirname, '../dist/client');

async function newest(dir: string): Promise<number> {
  let t = 0;
  for (const e of await fs.readdir(dir, { withFileTypes: true })) {
    const p = join(dir, e.name);
    t = Math.max(t, e.isDirectory() ? await newest(p) : (await fs.stat(p)).mtimeMs);
  }
  return t;
}

/** The directory of the built page; builds it with Vite when stale. */
export async function ensureClient(
  opts: { log?: (msg: string) => void; force?: boolean } = {},
): Promise<string> {
  const built = await fs.stat(join(CLIENT_DIST, 'index.html')).catch(() => undefined);
  if (!opts.force && built && built.mtimeMs >= (await newest(CLIENT_SRC))) return CLIENT_DIST;
  opts.log?.('building the dashboard page (once)…');
  const { build } = await import('vite');
  await build({ configFile: join(CLIENT_SRC, 'vite.config.ts'), logLevel: 'warn' });
  return CLIENT_DIST;
}
