/**
 * @vtx/core and @vtx/models are browser-safe: bundling each for the browser (esbuild, platform 'browser', the
 * package `browser` fields honoured, as Vite and every web bundler do) pulls in no Node built-in. A negative
 * control checks that the probe does catch one. The examples/browser-sampler test runs the result in Chromium.
 */
import { resolve } from 'node:path';
import { build, type BuildFailure } from 'esbuild';
import { describe, expect, it } from 'vitest';

const repo = resolve(import.meta.dirname, '../../../..');

/**
 * Bundle `entry` (or `contents`) for the browser. esbuild refuses a Node built-in that no `browser` field maps away
 * ('Could not resolve "fs"', "built into node"); those errors are returned, with the importing file.
 */
async function nodeImports(
  entry: { path: string } | { contents: string },
): Promise<{ found: string[]; bytes: number }> {
  try {
    const res = await build({
      ...('path' in entry
        ? { entryPoints: [entry.path] }
        : { stdin: { contents: entry.contents, resolveDir: repo, loader: 'ts' } }),
      bundle: true,
      write: false,
      platform: 'browser',
      format: 'esm',
      target: 'es2022',
      conditions: ['@vtx/source'],
      logLevel: 'silent',
    });
    return { found: [], bytes: res.outputFiles[0]!.contents.byteLength };
  } catch (e) {
    const errors = (e as BuildFailure).errors ?? [];
    if (!errors.length) throw e;
    const found = errors.map((m) => {
      const spec = /Could not resolve "([^"]+)"/.exec(m.text)?.[1] ?? m.text;
      return `${spec} (from ${m.location?.file ?? '?'})`;
    });
    return { found, bytes: 0 };
  }
}

describe('browser safety', () => {
  it.each(['core', 'models'])('@vtx/%s bundles for the browser without a Node built-in', async (pkg) => {
    const { found, bytes } = await nodeImports({ path: resolve(repo, `packages/${pkg}/src/index.ts`) });
    expect(found).toEqual([]);
    expect(bytes).toBeGreaterThan(100_000); // tfjs and the package itself really were bundled
  });

  it('the probe catches a Node built-in (negative control)', async () => {
    const { found } = await nodeImports({
      contents:
        "import { readFileSync } from 'node:fs'; import * as p from 'path'; console.log(readFileSync, p);",
    });
    expect(found.map((f) => f.split(' ')[0])).toEqual(['node:fs', 'path']);
  });
});
