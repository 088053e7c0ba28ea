/**
 * `vtx train --config F --smoke`: on a tiny class-conditional video DiT (sampling, evaluation, checkpoints), two
 * steps run — step 1, then a resume from its checkpoint for step 2 — in a temporary directory that is removed, and
 * nothing lands in runs/. A bad config is still a config error (exit 2), and --smoke takes no --out. `vtx sweep
 * --smoke` smokes a stage, then each run initialised from it, in a temporary sweep directory it removes.
 */
import { existsSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { selectBackend } from '@vtx/core';
import { captureCli } from './helpers/cli.js';
import { tinyConfig } from '../../train/test/helpers/tiny.js';

const dir = mkdtempSync(join(tmpdir(), 'vtx-smoke-test-'));
const io = captureCli();
const name = `smoke-${process.pid}`;
const file = join(dir, 'tiny.yaml');
beforeAll(async () => {
  await selectBackend({ override: 'wasm' });
  // JSON is YAML: the tiny video DiT, 50 steps (the smoke test runs 2), 2 samples at the end
  const cfg = tinyConfig(join(dir, 'cache'), { name, sample: { count: 2 } });
  writeFileSync(file, JSON.stringify({ ...cfg, train: { ...cfg.train, steps: 50 } }));
});
afterAll(async () => {
  rmSync(dir, { recursive: true, force: true });
  await selectBackend({ override: 'cpu' });
});

describe('vtx train --smoke', () => {
  it('trains step 1, resumes for step 2, evaluates, samples and checkpoints, and keeps nothing', async () => {
    expect(await io.run('train', '--config', file, '--smoke')).toBe(0);
    expect(io.out).toMatch(
      /^smoke test passed: .*tiny\.yaml: 2 steps in [\d.]+ s \(segments 0-1, 1-2: resumed/,
    );
    expect(io.out).toMatch(/checkpoints of steps 1, 2;/);
    expect(io.out).toMatch(/evaluation [^;]*val\/loss/);
    expect(io.out).toMatch(/samples [1-9]/);
    const tmp = /nothing kept \((.*) removed\)/.exec(io.out)?.[1];
    expect(tmp).toBeDefined();
    expect(existsSync(tmp!)).toBe(false);
    expect(existsSync(join('runs', name))).toBe(false);
  }, 600_000);

  it('a bad config is a config error (exit 2); --smoke with --out is a usage error', async () => {
    expect(await io.run('train', '--config', file, '--smoke', '--set', 'train.stepz=2')).toBe(2);
    expect(io.err).toMatch(/stepz/);
    io.err = '';
    expect(await io.run('train', '--config', file, '--smoke', '--out', join(dir, 'x'))).toBe(2);
    expect(io.err).toMatch(/smoke.*out|out.*smoke/);
  });
});

describe('vtx sweep --smoke', () => {
  it('smokes the stage, then every run initialised from it, with --set, and keeps nothing', async () => {
    const sweep = join(dir, 'sweep.yaml');
    writeFileSync(
      sweep,
      `name: smoke-sweep\nbase: ${file}\nstages:\n  pre: { set: { sample.count: 0 } }\n` +
        `set: { init.from: '\${stage.pre}' }\ngrid:\n  optim.lr: [1.0e-3, 2.0e-3]\n`,
    );
    // the smoke's temporary directories go to a TMPDIR of this test's own: other test files' smoke runs, in other
    // worker processes at the same time, make and remove theirs in the system's
    const own = mkdtempSync(join(dir, 'tmp-'));
    const systemTmp = process.env['TMPDIR'];
    process.env['TMPDIR'] = own;
    try {
      expect(tmpdir()).toBe(own);
      expect(await io.run('sweep', sweep, '--smoke', '--set', 'sample.count=0')).toBe(0);
    } finally {
      if (systemTmp === undefined) delete process.env['TMPDIR'];
      else process.env['TMPDIR'] = systemTmp;
    }
    expect(io.out).toMatch(/^smoke test passed: .*sweep\.yaml: 1 stage\(s\) and 2 run\(s\), 2 steps each/);
    expect(io.err).toMatch(/smoke: smoke-sweep: 1 stage\(s\) and 2 run\(s\) validated/);
    expect(io.err).toMatch(/smoke: stage pre[\s\S]*smoke: run lr-0\.001[\s\S]*smoke: run lr-0\.002/);
    // (each run's init.from is the stage's directory in the temporary sweep: without the stage's checkpoint it fails)
    expect(readdirSync(own)).toEqual([]);
    expect(existsSync(join('runs', 'sweeps', 'smoke-sweep'))).toBe(false);
  }, 600_000);

  it('--set of a key the sweep varies is a usage error (exit 2)', async () => {
    const sweep = join(dir, 'sweep.yaml');
    expect(await io.run('sweep', sweep, '--smoke', '--set', 'optim.lr=1')).toBe(2);
    expect(io.err).toMatch(/--set optim\.lr: the sweep varies optim\.lr/);
  });
});
