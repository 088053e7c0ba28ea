/**
 * A plugin in a folder outside the repository, with no package.json: it loads as an ES module (top-level await
 * works) and its bare imports (`@vtx/models`, `@tensorflow/tfjs-layers`, `zod`) resolve to vtx's own packages, even
 * with a node_modules of its own beside it, so the kind it registers is the one vtx's registry sees. The real CLI in
 * a child process, as `pnpm vtx` typed in that folder starts it (in the repository root, INIT_CWD the folder).
 */
import { copyFileSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { REPO_ROOT, runVtx } from '../../train/test/faults/lib/child.js';

const dir = mkdtempSync(join(tmpdir(), 'vtx-plugin-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
const example = join(REPO_ROOT, 'examples', 'new-model');
// the example plugin, plus a top-level await (a CommonJS load fails on it)
writeFileSync(
  join(dir, 'my-model.ts'),
  `${readFileSync(join(example, 'my-model.ts'), 'utf8')}\nawait Promise.resolve(); // ES modules only\n`,
);
copyFileSync(join(example, 'my-model.yaml'), join(dir, 'my-model.yaml'));
// a second copy of @vtx/models beside it, as a folder with its own node_modules has: it must not be the one loaded
const copy = join(dir, 'node_modules', '@vtx', 'models');
mkdirSync(copy, { recursive: true });
writeFileSync(
  join(copy, 'package.json'),
  '{ "name": "@vtx/models", "type": "module", "exports": "./index.js" }',
);
writeFileSync(join(copy, 'index.js'), "throw new Error('the plugin loaded a second copy of @vtx/models');\n");
const env = { VTX_BACKEND: 'cpu' };
const typedIn = { ...env, INIT_CWD: dir, npm_lifecycle_event: 'vtx' };

describe('a plugin outside the repository', { timeout: 600_000 }, () => {
  it('listed under plugins: in a YAML beside it: vtx info describes its model kind', async () => {
    const r = await runVtx(['info', 'my-model.yaml', '--json'], { cwd: REPO_ROOT, env: typedIn });
    expect(r.code, r.stderr).toBe(0);
    expect(JSON.parse(r.stdout)).toMatchObject({ model: 'VideoMixer-4x64/2x4x4', params: 174_356 });
  });

  it('given with --plugin and an absolute path, from the repository root', async () => {
    const yaml = join(dir, 'my-model.yaml');
    const r = await runVtx(['info', yaml, '--plugin', join(dir, 'my-model.ts'), '--json'], {
      cwd: REPO_ROOT,
      env,
    });
    expect(r.code, r.stderr).toBe(0);
    expect((JSON.parse(r.stdout) as { params: number }).params).toBe(174_356);
  });
});
