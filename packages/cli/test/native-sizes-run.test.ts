/**
 * Native sizes through a whole run: the patch is checked against every size the data declares before training
 * (a config error naming the key, exit 2), tokens/s and Gflop/s follow each batch's token grid, end-of-run samples
 * cover each training size, `vtx sample --size` samples at sizes the run never saw, and `vtx info` describes a
 * multi-size config at each size. Training on the wasm backend, a few seconds per run.
 */
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { selectBackend } from '@vtx/core';
import { resolveDataset, type DatasetIndex } from '@vtx/data';
import { modelCost } from '@vtx/models';
import { PNG } from 'pngjs';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { main } from '../src/cli.js';
import { ExperimentConfig, train, type ExperimentConfigInput } from '../../train/src/index.js';
import { gridFrames, labelColumnWidth } from '@vtx/media';
import { ConfigError } from '@vtx/config';
import { readMetrics } from '@vtx/runs';

const dir = mkdtempSync(join(tmpdir(), 'vtx-native-run-'));
const cacheDir = join(dir, 'cache');
const quiet = { write: () => true, isTTY: false } as unknown as NodeJS.WritableStream;
const backend = process.env['VTX_BACKEND'];
beforeAll(async () => {
  process.env['VTX_BACKEND'] = 'wasm'; // `vtx sample` in process starts the backend from here
  await selectBackend({ override: 'wasm' });
});
afterAll(async () => {
  rmSync(dir, { recursive: true, force: true });
  if (backend === undefined) delete process.env['VTX_BACKEND'];
  else process.env['VTX_BACKEND'] = backend;
  await selectBackend({ override: 'cpu' });
});

const model = {
  kind: 'video-dit',
  size: 'S',
  depth: 1,
  width: 16,
  heads: 2,
  patch: [1, 4, 4],
  numClasses: 4,
} as ExperimentConfigInput['model'];
const sizes: [number, number, number][] = [
  [2, 8, 16], // 2x2x4 = 16 tokens
  [2, 16, 16], // 2x4x4 = 32 tokens
];
const cfg = (name: string, over: Partial<ExperimentConfigInput> = {}): ExperimentConfigInput => ({
  name,
  seed: 1,
  backend: 'wasm',
  data: {
    dataset: { kind: 'native-shapes', count: 4, sizes },
    cacheDir,
    batchSize: 2,
    shuffle: false, // rows 0, 2 (2x8x16) then 1, 3 (2x16x16)
    worker: false,
  },
  model,
  diffusion: { steps: 50, samplingSteps: '2' },
  train: { steps: 2, logEvery: 1, checkpointEvery: 2, ema: { decay: 0.9 } },
  eval: { batches: 1 },
  sample: { count: 2 },
  log: { tensorboard: false, progress: 'off' },
  ...over,
});

/** `main(argv)` with stdout / stderr captured; the exit code. */
async function vtx(...argv: string[]): Promise<{ code: number; out: string; err: string }> {
  let out = '';
  let err = '';
  const o = vi.spyOn(process.stdout, 'write').mockImplementation((s) => ((out += String(s)), true));
  const e = vi.spyOn(process.stderr, 'write').mockImplementation((s) => ((err += String(s)), true));
  process.exitCode = 0;
  try {
    await main(argv);
    return { code: Number(process.exitCode ?? 0), out, err };
  } finally {
    o.mockRestore();
    e.mockRestore();
    process.exitCode = 0;
  }
}

/** (width, height) of the PNG contact sheet of `count` clips of T x H x W: one row per clip, one column per frame. */
/** A contact sheet's size: `count` rows of clips of size [t, h, w], with a column for `labels` when given. */
function sheetSize(count: number, [t, h, w]: number[], labels?: string[]): [number, number] {
  const g = gridFrames(
    { data: new Float32Array(count * t! * h! * w! * 3), shape: [count * t!, 1, h!, w!, 3] },
    { cols: t! },
  );
  return [g.width + (labels ? labelColumnWidth(labels) : 0), g.height];
}

/** The labels of `vtx sample`'s rows without --class: each class of the dataset in turn, with its name. */
async function classRows(count: number): Promise<string[]> {
  const ds = await resolveDataset(cfg('multi').data!.dataset!, cacheDir);
  const { labels } = JSON.parse(readFileSync(join(ds, 'index.json'), 'utf8')) as DatasetIndex;
  return Array.from({ length: count }, (_, k) => `class ${k % 4} (${labels!.names[k % 4]})`);
}
const pngSize = (path: string): [number, number] => {
  const png = PNG.sync.read(readFileSync(path));
  return [png.width, png.height];
};

const runDir = join(dir, 'multi');

describe('a multi-size run', () => {
  it("logs tokens/s and Gflop/s at each batch's own token grid, and samples every training size", async () => {
    const s = await train(cfg('multi'), { out: runDir, terminal: quiet });
    const steps = (await readMetrics(join(runDir, 'metrics.jsonl'))).filter((r) => 'loss' in r);
    expect(steps.map((r) => r['step'])).toEqual([1, 2]);
    // logEvery 1: per-second rates times seconds per step give back each step's totals
    const num = (v: unknown) => v as number;
    const tokens = steps.map((r) => num(r['tokensPerSec']) * num(r['secondsPerStep']));
    const gflop = steps.map((r) => num(r['gflopsPerSec']) * num(r['secondsPerStep']));
    const grid = ([t, h, w]: number[]) => (t! / 1) * (h! / 4) * (w! / 4); // closed form, patch 1x4x4
    expect(tokens[0]).toBeCloseTo(2 * grid(sizes[0]!), 6); // 32
    expect(tokens[1]).toBeCloseTo(2 * grid(sizes[1]!), 6); // 64
    const m = ExperimentConfig.parse(cfg('multi')).model;
    for (const [i, [t, h, w]] of sizes.entries())
      expect(gflop[i]).toBeCloseTo(2 * modelCost(m, [t, h, w, 3]).trainGflops, 9);
    expect(s.samples).toEqual(sizes.map((z) => join(runDir, 'samples', `step-000002-${z.join('x')}.gif`)));
    for (const z of sizes) {
      const png = join(runDir, 'samples', `step-000002-${z.join('x')}.png`);
      expect(pngSize(png)).toEqual(sheetSize(2, z));
    }
  });

  it('vtx sample --size writes clips of the requested sizes, ones the run never trained on', async () => {
    const stem = join(dir, 'unseen');
    const r = await vtx('sample', runDir, '--size', '2,12,20', '--count', '3', '--out', stem, '--no-mp4');
    expect(r.err).toBe('');
    expect(r.code).toBe(0);
    expect(r.out.trim().split('\n')).toEqual([`${stem}.gif`, `${stem}.png`]);
    expect(pngSize(`${stem}.png`)).toEqual(sheetSize(3, [2, 12, 20], await classRows(3)));

    const two = await vtx('sample', runDir, '--size', '1x4x8', '3,8,8', '--count', '2', '--no-mp4');
    expect(two.code).toBe(0);
    for (const z of [
      [1, 4, 8],
      [3, 8, 8],
    ]) {
      const png = join(runDir, 'samples', `sample-0-${z.join('x')}.png`);
      expect(existsSync(png.replace(/png$/, 'gif'))).toBe(true);
      expect(pngSize(png)).toEqual(sheetSize(2, z, await classRows(2)));
    }
  });

  it('vtx sample --size rejects a size the patch does not divide: a usage error, exit 2', async () => {
    const r = await vtx('sample', runDir, '--size', '2,10,16', '--count', '1', '--no-mp4');
    expect(r.code).toBe(2);
    expect(r.err).toMatch(
      /--size 2,10,16: clip 2x10x16 is not divisible by model\.patch 1x4x4 \(height 10\)/,
    );
    expect(r.err).toMatch(/e\.g\. 2,8,16 or 2,12,16/);
    expect(r.err).not.toMatch(/\n\s+at /); // no stack trace
    expect((await vtx('sample', runDir, '--size', '2,8')).code).toBe(2);
  });

  it('vtx sample --sampler euler on a Gaussian run: a usage error naming the flag, exit 2, nothing written', async () => {
    const stem = join(dir, 'euler');
    const r = await vtx('sample', runDir, '--sampler', 'euler', '--count', '1', '--out', stem, '--no-mp4');
    expect(r.code).toBe(2);
    expect(r.err).toMatch(
      /--sampler euler: 'euler' is rectified flow's sampler; the Gaussian process uses 'ddpm' or 'ddim'/,
    );
    expect(existsSync(`${stem}.gif`)).toBe(false);
  });
});

describe('the patch against every declared size, before training', () => {
  const bad: [number, number, number][] = [
    [2, 8, 16],
    [2, 10, 8],
  ];

  it('a native-shapes size the patch does not divide is a config error naming data.dataset.sizes.K', async () => {
    const out = join(dir, 'bad-sizes');
    const input = cfg('bad-sizes');
    const err = await train(
      { ...input, data: { ...input.data, dataset: { kind: 'native-shapes', count: 4, sizes: bad } } },
      { out, terminal: quiet },
    ).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ConfigError);
    expect((err as ConfigError).issues.map((i) => i.path)).toEqual(['data.dataset.sizes.1']);
    expect((err as Error).message).toMatch(
      /data\.dataset\.sizes\.1: clip 2x10x8 is not divisible by model\.patch 1x4x4 \(height 10\)/,
    );
    expect(existsSync(out)).toBe(false); // a failed setup leaves no run directory
  });

  it('exits 2 from vtx train, and names the index.json of a dataset directory, buckets and sample.sizes', async () => {
    const yaml = join(dir, 'bad.yaml');
    writeFileSync(
      yaml,
      [
        'name: bad',
        'backend: wasm',
        `data: { dataset: { kind: native-shapes, count: 4, sizes: [[2, 8, 16], [2, 10, 8]] }, cacheDir: ${cacheDir}, batchSize: 2, worker: false }`,
        'model: { kind: video-dit, size: S, depth: 1, width: 16, heads: 2, patch: [1, 4, 4], numClasses: 4 }',
        '',
      ].join('\n'),
    );
    const r = await vtx('train', '--config', yaml, '--out', join(dir, 'never'));
    expect(r.code).toBe(2);
    expect(r.err).toMatch(/data\.dataset\.sizes\.1: clip 2x10x8 is not divisible by model\.patch 1x4x4/);

    // the same clips as a dataset directory: the key is data.dataset and the message names its index.json
    const ds = await resolveDataset({ kind: 'native-shapes', count: 4, sizes: bad }, cacheDir);
    const input = cfg('bad-dir');
    const fromDir = await train(
      { ...input, data: { ...input.data, dataset: ds } },
      { out: join(dir, 'bad-dir'), terminal: quiet },
    ).then(
      () => null,
      (e: unknown) => e as Error,
    );
    expect(fromDir).toBeInstanceOf(ConfigError);
    expect(fromDir!.message).toContain(
      `data.dataset: clip 2x10x8 is not divisible by model.patch 1x4x4 (height 10) (clip shape 2x10x8x3 in ${join(ds, 'index.json')})`,
    );

    const buckets = await train(
      cfg('bad-bucket', {
        data: {
          ...input.data,
          buckets: [
            { frames: 2, height: 8, width: 8 },
            { frames: 2, height: 8, width: 6 },
          ],
        },
        sample: {
          count: 2,
          sizes: [
            [2, 8, 8],
            [2, 4, 5],
          ],
        },
      }),
      { out: join(dir, 'bad-bucket'), terminal: quiet },
    ).then(
      () => null,
      (e: unknown) => e as ConfigError,
    );
    expect(buckets!.issues.map((i) => i.path)).toEqual(['data.buckets.1', 'sample.sizes.1']);
  });
});

describe('vtx info on a multi-size config', () => {
  it('gives the parameters once and tokens / Gflops at each declared size', async () => {
    const shipped = new URL('../../../configs/sora/native-sizes.yaml', import.meta.url).pathname;
    const j = await vtx('info', shipped, '--json');
    expect(j.code).toBe(0);
    const info = JSON.parse(j.out) as { params: number; sizes: { clip: number[]; tokens: number }[] };
    expect(info.sizes.map((z) => z.clip)).toEqual([
      [4, 16, 32, 3],
      [4, 32, 16, 3],
      [8, 16, 16, 3],
    ]);
    expect(info.sizes.map((z) => z.tokens)).toEqual([4 * 4 * 8, 4 * 8 * 4, 8 * 4 * 4]); // patch 1x4x4

    const yaml = join(dir, 'info.yaml');
    writeFileSync(
      yaml,
      [
        'name: info',
        'data: { dataset: { kind: native-shapes, sizes: [[2, 8, 16], [4, 16, 16]] } }',
        'model: { kind: video-dit, size: S, depth: 1, width: 16, heads: 2, patch: [1, 4, 4], numClasses: 4 }',
        '',
      ].join('\n'),
    );
    const text = await vtx('info', yaml);
    expect(text.code).toBe(0);
    expect(text.out.match(/parameters/g)).toHaveLength(1);
    expect(text.out).toMatch(/2 sizes the config declares/);
    expect(text.out).toMatch(/2x8x16x3 +16 /); // 2x2x4 tokens
    expect(text.out).toMatch(/4x16x16x3 +64 /); // 4x4x4 tokens
  });
});
