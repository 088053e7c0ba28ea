import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import {
  SweepError,
  assertSafeName,
  compressRanges,
  gridPoints,
  insideDir,
  loadSweep,
  runNames,
} from '../../src/sweep/index.js';

const BASE = resolve(__dirname, '../../../../configs/sweeps/tiny-dit.base.yaml');

function sweepFile(body: string): string {
  const dir = mkdtempSync(join(tmpdir(), 'vtx-sweep-'));
  const f = join(dir, 'sweep.yaml');
  writeFileSync(f, `base: ${BASE}\n${body}`);
  return f;
}

describe('sweep expansion', () => {
  it('grid is the cartesian product, last axis fastest', () => {
    expect(gridPoints({ a: [1, 2], b: ['x', 'y', 'z'] })).toEqual([
      { a: 1, b: 'x' },
      { a: 1, b: 'y' },
      { a: 1, b: 'z' },
      { a: 2, b: 'x' },
      { a: 2, b: 'y' },
      { a: 2, b: 'z' },
    ]);
    expect(gridPoints({})).toEqual([{}]);
  });

  it('explicit runs x grid x seeds, each validated into an ExperimentConfig with its overrides', async () => {
    const f = sweepFile(`name: s1
set: { train.steps: 5 }
runs:
  - { model.attention: joint }
  - { model.attention: factorised }
grid:
  model.patch: [[1, 4, 4], [2, 4, 4]]
seeds: [0, 7]
`);
    const ex = await loadSweep(f);
    expect(ex.runs).toHaveLength(2 * 2 * 2);
    expect(ex.axes).toEqual(['model.attention', 'model.patch', 'seed']);
    const r = ex.runs.find((x) => x.name === 'attention-factorised_patch-2x4x4_seed-7')!;
    expect(r.config.model).toMatchObject({ kind: 'video-dit', attention: 'factorised', patch: [2, 4, 4] });
    expect(r.config.seed).toBe(7);
    expect(r.config.train.steps).toBe(5);
    expect(r.config.name).toBe('s1-attention-factorised_patch-2x4x4_seed-7');
    expect(new Set(ex.runs.map((x) => x.name)).size).toBe(8);
  });

  it('a bad axis key fails the whole sweep before anything runs, naming the run and the key', async () => {
    const f = sweepFile(`name: bad\ngrid:\n  model.widht: [16, 32]\n`);
    const err = await loadSweep(f).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(SweepError);
    const msg = (err as Error).message;
    expect(msg).toContain('2 of 2 runs are invalid (nothing was started)');
    expect(msg).toContain('model.widht');
    expect(msg).toContain("did you mean 'width'");
  });

  it('a bad value in one run is reported for that run only', async () => {
    const f = sweepFile(`name: bad2\ngrid:\n  optim.lr: [1e-3, -1]\n`);
    const msg = ((await loadSweep(f).catch((e: unknown) => e)) as Error).message;
    expect(msg).toContain('1 of 2 runs are invalid');
    expect(msg).toContain('run lr--1');
    expect(msg).not.toContain('run lr-0.001');
  });

  it('checks across sections too: a model.learnSigma the diffusion process disagrees with fails its run', async () => {
    const f = sweepFile(
      `name: bad3\nset: { diffusion.learnSigma: true }\ngrid:\n  model.learnSigma: [true, false]\n`,
    );
    const msg = ((await loadSweep(f).catch((e: unknown) => e)) as Error).message;
    expect(msg).toContain('1 of 2 runs are invalid');
    expect(msg).toContain('run learnSigma-false');
    expect(msg).toContain('model.learnSigma: moved to diffusion.learnSigma');
    expect(msg).toContain('says false here but diffusion.learnSigma is true');
  });

  it('rejects malformed keys and a sweep that sets name', async () => {
    await expect(loadSweep(sweepFile(`name: k\ngrid:\n  '../x': [1]\n`))).rejects.toThrow(
      /not a dotted key path/,
    );
    await expect(loadSweep(sweepFile(`name: k\ngrid:\n  name: [a]\n`))).rejects.toThrow(
      /'name' is set by the sweep/,
    );
    await expect(loadSweep(sweepFile(`name: k\nlauncher: { kind: pbs }\n`))).rejects.toThrow(/launcher/);
  });
});

describe('run naming and path safety', () => {
  it('names runs by short keys, full paths when the last segments clash', () => {
    expect(runNames([{ 'optim.lr': 0.001, 'model.patch': [1, 4, 4] }], ['optim.lr', 'model.patch'])).toEqual([
      'lr-0.001_patch-1x4x4',
    ]);
    expect(
      runNames([{ 'model.patch': 2, 'data.transforms.patch': 3 }], ['model.patch', 'data.transforms.patch']),
    ).toEqual(['model.patch-2_data.transforms.patch-3']);
    expect(runNames([{}], [])).toEqual(['base']);
  });

  it('sanitises values that look like paths and never yields . or ..', () => {
    const [n] = runNames([{ 'data.dataset': '../../etc/passwd' }], ['data.dataset']);
    expect(n).toMatch(/^[A-Za-z0-9][A-Za-z0-9._-]*$/);
    expect(n).not.toContain('/');
    expect(n).not.toContain('..');
    const [m] = runNames([{ 'a.b': { kind: 'x y', n: [1, 2] } }], ['a.b']);
    expect(m).toBe('b-kind-x_y_n-1x2');
  });

  it('keeps colliding names unique and long names short', () => {
    const names = runNames([{ k: 'a/b' }, { k: 'a b' }], ['k']);
    expect(new Set(names).size).toBe(2);
    const [long] = runNames([{ k: 'x'.repeat(500) }], ['k']);
    expect(long!.length).toBeLessThanOrEqual(96);
  });

  it('insideDir refuses escapes; assertSafeName refuses path-like names', () => {
    expect(insideDir('/tmp/s', 'runs', 'a')).toBe('/tmp/s/runs/a');
    expect(() => insideDir('/tmp/s', 'runs', '../../x')).toThrow(/escapes/);
    expect(() => insideDir('/tmp/s', '/etc')).toThrow(/escapes/);
    for (const bad of ['..', '.', 'a/b', '', '.hidden', '-x']) expect(() => assertSafeName(bad)).toThrow();
  });

  it('compresses array task ids', () => {
    expect(compressRanges([0, 1, 2, 3, 5, 7, 8])).toBe('0-3,5,7-8');
    expect(compressRanges([4])).toBe('4');
  });
});
