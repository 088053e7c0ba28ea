/**
 * The synthetic bouncing-shapes dataset: one coloured shape moving in a straight line on a flat
 * background. The label is the direction of motion, which no single frame shows, so a model must
 * use time to classify it. Each clip also carries attributes (shape, colour, size, direction, speed,
 * background) and a descriptive plus a terse caption. Clip i depends only on (seed, i).
 *
 * Attribute combinations can be held out (`holdout`): split 'train' never generates them, split
 * 'holdout' generates only them, for compositional-generalisation tests.
 */
import { z } from 'zod';

import { DataError } from '../errors.js';
import type { ClipRecord, DatasetIndex } from '../format/schema.js';
import { Rng } from '../rng.js';
import {
  descriptiveCaption,
  MOTION_CLASSES,
  SHAPE_ATTRIBUTES,
  terseCaption,
  type ShapeAttributes,
} from '../synthetic/attributes.js';
import { renderClip, trajectory } from '../synthetic/render.js';
import { writeGenerated, type BuildOptions } from './common.js';

const pos = z.number().int().positive();

/** A partial attribute assignment; a clip matches when every listed attribute is equal. */
export const AttributePattern = z.strictObject({
  shape: z.enum(SHAPE_ATTRIBUTES.shape).optional(),
  colour: z.enum(SHAPE_ATTRIBUTES.colour).optional(),
  size: z.enum(SHAPE_ATTRIBUTES.size).optional(),
  direction: z.enum(SHAPE_ATTRIBUTES.direction).optional(),
  speed: z.enum(SHAPE_ATTRIBUTES.speed).optional(),
  background: z.enum(SHAPE_ATTRIBUTES.background).optional(),
});
export type AttributePattern = z.infer<typeof AttributePattern>;

const valuesOf = <T extends readonly [string, ...string[]]>(values: T) =>
  z
    .array(z.enum(values))
    .min(1)
    .refine((v) => new Set(v).size === v.length, 'values must not repeat');

/**
 * The values each attribute is drawn from, where not all of them (a simpler dataset: `only: { size: [large] }`).
 * The index keeps the full vocabulary, so attribute ids, captions and judges stay comparable across datasets.
 */
export const AttributeValues = z.strictObject({
  shape: valuesOf(SHAPE_ATTRIBUTES.shape).optional(),
  colour: valuesOf(SHAPE_ATTRIBUTES.colour).optional(),
  size: valuesOf(SHAPE_ATTRIBUTES.size).optional(),
  direction: valuesOf(SHAPE_ATTRIBUTES.direction).optional(),
  speed: valuesOf(SHAPE_ATTRIBUTES.speed).optional(),
  background: valuesOf(SHAPE_ATTRIBUTES.background).optional(),
});
export type AttributeValues = z.infer<typeof AttributeValues>;

export const SyntheticSpec = z.strictObject({
  kind: z.literal('synthetic'),
  /** Dataset name (shard file prefix). */
  name: z.string().default('shapes'),
  count: pos.default(512),
  frames: pos.default(8),
  height: pos.default(32),
  width: pos.default(32),
  seed: z.number().int().nonnegative().default(0),
  /** Attribute combinations held out of the 'train' split (and the only ones in 'holdout'). */
  holdout: z.array(AttributePattern).default([]),
  split: z.enum(['train', 'holdout']).default('train'),
  /** Draw these attributes from the listed values only (absent: every value; no default, so cached datasets keep their hash). */
  only: AttributeValues.optional(),
});
export type SyntheticSpec = z.infer<typeof SyntheticSpec>;
export type SyntheticSpecInput = z.input<typeof SyntheticSpec>;

function matches(a: ShapeAttributes, p: AttributePattern): boolean {
  return Object.entries(p).every(([k, v]) => v === undefined || a[k as keyof ShapeAttributes] === v);
}

function sampleAttributes(rng: Rng, only: AttributeValues = {}): ShapeAttributes {
  return {
    shape: rng.pick(only.shape ?? SHAPE_ATTRIBUTES.shape),
    colour: rng.pick(only.colour ?? SHAPE_ATTRIBUTES.colour),
    size: rng.pick(only.size ?? SHAPE_ATTRIBUTES.size),
    direction: rng.pick(only.direction ?? SHAPE_ATTRIBUTES.direction),
    speed: rng.pick(only.speed ?? SHAPE_ATTRIBUTES.speed),
    background: rng.pick(only.background ?? SHAPE_ATTRIBUTES.background),
  };
}

/** What clip i's draws depend on besides i: shared by `synthetic` and `native-shapes`. */
export type ShapesDraw = Pick<SyntheticSpec, 'name' | 'seed' | 'holdout' | 'split' | 'only'>;

/** The attributes of clip i under the spec's split and holdout patterns (they do not depend on the size). */
export function syntheticAttributes(spec: Omit<ShapesDraw, 'name'>, i: number): ShapeAttributes {
  const rng = Rng.derive(spec.seed, i, 1);
  if (spec.split === 'holdout') {
    if (spec.holdout.length === 0)
      throw new DataError(`synthetic split 'holdout' needs at least one holdout pattern`);
    const p = rng.pick(spec.holdout);
    return {
      ...sampleAttributes(rng, spec.only),
      ...(Object.fromEntries(
        Object.entries(p).filter(([, v]) => v !== undefined),
      ) as Partial<ShapeAttributes>),
    };
  }
  for (let tries = 0; tries < 1000; tries++) {
    const a = sampleAttributes(rng, spec.only);
    if (!spec.holdout.some((p) => matches(a, p))) return a;
  }
  throw new DataError(
    `synthetic: the holdout patterns ${JSON.stringify(spec.holdout)} leave no attribute combination for 'train'` +
      (spec.only ? ` within only: ${JSON.stringify(spec.only)}` : ''),
  );
}

/** Clip i of the dataset: (T, H, W, 3) uint8, label = motion class. */
export function syntheticClip(spec: SyntheticSpec, i: number): ClipRecord {
  return shapesClip(spec, i, [spec.frames, spec.height, spec.width]);
}

/**
 * Clip i drawn as for `spec` and rendered at `frames x height x width`: the one generator behind both built-in
 * shapes kinds. Attributes, captions and the trajectory's placement (u, v) depend only on (seed, i, split,
 * holdout); the trajectory is laid out in the given frame, so the subject never touches its border.
 */
export function shapesClip(
  spec: ShapesDraw,
  i: number,
  [frames, height, width]: readonly [number, number, number],
): ClipRecord {
  const a = syntheticAttributes(spec, i);
  const rng = Rng.derive(spec.seed, i, 2);
  const path = trajectory(a, height, width, rng.next(), rng.next());
  return {
    id: `${spec.name}/${String(i).padStart(6, '0')}`,
    source: `synthetic:seed=${spec.seed}:split=${spec.split}:i=${i}`,
    data: renderClip(a, path, frames, height, width),
    shape: [frames, height, width, 3],
    label: MOTION_CLASSES.indexOf(a.direction),
    caption: descriptiveCaption(a),
    captionTerse: terseCaption(a),
    attributes: { ...a },
    fps: 8,
    meta: { trajectory: path },
  };
}

/** Generate the dataset into `out` (a directory, replaced atomically). */
export async function buildSynthetic(
  out: string,
  input: SyntheticSpecInput,
  opts: BuildOptions = {},
): Promise<DatasetIndex> {
  const spec = SyntheticSpec.parse(input);
  return writeShapes(out, spec, (i) => syntheticClip(spec, i), opts);
}

/**
 * Write `spec.count` clips of a built-in shapes kind (`synthetic`, `native-shapes`), clip i from `clipAt(i)`, into
 * `out`: motion classes as labels, the shape attributes as the vocabulary and the spec stored as the builder.
 */
export function writeShapes(
  out: string,
  spec: ShapesDraw & { kind: string; count: number },
  clipAt: (i: number) => ClipRecord,
  opts: BuildOptions,
): Promise<DatasetIndex> {
  const dataset = {
    name: spec.name,
    dtype: 'uint8' as const,
    builder: spec,
    labels: [...MOTION_CLASSES],
    attributes: SHAPE_ATTRIBUTES,
  };
  return writeGenerated(out, dataset, spec.count, clipAt, opts);
}
