/**
 * Paths typed on the command line mean the directory they were typed in: `pnpm vtx` runs the CLI in the repository
 * root and says in INIT_CWD where the command was typed (for the `vtx` script: npm_lifecycle_event), so the CLI works
 * there. Paths in a config file mean the file's folder, and a run's config.yaml holds them relative to the run, so it
 * resumes from any directory. The real CLI in a child process, with the environment pnpm gives it.
 */
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
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

describe('a config beside its dataset, from a subfolder and from elsewhere', { timeout: 600_000 }, () => {
  const limit = { timeoutMs: 500_000 };
  it('trains from the subfolder with relative flags; the run resumes from another working directory', async () => {
    const build = ['data', 'build', 'synthetic', join('cfgs', 'shapes'), '--count', '8', '--frames', '2'];
    const built = await runVtx([...build, '--height', '16', '--width', '16'], {
      cwd: REPO_ROOT,
      env: pnpm,
      ...limit,
    });
    expect(built.code, built.stderr).toBe(0);
    writeFileSync(
      join(sub, 'cfgs', 'beside.yaml'),
      'name: beside\nseed: 1\n' +
        'model: { kind: vivit, size: Ti, depth: 1, width: 16, heads: 2, patch: [2, 8, 8], numClasses: 4 }\n' +
        'data: { dataset: shapes, batchSize: 4, worker: false }  # the folder beside this file\n' +
        'train: { steps: 2, logEvery: 1, checkpointEvery: 2, ema: { enabled: false } }\n' +
        "eval: { batches: 1 }\nlog: { tensorboard: false, progress: 'off' }\n",
    );
    const train = ['train', '--config', join('cfgs', 'beside.yaml'), '--out', join('runs', 'beside')];
    const first = await runVtx(train, { cwd: REPO_ROOT, env: pnpm, ...limit });
    expect(first.code, first.stderr).toBe(0);
    expect(first.stderr).not.toMatch(/warning/);
    const run = join(sub, 'runs', 'beside');
    expect(readFileSync(join(run, 'config.yaml'), 'utf8')).toContain(
      `dataset: ${join('..', '..', 'cfgs', 'shapes')}\n`,
    );

    const elsewhere = join(dir, 'elsewhere');
    mkdirSync(elsewhere);
    // typed in another folder, naming the run by a path relative to it
    const resume = ['train', '--resume', join('..', 'project', 'runs', 'beside'), '--set', 'train.steps=3'];
    const again = await runVtx(resume, { cwd: REPO_ROOT, env: { ...pnpm, INIT_CWD: elsewhere }, ...limit });
    expect(again.code, again.stderr).toBe(0);
    expect(again.stderr).not.toMatch(/warning/);
    const summary = JSON.parse(readFileSync(join(run, 'summary.json'), 'utf8')) as {
      status: string;
      step: number;
    };
    expect(summary).toMatchObject({ status: 'completed', step: 3 });
    expect(existsSync(join(elsewhere, 'shapes'))).toBe(false);
  });
});
