/**
 * The built-in `kind: native-shapes` dataset: the spec and its errors, clip i = the synthetic generator's clip i at
 * size i mod |sizes|, the subject inside every frame at every size, the loader's one-shape batches and exact resume,
 * the build cache, and `vtx data build native-shapes`.
 */
import fs from 'node:fs';
import path from 'node:path';
import fc from 'fast-check';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { z } from 'zod';

import {
  builtinDir,
  COLOUR_RGB,
  createLoader,
  DataConfig,
  NativeShapesSpec,
  nativeShapesClip,
  nativeShapesSize,
  openDataset,
  resolveDataset,
  syntheticClip,
  SyntheticSpec,
  type Batch,
  type ClipRecord,
  type DataConfigInput,
  type LoaderState,
  type ShapeAttributes,
} from '../src/index.js';
import { dataCli as cli, tmpDir } from './helpers.js';

const SIZES: [number, number, number][] = [
  [2, 8, 16],
  [2, 16, 8],
  [4, 8, 8],
];

describe('the native-shapes spec', () => {
  it('defaults to 384 clips at 8x16x32, 8x32x16 and 8x16x16, and is a data.dataset kind', () => {
    const spec = NativeShapesSpec.parse({ kind: 'native-shapes' });
    expect(spec).toMatchObject({ count: 384, seed: 0, split: 'train', holdout: [], name: 'native-shapes' });
    expect(spec.sizes).toEqual([
      [8, 16, 32],
      [8, 32, 16],
      [8, 16, 16],
    ]);
    const cfg = DataConfig.parse({ dataset: { kind: 'native-shapes', sizes: SIZES } });
    expect(cfg.dataset).toMatchObject({ kind: 'native-shapes', sizes: SIZES });
  });

  it.each<[string, unknown, string, RegExp]>([
    [
      'a height below 2',
      [
        [8, 16, 32],
        [8, 1, 16],
      ],
      'dataset.sizes.1',
      /height and width .* >= 2/,
    ],
    ['a size of two numbers', [[8, 16]], 'dataset.sizes.0', /\[frames, height, width\]/],
    ['a size of four numbers', [[8, 16, 32, 3]], 'dataset.sizes.0', /\[frames, height, width\]/],
    ['a fractional width', [[8, 16, 32.5]], 'dataset.sizes.0', /integers >= 2/],
    ['zero frames', [[0, 16, 16]], 'dataset.sizes.0', /frames .* positive integer/],
    ['a string size', ['8x16x32'], 'dataset.sizes.0', /\[frames, height, width\]/],
    ['no sizes', [], 'dataset.sizes', /non-empty list/],
    ['not a list', 'abc', 'dataset.sizes', /non-empty list/],
    ['one size without its brackets', [8, 16, 32], 'dataset.sizes', /write \[\[8, 16, 32\]\]/],
  ])('rejects %s with an error at its key path', (_, sizes, at, message) => {
    const r = DataConfig.safeParse({ dataset: { kind: 'native-shapes', sizes } });
    expect(r.success).toBe(false);
    const issues = r.error!.issues.map((i) => [i.path.join('.'), i.message]);
    expect(issues).toHaveLength(1);
    expect(issues[0]![0]).toBe(at);
    expect(issues[0]![1]).toMatch(message);
    expect(z.prettifyError(r.error!)).toContain(`at ${at.replace(/\.(\d+)/g, '[$1]')}`);
  });
});

describe('native-shapes clips', () => {
  it('clip i has size i mod |sizes| and is the synthetic clip i at that size (both splits)', () => {
    const holdout = [{ shape: 'circle', colour: 'red' } as const, { direction: 'left-to-right' } as const];
    for (const split of ['train', 'holdout'] as const) {
      const spec = NativeShapesSpec.parse({ kind: 'native-shapes', sizes: SIZES, seed: 4, holdout, split });
      for (let i = 0; i < 30; i++) {
        const [t, h, w] = SIZES[i % 3]!;
        expect(nativeShapesSize(spec, i)).toEqual([t, h, w]);
        const c = nativeShapesClip(spec, i);
        expect(c.shape).toEqual([t, h, w, 3]);
        const same = syntheticClip(
          SyntheticSpec.parse({
            kind: 'synthetic',
            name: 'native-shapes',
            frames: t,
            height: h,
            width: w,
            seed: 4,
            holdout,
            split,
          }),
          i,
        );
        expect(c).toEqual(same);
        const a = c.attributes as ShapeAttributes;
        const held = (a.shape === 'circle' && a.colour === 'red') || a.direction === 'left-to-right';
        expect(held).toBe(split === 'holdout');
      }
    }
  });

  /**
   * Every frame: the subject's box from the generator's trajectory lies at least half a pixel inside the frame, the
   * rendered subject lies within that box, and no border pixel is more than half covered by it.
   */
  function subjectInside(c: ClipRecord): void {
    const [t, h, w] = c.shape;
    const a = c.attributes as ShapeAttributes;
    const bg = COLOUR_RGB[a.background];
    const fg = COLOUR_RGB[a.colour];
    const ch = [0, 1, 2].reduce((m, k) => (Math.abs(fg[k]! - bg[k]!) > Math.abs(fg[m]! - bg[m]!) ? k : m));
    const tr = (c.meta as { trajectory: { x0: number; y0: number; x1: number; y1: number; r: number } })
      .trajectory;
    const eps = 1e-9;
    for (let f = 0; f < t; f++) {
      const k = t === 1 ? 0 : f / (t - 1);
      const cx = tr.x0 + k * (tr.x1 - tr.x0);
      const cy = tr.y0 + k * (tr.y1 - tr.y0);
      const box = { x0: cx - tr.r, x1: cx + tr.r, y0: cy - tr.r, y1: cy + tr.r };
      const where = `${c.id} ${t}x${h}x${w} frame ${f}`;
      expect(box.x0, where).toBeGreaterThanOrEqual(0.5 - eps);
      expect(box.y0, where).toBeGreaterThanOrEqual(0.5 - eps);
      expect(box.x1, where).toBeLessThanOrEqual(w - 0.5 + eps);
      expect(box.y1, where).toBeLessThanOrEqual(h - 0.5 + eps);
      let fore = 0;
      for (let y = 0; y < h; y++) {
        for (let x = 0; x < w; x++) {
          const o = ((f * h + y) * w + x) * 3;
          if (c.data[o] === bg[0] && c.data[o + 1] === bg[1] && c.data[o + 2] === bg[2]) continue;
          fore++;
          // a pixel is painted only when one of its 4x4 subsamples (at +1/8 ... +7/8) is inside the box
          expect(x + 0.125, where).toBeLessThanOrEqual(box.x1 + eps);
          expect(x + 0.875, where).toBeGreaterThanOrEqual(box.x0 - eps);
          expect(y + 0.125, where).toBeLessThanOrEqual(box.y1 + eps);
          expect(y + 0.875, where).toBeGreaterThanOrEqual(box.y0 - eps);
          if (x === 0 || y === 0 || x === w - 1 || y === h - 1) {
            const cover = (c.data[o + ch]! - bg[ch]!) / (fg[ch]! - bg[ch]!);
            expect(cover, `${where} border pixel ${x},${y}`).toBeLessThanOrEqual(0.5 + 0.5 / 100);
          }
        }
      }
      if (Math.min(h, w) >= 8) expect(fore, `${where}: the subject is visible`).toBeGreaterThan(0);
    }
  }

  it('keeps the subject inside every frame of every clip of the default sizes', () => {
    const spec = NativeShapesSpec.parse({ kind: 'native-shapes', count: 96 });
    for (let i = 0; i < spec.count; i++) subjectInside(nativeShapesClip(spec, i));
  });

  it('keeps the subject inside every frame at any valid size (property, down to 2 pixels)', () => {
    const size = fc.tuple(
      fc.integer({ min: 1, max: 5 }),
      fc.integer({ min: 2, max: 40 }),
      fc.integer({ min: 2, max: 40 }),
    );
    fc.assert(
      fc.property(
        fc.array(size, { minLength: 1, maxLength: 4 }),
        fc.nat(1000),
        fc.nat(50),
        (sizes, seed, i) => {
          const spec = NativeShapesSpec.parse({ kind: 'native-shapes', sizes, seed });
          const c = nativeShapesClip(spec, i);
          expect(c.shape.slice(0, 3)).toEqual(sizes[i % sizes.length]);
          subjectInside(c);
        },
      ),
      { seed: 11, numRuns: 150 },
    );
  });
});

describe('native-shapes through the loader', () => {
  const cfg = (over: Partial<DataConfigInput> = {}): DataConfigInput => ({
    dataset: { kind: 'native-shapes', count: 30, sizes: SIZES, seed: 2 },
    cacheDir: path.join(cacheRoot, 'cache'),
    batchSize: 4,
    shuffleBuffer: 8,
    worker: false,
    ...over,
  });
  const cacheRoot = tmpDir();

  /** The clip index of a batch row, from its id (`native-shapes/000042`). */
  const indexOf = (id: string) => Number(id.split('/')[1]);

  it.each([
    ['inline', false],
    ['in a worker', true],
  ])('never mixes shapes in a batch, over two shuffled epochs (%s)', async (_, worker) => {
    for (const transforms of [{}, { frames: 2, stride: 1, offset: 'start' as const }]) {
      const loader = await createLoader(cfg({ worker, transforms }));
      const seen = new Map<number, number>();
      for (let n = 0; n < 2 * loader.batchesPerEpoch; n++) {
        const b = await loader.next();
        for (const id of b.ids) {
          const i = indexOf(id);
          const [t, h, w] = SIZES[i % 3]!;
          expect(b.clipShape, `batch ${n} row ${id}`).toEqual([transforms.frames ?? t, h, w, 3]);
          seen.set(i, (seen.get(i) ?? 0) + 1);
        }
      }
      await loader.close();
      expect([...seen.keys()].sort((a, b) => a - b)).toEqual([...Array(30).keys()]);
      expect([...seen.values()].every((v) => v === 2)).toBe(true);
    }
  });

  it.each([
    ['inline', false],
    ['in a worker', true],
  ])('resumes exactly mid-epoch and across an epoch boundary (%s)', async (_, worker) => {
    const c = cfg({ worker });
    const run: Batch[] = [];
    const loader = await createLoader(c);
    const perEpoch = loader.batchesPerEpoch;
    for (let n = 0; n < perEpoch + 4; n++) run.push(await loader.next());
    await loader.close();
    for (const k of worker ? [perEpoch + 1] : [3, perEpoch - 1, perEpoch + 1]) {
      const first = await createLoader(c);
      for (let n = 0; n < k; n++) await first.next();
      const saved = JSON.parse(JSON.stringify(first.state())) as LoaderState;
      await first.close();
      const second = await createLoader(c);
      second.restore(saved);
      for (let n = k; n < run.length; n++) {
        const b = await second.next();
        expect([b.epoch, b.index, b.ids]).toEqual([run[n]!.epoch, run[n]!.index, run[n]!.ids]);
        expect(Buffer.from(b.clips.buffer).equals(Buffer.from(run[n]!.clips.buffer))).toBe(true);
      }
      await second.close();
    }
  });

  it('is built into the cache like every built-in kind, keyed by a hash that includes the sizes', async () => {
    const cacheDir = path.join(tmpDir(), 'cache');
    const spec = { kind: 'native-shapes', count: 6, sizes: SIZES } as const;
    const dir = await resolveDataset(spec, cacheDir);
    expect(dir).toBe(builtinDir(spec, cacheDir));
    expect(path.basename(dir)).toMatch(/^native-shapes-[0-9a-f]{12}$/);
    const stamp = fs.statSync(path.join(dir, 'index.json')).mtimeMs;
    expect(await resolveDataset({ ...spec }, cacheDir)).toBe(dir);
    expect(fs.statSync(path.join(dir, 'index.json')).mtimeMs).toBe(stamp);
    const other = await resolveDataset({ ...spec, sizes: [SIZES[1]!, SIZES[0]!, SIZES[2]!] }, cacheDir);
    expect(other).not.toBe(dir);
    const { index } = await openDataset(dir);
    expect(index.rows).toBe(6);
    expect(index.builder).toMatchObject({ kind: 'native-shapes', sizes: SIZES });
    expect(index.shapes).toEqual(SIZES.map((s) => [...s, 3]));
  });
});

describe('vtx data build native-shapes', () => {
  afterEach(() => {
    vi.restoreAllMocks();
    process.exitCode = undefined;
  });

  it('builds the sizes given as TxHxW,... and reports bad sizes by key', async () => {
    const root = tmpDir();
    const out = path.join(root, 'native');
    const r = await cli(
      'data',
      'build',
      'native-shapes',
      out,
      '--count',
      '6',
      '--sizes',
      '2x8x16,2x16x8',
      '--seed',
      '3',
    );
    expect(r.out).toContain('built');
    expect(process.exitCode).toBeUndefined();
    const { index } = await openDataset(out);
    expect(index.shapes).toEqual([
      [2, 8, 16, 3],
      [2, 16, 8, 3],
    ]);
    expect(index.builder).toMatchObject({ kind: 'native-shapes', seed: 3, count: 6 });
    const json = await cli(
      'data',
      'build',
      'native-shapes',
      path.join(root, 'j'),
      '--count',
      '2',
      '--sizes',
      '[[2,8,8]]',
    );
    expect(json.out).toContain('built');
    const bad = await cli('data', 'build', 'native-shapes', path.join(root, 'bad'), '--sizes', '2x8x1');
    expect(process.exitCode).toBe(2);
    expect(bad.err).toMatch(/sizes\[0\]/);
    expect(bad.err).toMatch(/height and width/);
    const garbled = await cli('data', 'build', 'native-shapes', path.join(root, 'bad'), '--sizes', '2x8');
    expect(garbled.err).toContain("--sizes: '2x8' is not FRAMESxHEIGHTxWIDTH");
    expect(fs.existsSync(path.join(root, 'bad'))).toBe(false);
  });
});
