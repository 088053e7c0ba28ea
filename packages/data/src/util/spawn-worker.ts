/**
 * Start a worker thread on a module of this package, from sources or from a build: `<name>.js` next
 * to the caller in dist, `<name>.ts` from TypeScript sources through tsx's ESM hooks registered inside
 * the worker (on Node 20 an inherited `--import tsx` does not apply to a worker's entry module:
 * "Unknown file extension .ts"), so tests, `pnpm vtx` and built code all work.
 */
import { createRequire } from 'node:module';
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { Worker } from 'node:worker_threads';

/** `callerUrl`: the caller's `import.meta.url`; `name`: the worker module's path relative to it, no extension. */
export function spawnWorker(callerUrl: string, name: string): Worker {
  const ext = path.extname(fileURLToPath(callerUrl));
  const entry = new URL(`${name}${ext}`, callerUrl);
  if (ext !== '.ts') return new Worker(entry);
  const tsxPkg = createRequire(callerUrl).resolve('tsx/package.json');
  const api = pathToFileURL(path.join(path.dirname(tsxPkg), 'dist/esm/api/index.mjs')).href;
  const boot = `import(${JSON.stringify(api)}).then((m) => { m.register(); return import(${JSON.stringify(entry.href)}); });`;
  return new Worker(boot, { eval: true });
}
