/**
 * The occlusion dataset: one bouncing-shapes subject crosses the frame horizontally and passes behind a static
 * bar (in front of it, in a light grey no subject or background uses), disappears for a few frames and comes out
 * on the other side. Object permanence and long-range consistency can be read from it in closed form (the
 * coherence reader in @vtx/eval): the subject that re-emerges must have the colour, shape and size it had before,
 * and appear where its velocity before the bar predicts.
 *
 * Every clip is laid out so that the subject is fully visible in at least two frames before the bar, fully hidden
 * in at least one, and fully visible in at least two after it (checked when a clip is made; `meta.visibility`
 * says which frames are which). Sizes are small or medium, so the bar can hide the subject in a 32-pixel-high
 * frame. Clip i depends only on (seed, i); labels are the motion classes, as for `synthetic`.
 */
import { z } from 'zod';

import { DataError } from '../errors.js';
import type { ClipRecord, DatasetIndex } from '../format/schema.js';
import { Rng } from '../rng.js';
import {
  descriptiveCaption,
  MOTION_CLASSES,
  SHAPE_ATTRIBUTES,
  SIZE_FRACTION,
  terseCaption,
  type ShapeAttributes,
} from '../synthetic/attributes.js';
import { renderClip, type Trajectory } from '../synthetic/render.js';
import { writeGenerated, type BuildOptions } from './common.js';

const pos = z.number().int().positive();

export const OcclusionSpec = z.strictObject({
  kind: z.literal('occlusion'),
  /** Dataset name (shard file prefix). */
  name: z.string().default('occlusion'),
  count: pos.default(512),
  frames: z.number().int().min(12).default(16),
  height: z.number().int().min(16).default(32),
  width: z.number().int().min(48).default(64),
  seed: z.number().int().nonnegative().default(0),
});
export type OcclusionSpec = z.infer<typeof OcclusionSpec>;
export type OcclusionSpecInput = z.input<typeof OcclusionSpec>;

/** The bar's colour: a light grey, distinct from every subject colour and background. */
export const OCCLUDER_RGB: [number, number, number] = [165, 165, 165];

/** Which frames show the subject fully, hide it fully, or show part of it. */
export type Visibility = 'visible' | 'hidden' | 'partial';

export interface OcclusionLayout {
  path: Trajectory;
  /** The bar's columns [x0, x1), all rows. */
  occluder: { x0: number; x1: number };
  visibility: Visibility[];
}

/** Horizontal motion only: the bar is vertical. */
const DIRECTIONS = ['left-to-right', 'right-to-left'] as const;
const SIZES = ['small', 'medium'] as const;

/**
 * The straight path across the whole width and the bar around the middle: the bar is two steps wider than the
 * subject, so at least one frame hides it whole, and `jitter` in [0, 1) moves it by up to a step.
 */
export function occlusionLayout(
  a: ShapeAttributes,
  [frames, h, w]: readonly [number, number, number],
  v: number,
  jitter: number,
): OcclusionLayout {
  const r = SIZE_FRACTION[a.size] * Math.min(h, w);
  const [lo, hi] = [r + 0.5, w - r - 1.5];
  const step = (hi - lo) / (frames - 1);
  const y = r + 0.5 + v * (h - 2 * r - 1);
  const [x0, x1] = a.direction === 'left-to-right' ? [lo, hi] : [hi, lo];
  const width = Math.ceil(2 * r + 2 * step + 1);
  const left = Math.round(w / 2 - width / 2 + (jitter - 0.5) * step);
  const occluder = { x0: left, x1: left + width };
  const visibility = Array.from({ length: frames }, (_, f): Visibility => {
    const cx = x0 + (f / (frames - 1)) * (x1 - x0);
    // the anti-aliased shape covers (cx - r - 1, cx + r + 1); hidden when its whole extent is behind the bar
    if (cx + r + 1 <= occluder.x0 || cx - r - 1 >= occluder.x1) return 'visible';
    if (cx - r - 1 >= occluder.x0 && cx + r + 1 <= occluder.x1) return 'hidden';
    return 'partial';
  });
  return { path: { x0, y0: y, x1, y1: y, r }, occluder, visibility };
}

function occlusionAttributes(seed: number, i: number): ShapeAttributes {
  const rng = Rng.derive(seed, i, 1);
  return {
    shape: rng.pick(SHAPE_ATTRIBUTES.shape),
    colour: rng.pick(SHAPE_ATTRIBUTES.colour),
    size: rng.pick(SIZES),
    direction: rng.pick(DIRECTIONS),
    speed: 'fast',
    background: rng.pick(SHAPE_ATTRIBUTES.background),
  };
}

/** Clip i: (T, H, W, 3) uint8, the subject drawn first and the bar over it. */
export function occlusionClip(spec: OcclusionSpec, i: number): ClipRecord {
  const a = occlusionAttributes(spec.seed, i);
  const rng = Rng.derive(spec.seed, i, 2);
  const size = [spec.frames, spec.height, spec.width] as const;
  const lay = occlusionLayout(a, size, rng.next(), rng.next());
  const count = (v: Visibility) => lay.visibility.filter((x) => x === v).length;
  const firstHidden = lay.visibility.indexOf('hidden');
  const lastHidden = lay.visibility.lastIndexOf('hidden');
  const before = lay.visibility.slice(0, Math.max(0, firstHidden)).filter((x) => x === 'visible').length;
  const after = lay.visibility.slice(lastHidden + 1).filter((x) => x === 'visible').length;
  if (count('hidden') < 1 || before < 2 || after < 2)
    throw new DataError(
      `occlusion clip ${i}: ${spec.frames}x${spec.height}x${spec.width} leaves ${before} visible frames before the bar, ` +
        `${count('hidden')} hidden and ${after} after (needs 2, 1 and 2): use more frames or a wider frame`,
    );
  const data = renderClip(a, lay.path, spec.frames, spec.height, spec.width);
  for (let f = 0; f < spec.frames; f++)
    for (let y = 0; y < spec.height; y++)
      for (let x = Math.max(0, lay.occluder.x0); x < Math.min(spec.width, lay.occluder.x1); x++)
        data.set(OCCLUDER_RGB, ((f * spec.height + y) * spec.width + x) * 3);
  return {
    id: `${spec.name}/${String(i).padStart(6, '0')}`,
    source: `occlusion:seed=${spec.seed}:i=${i}`,
    data,
    shape: [spec.frames, spec.height, spec.width, 3],
    label: MOTION_CLASSES.indexOf(a.direction),
    caption: `${descriptiveCaption(a)}, passing behind a grey bar`,
    captionTerse: terseCaption(a),
    attributes: { ...a },
    fps: 8,
    meta: { trajectory: lay.path, occluder: lay.occluder, visibility: lay.visibility },
  };
}

/** Generate the dataset into `out` (a directory, replaced atomically). */
export async function buildOcclusion(
  out: string,
  input: OcclusionSpecInput,
  opts: BuildOptions = {},
): Promise<DatasetIndex> {
  const spec = OcclusionSpec.parse(input);
  const dataset = {
    name: spec.name,
    dtype: 'uint8' as const,
    builder: spec,
    labels: [...MOTION_CLASSES],
    attributes: SHAPE_ATTRIBUTES,
  };
  return writeGenerated(out, dataset, spec.count, (i) => occlusionClip(spec, i), opts);
}
