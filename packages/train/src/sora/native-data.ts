/**
 * Native sizes (Sora: "training on data at its native size"): a bouncing-shapes dataset whose clips come in
 * several resolutions, aspect ratios and durations, e.g. 16x32 landscape, 32x16 portrait, 16x16 square. Clip i
 * uses size i mod |sizes| and is the built-in generator's clip at that size (same attributes, same trajectory
 * law: the subject never touches the border), so the generator knows where the subject is in every frame.
 * Loaded without crops, the loader batches clips of one shape together and the video DiT takes each grid at run
 * time; loaded with `crop: { kind: center, height: s, width: s }` it is the centre-cropped-squares baseline.
 */
import {
  DatasetWriter,
  MOTION_CLASSES,
  SHAPE_ATTRIBUTES,
  SyntheticSpec,
  syntheticClip,
  type DatasetIndex,
} from '@vtx/data';
import { z } from 'zod';

const pos = z.number().int().positive();

export const NativeShapesSpec = z.strictObject({
  name: z.string().default('native-shapes'),
  count: pos.default(384),
  /** [frames, height, width] of each size, cycled over the clips. */
  sizes: z
    .array(z.tuple([pos, pos, pos]))
    .min(1)
    .default([
      [8, 16, 32],
      [8, 32, 16],
      [8, 16, 16],
    ]),
  seed: z.number().int().nonnegative().default(0),
  holdout: SyntheticSpec.shape.holdout,
  split: SyntheticSpec.shape.split,
});
export type NativeShapesSpec = z.infer<typeof NativeShapesSpec>;

/** Clip i of the native-sizes dataset (the synthetic generator's clip at size i mod |sizes|). */
export function nativeShapesClip(spec: NativeShapesSpec, i: number): ReturnType<typeof syntheticClip> {
  const [frames, height, width] = spec.sizes[i % spec.sizes.length]!;
  const base = SyntheticSpec.parse({
    kind: 'synthetic',
    name: spec.name,
    count: spec.count,
    frames,
    height,
    width,
    seed: spec.seed,
    holdout: spec.holdout,
    split: spec.split,
  });
  return syntheticClip(base, i);
}

/** Write the dataset to `out` (atomically). */
export async function buildNativeShapes(
  out: string,
  input: z.input<typeof NativeShapesSpec>,
): Promise<DatasetIndex> {
  const spec = NativeShapesSpec.parse(input);
  const w = await DatasetWriter.create(out, {
    name: spec.name,
    dtype: 'uint8',
    builder: { kind: 'native-shapes', ...spec },
    labels: [...MOTION_CLASSES],
    attributes: SHAPE_ATTRIBUTES,
  });
  try {
    for (let i = 0; i < spec.count; i++) await w.add(nativeShapesClip(spec, i));
  } catch (e) {
    await w.abort();
    throw e;
  }
  return w.finish();
}
