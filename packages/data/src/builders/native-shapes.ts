/**
 * Native sizes (Sora: "training on data at its native size"): the bouncing shapes in several resolutions, aspect
 * ratios and durations, e.g. 16x32 landscape, 32x16 portrait, 16x16 square. Clip i has size i mod |sizes| and is
 * the `synthetic` generator's clip at that size (same attributes, captions, holdout/split and trajectory law: the
 * subject never touches the border), so the generator knows where the subject is in every frame.
 *
 * A kind of its own rather than `sizes` on `kind: synthetic`: a synthetic spec has one `frames x height x width`
 * that tools read as the clip size (and that has defaults), while this one has none; a separate kind makes every
 * consumer of a built-in spec say what it does with several sizes instead of silently reading a default 32x32.
 *
 * Loaded without a crop, the loader's buckets batch the clips of one shape together and a video DiT takes each
 * token grid at run time; with `crop: { kind: center, height: s, width: s }` it is the centre-cropped baseline.
 */
import { z } from 'zod';

import type { ClipRecord, DatasetIndex } from '../format/schema.js';
import type { BuildOptions } from './common.js';
import { shapesClip, SyntheticSpec, writeShapes } from './synthetic.js';

/** `[frames, height, width]`. */
export type ClipSize = [number, number, number];

/** What is wrong with one size, or null. */
function sizeProblem(v: unknown): string | null {
  if (!Array.isArray(v) || v.length !== 3 || !v.every((n) => typeof n === 'number'))
    return 'a size is [frames, height, width], e.g. [8, 16, 32]';
  const [t, h, w]: number[] = v;
  if (!Number.isInteger(t) || t! < 1) return 'frames (the first number of a size) must be a positive integer';
  // From 2 pixels on, the trajectory keeps the largest shape (half-extent 0.22·min(H, W)) half a pixel inside.
  if (![h, w].every((n) => Number.isInteger(n) && n! >= 2))
    return 'height and width (the last two numbers of a size) must be integers >= 2, so the subject fits inside';
  return null;
}

/**
 * `[[frames, height, width], ...]`, at least one. Checked by hand rather than with `z.tuple`: a tuple's type errors
 * abort the `string | built-in spec` union of `data.dataset`, which then reports a bare "Invalid input" at
 * `data.dataset`; these issues keep their path (`data.dataset.sizes.1: ...`).
 */
export const ClipSizes = z.custom<ClipSize[]>().superRefine((v, ctx) => {
  if (!Array.isArray(v) || v.length === 0) {
    ctx.addIssue({
      code: 'custom',
      message: 'sizes is a non-empty list of [frames, height, width], e.g. [[8, 16, 32], [8, 32, 16]]',
      input: v,
    });
    return;
  }
  if (v.every((n) => typeof n === 'number')) {
    ctx.addIssue({
      code: 'custom',
      message: `sizes is a list of sizes: write [[${v.join(', ')}]], not [${v.join(', ')}]`,
      input: v,
    });
    return;
  }
  for (const [k, size] of (v as unknown[]).entries()) {
    const problem = sizeProblem(size);
    if (problem) ctx.addIssue({ code: 'custom', path: [k], message: problem, input: size });
  }
});

export const NativeShapesSpec = z.strictObject({
  kind: z.literal('native-shapes'),
  /** Dataset name (shard file prefix). */
  name: z.string().default('native-shapes'),
  count: z.number().int().positive().default(384),
  /** `[frames, height, width]` of each size; clip i has size i mod |sizes|. */
  sizes: ClipSizes.default([
    [8, 16, 32],
    [8, 32, 16],
    [8, 16, 16],
  ]),
  seed: z.number().int().nonnegative().default(0),
  /** As for `synthetic`: attribute combinations held out of the 'train' split (the only ones in 'holdout'). */
  holdout: SyntheticSpec.shape.holdout,
  split: SyntheticSpec.shape.split,
  /** As for `synthetic`: draw these attributes from the listed values only. */
  only: SyntheticSpec.shape.only,
});
export type NativeShapesSpec = z.infer<typeof NativeShapesSpec>;
export type NativeShapesSpecInput = z.input<typeof NativeShapesSpec>;

/** The size `[frames, height, width]` of clip i. */
export function nativeShapesSize(spec: NativeShapesSpec, i: number): [number, number, number] {
  return spec.sizes[i % spec.sizes.length]!;
}

/** Clip i: the synthetic generator's clip i at size i mod |sizes|. */
export function nativeShapesClip(spec: NativeShapesSpec, i: number): ClipRecord {
  return shapesClip(spec, i, nativeShapesSize(spec, i));
}

/** Generate the dataset into `out` (a directory, replaced atomically). */
export async function buildNativeShapes(
  out: string,
  input: NativeShapesSpecInput,
  opts: BuildOptions = {},
): Promise<DatasetIndex> {
  const spec = NativeShapesSpec.parse(input);
  return writeShapes(out, spec, (i) => nativeShapesClip(spec, i), opts);
}
