/**
 * `DataConfig`: the `data:` section of an experiment YAML, validator and type in one zod schema.
 * Every field has its default here; a YAML only says what differs. Example:
 *
 * ```yaml
 * data:
 *   dataset: { kind: synthetic, count: 512 }   # or a path: data/ucf101-112, or several sizes:
 *                                              # { kind: native-shapes, sizes: [[8, 16, 32], [8, 32, 16]] }
 *   batchSize: 16
 *   transforms: { frames: 8, stride: 1, crop: { kind: random-resized, height: 32, width: 32 }, flip: false }
 *   buckets: []                                  # Sora-style: [{ frames: 16, height: 64, width: 64, batchSize: 8 }, ...]
 *   shard: { index: 0, count: 1 }
 * ```
 */
import { z } from 'zod';

import { MovingMnistSpec } from './builders/moving-mnist.js';
import { NativeShapesSpec } from './builders/native-shapes.js';
import { OcclusionSpec } from './builders/occlusion.js';
import { SyntheticSpec } from './builders/synthetic.js';

const pos = z.number().int().positive();
const nonneg = z.number().int().nonnegative();
const range = z
  .tuple([z.number().positive(), z.number().positive()])
  .refine(([a, b]) => a <= b, 'range must be [min, max] with min <= max');

/**
 * How clip values become floats. `range`: uint8 [0, 255] -> [low, high] linearly (default [-1, 1], the
 * range DiT trains in). `meanStd`: (v / 255 - mean[c]) / std[c] for uint8, (v - mean[c]) / std[c] for
 * float32. `none`: the stored value as a float. Default: `range` for uint8, `none` for float32 latents.
 */
export const NormalizeConfig = z.discriminatedUnion('kind', [
  z.strictObject({ kind: z.literal('range'), low: z.number().default(-1), high: z.number().default(1) }),
  z.strictObject({
    kind: z.literal('meanStd'),
    mean: z.array(z.number()).min(1),
    std: z.array(z.number().positive()).min(1),
  }),
  z.strictObject({ kind: z.literal('none') }),
]);
export type NormalizeConfig = z.infer<typeof NormalizeConfig>;

/**
 * Spatial resampling to height x width. `random-resized`: Inception-style random crop of `scale` of the
 * area with aspect ratio in `ratio` (log-uniform), resized bilinearly (Szegedy et al. 2015; torchvision
 * RandomResizedCrop); one box per clip. `center`: the largest centred crop with the target aspect, resized.
 * `resize`: the whole frame resized (aspect not kept).
 */
export const CropConfig = z.discriminatedUnion('kind', [
  z.strictObject({
    kind: z.literal('random-resized'),
    height: pos,
    width: pos,
    scale: range.default([0.35, 1]),
    ratio: range.default([3 / 4, 4 / 3]),
  }),
  z.strictObject({ kind: z.literal('center'), height: pos, width: pos }),
  z.strictObject({ kind: z.literal('resize'), height: pos, width: pos }),
]);
export type CropConfig = z.infer<typeof CropConfig>;

export const TransformConfig = z.strictObject({
  /** Frames per output clip. Default: every `stride`-th frame, trimmed to a multiple of `tubelet`. */
  frames: pos.optional(),
  /** Temporal stride between sampled frames. */
  stride: pos.default(1),
  /** Where the sampled window starts: uniformly random, at frame 0, or centred. */
  offset: z.enum(['random', 'start', 'center']).default('random'),
  /** Output frames are a multiple of this (the model's tubelet depth pt). */
  tubelet: pos.default(1),
  crop: CropConfig.optional(),
  /** Horizontal flip with probability 1/2 (note: it swaps left/right motion classes). */
  flip: z.boolean().default(false),
  normalize: NormalizeConfig.optional(),
  /** On-the-fly patchify with patch [pt, ph, pw]: clips become (B, T', H', W', pt·ph·pw·C). */
  patchify: z.tuple([pos, pos, pos]).optional(),
});
export type TransformConfig = z.infer<typeof TransformConfig>;

/** A resolution/duration bucket (Sora-style): clips that fit are cropped/sampled to this shape. */
export const BucketConfig = z.strictObject({
  frames: pos,
  height: pos,
  width: pos,
  /** Per-bucket batch size (default: `batchSize`), e.g. smaller for larger clips. */
  batchSize: pos.optional(),
});
export type BucketConfig = z.infer<typeof BucketConfig>;

/**
 * A built-in dataset, generated on first use into `cacheDir`: `synthetic` bouncing shapes (one size),
 * `native-shapes` (the same clips at several sizes, `sizes: [[T, H, W], ...]`), `moving-mnist`, `occlusion`
 * (a subject passing behind a static bar, for object permanence).
 */
export const BuiltinDataset = z.discriminatedUnion('kind', [
  SyntheticSpec,
  NativeShapesSpec,
  MovingMnistSpec,
  OcclusionSpec,
]);
export type BuiltinDataset = z.infer<typeof BuiltinDataset>;
export type BuiltinDatasetInput = z.input<typeof BuiltinDataset>;

/** Where built-in datasets are cached when a config does not say: `VTX_CACHE_DIR`, else `.vtx-cache/data`. */
export function defaultCacheDir(): string {
  return globalThis.process?.env['VTX_CACHE_DIR'] || '.vtx-cache/data';
}

export const DataConfig = z.strictObject({
  /** A dataset directory, or a built-in spec (default: the synthetic bouncing shapes). */
  dataset: z.union([z.string(), BuiltinDataset]).prefault({ kind: 'synthetic' }),
  /** Where built-in datasets are built, keyed by a hash of their spec (default: defaultCacheDir()). */
  cacheDir: z.string().default(defaultCacheDir),
  batchSize: pos.default(16),
  transforms: TransformConfig.prefault({}),
  /** Empty: clips are grouped by their output shape. Otherwise each clip goes to the largest bucket it fits. */
  buckets: z.array(BucketConfig).default([]),
  /**
   * Number labels by these class names (an evaluation set by its training set's) instead of the dataset's own sorted
   * names; a dataset label not among them is an error naming its index.json. Default: the dataset's own.
   */
  labels: z.array(z.string()).optional(),
  /**
   * Number attribute values by these vocabularies (attribute name -> values: a judge's, so values are numbered as it
   * was trained) instead of the dataset's own; batches carry only these attributes. A dataset value of a named
   * attribute that is not among them is an error naming its index.json. Default: the dataset's own.
   */
  attributes: z.record(z.string(), z.array(z.string())).optional(),
  /** Which caption column becomes `batch.captions`. */
  caption: z.enum(['descriptive', 'terse']).default('descriptive'),
  /**
   * The part of the dataset this loader ever reads: contiguous 1/count of the rows (a fixed split of the data,
   * e.g. independent jobs on disjoint parts). Its position is not portable across counts.
   */
  shard: z
    .strictObject({ index: nonneg.default(0), count: pos.default(1) })
    .refine((s) => s.index < s.count, 'shard.index must be < shard.count')
    .prefault({}),
  /**
   * Data-parallel training: this process's contiguous rows of every global batch (rank r of n takes rows
   * [⌊r·B/n⌋, ⌊(r+1)·B/n⌋) of each planned batch of B rows). The plan, the shuffle and the position stay those of
   * one process, so n ranks see exactly the rows one process would, and a run resumes on any number of ranks.
   * The trainer sets it from the MPI world; leave it at its default in configs.
   */
  dataParallel: z
    .strictObject({ rank: nonneg.default(0), ranks: pos.default(1) })
    .refine((d) => d.rank < d.ranks, 'dataParallel.rank must be < dataParallel.ranks')
    .prefault({}),
  shuffle: z.boolean().default(true),
  /** Rows held by the streaming shuffle buffer (memory: this many clips). */
  shuffleBuffer: pos.default(1024),
  seed: nonneg.default(0),
  /** Batches prepared ahead of the trainer. */
  prefetch: pos.default(4),
  /** Decode, augment and batch in a worker thread (false: in the calling thread). */
  worker: z.boolean().default(true),
  /** Drop each bucket's last partial batch of an epoch. */
  dropRemainder: z.boolean().default(false),
  /** Check shard sha256 checksums when opening. */
  verify: z.boolean().default(true),
});
export type DataConfig = z.infer<typeof DataConfig>;
export type DataConfigInput = z.input<typeof DataConfig>;
