import fs from 'node:fs';
import path from 'node:path';
import { createRequire } from 'node:module';
import { describe, expect, it } from 'vitest';

import {
  builtinDir,
  buildMovingMnist,
  buildSynthetic,
  COLOUR_RGB,
  descriptiveCaption,
  MOTION_CLASSES,
  movingMnistClip,
  MovingMnistSpec,
  openDataset,
  readRows,
  SHAPE_ATTRIBUTES,
  syntheticClip,
  SyntheticSpec,
  terseCaption,
  type ClipRecord,
  type ShapeAttributes,
} from '../src/index.js';
import { collect, tmpDir } from './helpers.js';

/** Centroid (x, y) of the pixels of frame f that differ from the clip's background colour. */
function centroid(c: ClipRecord, f: number): [number, number] {
  const [, h, w] = c.shape;
  const bg = COLOUR_RGB[(c.attributes as ShapeAttributes).background];
  let sx = 0;
  let sy = 0;
  let n = 0;
  for (let y = 0; y < h; y++) {
    for (let x = 0; x < w; x++) {
      const o = ((f * h + y) * w + x) * 3;
      if (c.data[o] !== bg[0] || c.data[o + 1] !== bg[1] || c.data[o + 2] !== bg[2]) {
        sx += x;
        sy += y;
        n++;
      }
    }
  }
  return [sx / n, sy / n];
}

describe('synthetic bouncing shapes', () => {
  const spec = SyntheticSpec.parse({ kind: 'synthetic', count: 300 });

  it('composes the captions from the attribute template', () => {
    const a: ShapeAttributes = {
      shape: 'circle',
      colour: 'red',
      size: 'small',
      direction: 'left-to-right',
      speed: 'fast',
      background: 'dark grey',
    };
    expect(descriptiveCaption(a)).toBe(
      'a small red circle moves quickly from left to right over a dark grey background',
    );
    expect(terseCaption(a)).toBe('a circle');
  });

  it('labels are the direction of motion, visible only across frames', () => {
    const seen = new Set<number>();
    for (let i = 0; i < 60; i++) {
      const c = syntheticClip(spec, i);
      const a = c.attributes as ShapeAttributes;
      expect(MOTION_CLASSES[c.label!]).toBe(a.direction);
      seen.add(c.label!);
      const [x0, y0] = centroid(c, 0);
      const [x1, y1] = centroid(c, spec.frames - 1);
      const [dx, dy] = [x1 - x0, y1 - y0];
      const want = {
        'left-to-right': [1, 0],
        'right-to-left': [-1, 0],
        'top-to-bottom': [0, 1],
        'bottom-to-top': [0, -1],
      }[a.direction];
      // The centroid moves along the labelled axis by at least a pixel and not across it.
      expect(Math.sign(Math.round(dx)) || 0).toBe(want[0]);
      expect(Math.sign(Math.round(dy)) || 0).toBe(want[1]);
      expect(Math.abs(want[0] ? dy : dx)).toBeLessThan(0.5);
      expect(c.caption).toBe(descriptiveCaption(a));
    }
    expect(seen.size).toBe(4);
  });

  it('paints the shape in its colour: a large circle centre pixel is exactly the attribute colour', () => {
    const big = Array.from({ length: 200 }, (_, i) => syntheticClip(spec, i)).find(
      (c) =>
        (c.attributes as ShapeAttributes).size === 'large' &&
        (c.attributes as ShapeAttributes).shape === 'circle',
    )!;
    const traj = (big.meta as { trajectory: { x0: number; y0: number } }).trajectory;
    const [, , w] = big.shape;
    const o = (Math.floor(traj.y0) * w + Math.floor(traj.x0)) * 3;
    expect(Array.from(big.data.subarray(o, o + 3))).toEqual(
      COLOUR_RGB[(big.attributes as ShapeAttributes).colour],
    );
  });

  it('is deterministic in the seed and builds a few hundred clips into shards', async () => {
    const root = tmpDir();
    const a = await buildSynthetic(path.join(root, 'a'), spec);
    const b = await buildSynthetic(path.join(root, 'b'), spec);
    const c = await buildSynthetic(path.join(root, 'c'), { ...spec, seed: 1 });
    expect(a.rows).toBe(300);
    expect(a.shards.map((s) => s.sha256)).toEqual(b.shards.map((s) => s.sha256));
    expect(a.shards[0]!.sha256).not.toBe(c.shards[0]!.sha256);
    expect(a.attributes).toEqual(SHAPE_ATTRIBUTES);
    expect(a.labels!.names).toEqual(MOTION_CLASSES);
    const rows = await collect(readRows(await openDataset(path.join(root, 'a'))));
    expect(Buffer.from(rows[17]!.data).equals(Buffer.from(syntheticClip(spec, 17).data))).toBe(true);
  });

  it('holds out attribute combinations: train never has them, holdout only has them', () => {
    const holdout = [
      { shape: 'circle', colour: 'red' } as const,
      { direction: 'bottom-to-top', size: 'large' } as const,
    ];
    const train = SyntheticSpec.parse({ kind: 'synthetic', holdout });
    const test = SyntheticSpec.parse({ kind: 'synthetic', holdout, split: 'holdout' });
    const hit = (a: ShapeAttributes) =>
      (a.shape === 'circle' && a.colour === 'red') || (a.direction === 'bottom-to-top' && a.size === 'large');
    const trainAttrs = Array.from(
      { length: 400 },
      (_, i) => syntheticClip(train, i).attributes as ShapeAttributes,
    );
    const testAttrs = Array.from(
      { length: 100 },
      (_, i) => syntheticClip(test, i).attributes as ShapeAttributes,
    );
    expect(trainAttrs.filter(hit)).toEqual([]);
    expect(testAttrs.every(hit)).toBe(true);
    expect(new Set(testAttrs.map((a) => a.shape)).size).toBeGreaterThan(1);
  });

  it('rejects unknown attribute values in holdout patterns', () => {
    expect(() => SyntheticSpec.parse({ kind: 'synthetic', holdout: [{ colour: 'purple' }] })).toThrow();
  });

  it('`only` draws the listed attributes from the given values and leaves the others free', () => {
    const spec = SyntheticSpec.parse({
      kind: 'synthetic',
      only: { size: ['large'], shape: ['square', 'circle'] },
    });
    const attrs = Array.from({ length: 300 }, (_, i) => syntheticClip(spec, i).attributes as ShapeAttributes);
    expect(new Set(attrs.map((a) => a.size))).toEqual(new Set(['large']));
    expect(new Set(attrs.map((a) => a.shape))).toEqual(new Set(['square', 'circle']));
    expect(new Set(attrs.map((a) => a.colour)).size).toBe(SHAPE_ATTRIBUTES.colour.length);
    expect(new Set(attrs.map((a) => a.direction)).size).toBe(SHAPE_ATTRIBUTES.direction.length);
    // a large shape's half-extent is 0.22 of the side: at 32x32 it covers well over 20 pixels in every frame
    const c = syntheticClip(spec, 0);
    const bg = COLOUR_RGB[(c.attributes as ShapeAttributes).background];
    let off = 0;
    for (let p = 0; p < 32 * 32; p++) if (c.data[p * 3] !== bg[0] || c.data[p * 3 + 1] !== bg[1]) off++;
    expect(off).toBeGreaterThan(20);
  });

  it('`only` combines with holdout, and both unset keep the cache hash of older specs', () => {
    const spec = SyntheticSpec.parse({
      kind: 'synthetic',
      only: { shape: ['square', 'circle'] },
      holdout: [{ shape: 'circle' }],
    });
    const shapes = Array.from(
      { length: 100 },
      (_, i) => (syntheticClip(spec, i).attributes as ShapeAttributes).shape,
    );
    expect(new Set(shapes)).toEqual(new Set(['square']));
    expect(() =>
      syntheticClip(
        SyntheticSpec.parse({
          kind: 'synthetic',
          only: { shape: ['circle'] },
          holdout: [{ shape: 'circle' }],
        }),
        0,
      ),
    ).toThrow(/leave no attribute combination .* within only/);
    // no `only` key in the parsed spec, so JSON (the cache key) is what it was before the option existed
    expect(Object.keys(SyntheticSpec.parse({ kind: 'synthetic' }))).not.toContain('only');
  });

  it('rejects unknown, repeated or empty `only` values', () => {
    expect(() => SyntheticSpec.parse({ kind: 'synthetic', only: { colour: ['purple'] } })).toThrow();
    expect(() => SyntheticSpec.parse({ kind: 'synthetic', only: { size: ['large', 'large'] } })).toThrow(
      /repeat/,
    );
    expect(() => SyntheticSpec.parse({ kind: 'synthetic', only: { size: [] } })).toThrow();
    expect(() => SyntheticSpec.parse({ kind: 'synthetic', only: { hue: ['red'] } })).toThrow();
  });
});

describe('Moving MNIST', () => {
  interface Digit {
    get(i: number): number[];
  }
  const mnist = createRequire(import.meta.url)('mnist') as Digit[];

  it('each frame is the real MNIST sample pasted at a moving, in-bounds offset (1 digit)', () => {
    const spec = MovingMnistSpec.parse({ kind: 'moving-mnist', digits: 1, frames: 6, size: 40 });
    const c = movingMnistClip(spec, 5);
    expect(c.shape).toEqual([6, 40, 40, 1]);
    const digit = Number(c.attributes!.digit0);
    expect(c.label).toBe(digit);
    const img = mnist[digit]!.get((c.meta as { mnistSamples: number[] }).mnistSamples[0]!).map((v) =>
      Math.round(v * 255),
    );
    let prev: [number, number] | null = null;
    for (let f = 0; f < 6; f++) {
      const frame = c.data.subarray(f * 1600, (f + 1) * 1600);
      // Find the offset where the 28x28 sample matches exactly and everything else is 0.
      let found: [number, number] | null = null;
      for (let oy = 0; oy <= 12 && !found; oy++) {
        for (let ox = 0; ox <= 12 && !found; ox++) {
          const canvas = new Uint8Array(1600);
          for (let r = 0; r < 28; r++)
            for (let q = 0; q < 28; q++) canvas[(oy + r) * 40 + ox + q] = img[r * 28 + q]!;
          if (Buffer.from(canvas).equals(Buffer.from(frame))) found = [ox, oy];
        }
      }
      expect(found).not.toBeNull();
      if (prev)
        expect(Math.hypot(found![0] - prev[0], found![1] - prev[1])).toBeLessThanOrEqual(spec.speed + 1.5);
      prev = found;
    }
  });

  it('builds the standard 64x64x20, 2-digit clips with pair labels, deterministically', async () => {
    const root = tmpDir();
    const ix = await buildMovingMnist(path.join(root, 'mm'), { kind: 'moving-mnist', count: 8, seed: 3 });
    expect(ix.shapes).toEqual([[20, 64, 64, 1]]);
    expect(ix.labels!.names.length).toBe(100);
    const rows = await collect(readRows(await openDataset(path.join(root, 'mm'))));
    for (const r of rows) {
      expect(ix.labels!.names[r.label!]).toBe(`${r.attributes!.digit0}-${r.attributes!.digit1}`);
    }
    const again = await buildMovingMnist(path.join(root, 'mm2'), { kind: 'moving-mnist', count: 8, seed: 3 });
    expect(again.shards[0]!.sha256).toBe(ix.shards[0]!.sha256);
    expect(fs.existsSync(path.join(root, 'mm', ix.shards[0]!.file))).toBe(true);
  });
  it('images: fit and holdout draw from disjoint parts of each class; absent draws as before from all', async () => {
    const base = { kind: 'moving-mnist', count: 200, frames: 1, size: 32, digits: 1, seed: 4 } as const;
    const drawn = (images?: 'fit' | 'holdout'): number[] => {
      const spec = MovingMnistSpec.parse({ ...base, images });
      return Array.from(
        { length: 200 },
        (_, i) => (movingMnistClip(spec, i).meta as { mnistSamples: number[] }).mnistSamples[0]!,
      );
    };
    const fit = drawn('fit');
    const holdout = drawn('holdout');
    const all = drawn();
    expect(fit.every((j) => j % 5 !== 0)).toBe(true);
    expect(holdout.every((j) => j % 5 === 0)).toBe(true);
    expect(new Set(holdout).size).toBeGreaterThan(100); // many images, not a few repeated
    expect(all.some((j) => j % 5 === 0) && all.some((j) => j % 5 !== 0)).toBe(true);
    // Without `images` the clips and the cache directory are the ones the code before the option wrote (its digest).
    const spec = { ...base, count: 8, frames: 2, seed: 3 };
    const ix = await buildMovingMnist(path.join(tmpDir(), 'mm'), spec);
    expect(ix.shards[0]!.sha256).toBe('6e354fb75f066de054f5171837be9b1d5a9f1eb207173accc90499b61187f36a');
    expect(builtinDir(spec, 'C')).toBe(path.join('C', 'moving-mnist-e3a4b7a4b933'));
  });
});
