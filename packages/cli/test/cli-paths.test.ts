/**
 * Paths typed on the command line mean the directory they were typed in: `pnpm vtx` runs the CLI in the repository
 * root and says in INIT_CWD where the command was typed (for the `vtx` script: npm_lifecycle_event), so the CLI works
 * there. The real CLI in a child process, with the environment pnpm gives it.
 */
import { existsSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { REPO_ROOT, runVtx } from '../../train/test/faults/lib/child.js';

const dir = mkdtempSync(join(tmpdir(), 'vtx-paths-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
const sub = join(dir, 'project');
mkdirSync(join(sub, 'cfgs'), { recursive: true });
writeFileSync(
  join(sub, 'cfgs', 'tiny.yaml'),
  'name: tiny\nmodel: { kind: vit, size: Ti, depth: 1, width: 16, heads: 2, patch: 8, numClasses: 4 }\n' +
    'clip: [1, 16, 16, 3]\n',
);
const pnpm = { INIT_CWD: sub, npm_lifecycle_event: 'vtx', VTX_BACKEND: 'cpu' };

describe('pnpm vtx from a subfolder', { timeout: 600_000 }, () => {
  it('reads a relative config path against the folder it was typed in', async () => {
    const r = await runVtx(['info', join('cfgs', 'tiny.yaml'), '--json'], { cwd: REPO_ROOT, env: pnpm });
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    expect((JSON.parse(r.stdout) as { source: string }).source).toBe(join('cfgs', 'tiny.yaml'));
  });

  it('writes a relative output path into that folder, not the repository root', async () => {
    const args = ['data', 'build', 'synthetic', 'shapes-x', '--count', '4', '--frames', '2'];
    const r = await runVtx([...args, '--height', '8', '--width', '8'], { cwd: REPO_ROOT, env: pnpm });
    expect(r.code, r.stderr).toBe(0);
    expect(existsSync(join(sub, 'shapes-x', 'index.json'))).toBe(true);
    expect(existsSync(join(REPO_ROOT, 'shapes-x'))).toBe(false);
  });

  it('another pnpm script (a test run) leaves the working directory alone', async () => {
    const r = await runVtx(['info', join('cfgs', 'tiny.yaml')], {
      cwd: REPO_ROOT,
      env: { ...pnpm, npm_lifecycle_event: 'test' },
    });
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/'cfgs\/tiny\.yaml' is neither a file nor a model preset/);
  });
});
