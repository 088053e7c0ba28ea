/**
 * Epoch planning: which rows this process reads, in which order, grouped into which batches. Pure
 * integer work over index.json (no clip bytes), so the loader can compute the whole epoch up front,
 * and a restored loader can recompute it and skip to any batch.
 *
 * 1. Sharding: process `index` of `count` owns the contiguous global rows [⌊index·N/count⌋, ⌊(index+1)·N/count⌋).
 * 2. Shuffle (WebDataset-style, two levels): the record-batch segments of that range are permuted by
 *    Rng(seed, epoch), then rows stream through a shuffle buffer of `shuffleBuffer` rows.
 * 3. Bucketing: each row's shape maps to a bucket (a target T' x H' x W'); a bucket emits a batch when it
 *    holds its batch size, so every batch has one shape. Leftovers are emitted at the end unless
 *    `dropRemainder`. Rows that fit no bucket are dropped and counted.
 */
import type { DataConfig } from '../config.js';
import { DataError } from '../errors.js';
import type { ClipShape, DatasetIndex } from '../format/schema.js';
import { Rng } from '../rng.js';
import { defaultFrames, span, type Target } from './transforms.js';

/** Rows [lo, hi) (global ids) of record batch `batch` of shard `shard`. */
export interface Segment {
  shard: number;
  batch: number;
  lo: number;
  hi: number;
}

export interface PlannedBatch {
  bucket: number;
  rows: number[];
}

/** The epoch-independent part of a plan. */
export interface Layout {
  /** One target shape (and its crop) per bucket. */
  targets: Target[];
  batchSizes: number[];
  channels: number;
  /** Bucket of each of the index's clip shapes (`index.shapes`), -1 when it fits no bucket. */
  shapeBucket: number[];
  /** Bucket of each row in [lo, hi) (index row - lo), -1 when the row fits no bucket. */
  rowBucket: Int32Array;
  lo: number;
  hi: number;
  segments: Segment[];
  /** Rows of this shard that fit no bucket. */
  dropped: number;
  batchesPerEpoch: number;
}

/** Bucket targets and every row's bucket, for this process's shard of the dataset. */
export function layout(index: DatasetIndex, cfg: DataConfig): Layout {
  const tf = cfg.transforms;
  const channels = new Set(index.shapes.map((s) => s[3]));
  if (channels.size > 1)
    throw new DataError(
      `dataset ${index.name} mixes channel counts (${[...channels].join(', ')}); a loader batch needs one`,
    );
  if (tf.frames !== undefined && tf.frames % tf.tubelet)
    throw new DataError(`transforms.frames ${tf.frames} is not a multiple of tubelet ${tf.tubelet}`);
  const targets: Target[] = [];
  const batchSizes: number[] = [];
  const shapeBucket: number[] = [];
  if (cfg.buckets.length > 0) {
    for (const b of cfg.buckets) {
      if (b.frames % tf.tubelet)
        throw new DataError(
          `bucket ${b.frames}x${b.height}x${b.width}: frames not a multiple of tubelet ${tf.tubelet}`,
        );
      const crop = tf.crop
        ? { ...tf.crop, height: b.height, width: b.width }
        : { kind: 'center' as const, height: b.height, width: b.width };
      targets.push({ frames: b.frames, height: b.height, width: b.width, crop });
      batchSizes.push(b.batchSize ?? cfg.batchSize);
    }
    for (const [t, h, w] of index.shapes) {
      // The largest bucket the clip fits without upsampling (Sora-style duration/resolution buckets).
      let best = -1;
      for (const [i, b] of targets.entries()) {
        const fits = span(b.frames, tf.stride) <= t && b.height <= h && b.width <= w;
        if (
          fits &&
          (best < 0 ||
            b.frames * b.height * b.width >
              targets[best]!.frames * targets[best]!.height * targets[best]!.width)
        )
          best = i;
      }
      shapeBucket.push(best);
    }
  } else {
    const keys = new Map<string, number>();
    for (const [t, h, w] of index.shapes) {
      const frames = tf.frames ?? defaultFrames(t, tf);
      if (frames < 1 || span(frames, tf.stride) > t) {
        shapeBucket.push(-1);
        continue;
      }
      const [ho, wo] = tf.crop ? [tf.crop.height, tf.crop.width] : [h, w];
      const key = `${frames}x${ho}x${wo}`;
      let id = keys.get(key);
      if (id === undefined) {
        id = targets.length;
        keys.set(key, id);
        targets.push({ frames, height: ho, width: wo, crop: tf.crop ?? null });
        batchSizes.push(cfg.batchSize);
      }
      shapeBucket.push(id);
    }
  }
  if (tf.patchify) {
    const [pt, ph, pw] = tf.patchify;
    for (const t of targets) {
      if (t.frames % pt || t.height % ph || t.width % pw) {
        throw new DataError(
          `clip ${t.frames}x${t.height}x${t.width} is not divisible by patch ${pt}x${ph}x${pw}`,
        );
      }
    }
  }

  const n = index.rows;
  const { index: k, count } = cfg.shard;
  const lo = Math.floor((k * n) / count);
  const hi = Math.floor(((k + 1) * n) / count);
  const rowBucket = new Int32Array(hi - lo);
  const segments: Segment[] = [];
  let g = 0;
  for (const [s, shard] of index.shards.entries()) {
    for (const [b, batch] of shard.batches.entries()) {
      const first = g;
      for (const [shapeId, run] of batch.shapes) {
        for (let r = 0; r < run; r++, g++)
          if (g >= lo && g < hi) rowBucket[g - lo] = shapeBucket[shapeId] ?? -1;
      }
      const [a, z] = [Math.max(first, lo), Math.min(first + batch.rows, hi)];
      if (a < z) segments.push({ shard: s, batch: b, lo: a, hi: z });
    }
  }
  const perBucket = new Array<number>(targets.length).fill(0);
  let dropped = 0;
  for (const b of rowBucket) {
    if (b < 0) dropped++;
    else perBucket[b]! += 1;
  }
  const batchesPerEpoch = perBucket.reduce(
    (a, m, b) => a + (cfg.dropRemainder ? Math.floor(m / batchSizes[b]!) : Math.ceil(m / batchSizes[b]!)),
    0,
  );
  return {
    targets,
    batchSizes,
    channels: [...channels][0] ?? 0,
    shapeBucket,
    rowBucket,
    lo,
    hi,
    segments,
    dropped,
    batchesPerEpoch,
  };
}

/** Segments in read order and batches in emission order for one epoch. */
export function planEpoch(
  lay: Layout,
  cfg: DataConfig,
  epoch: number,
): { segments: Segment[]; batches: PlannedBatch[] } {
  const segments = cfg.shuffle ? Rng.derive(cfg.seed, epoch, 101).shuffle([...lay.segments]) : lay.segments;
  const rng = Rng.derive(cfg.seed, epoch, 102);
  const pending: number[][] = lay.targets.map(() => []);
  const batches: PlannedBatch[] = [];
  const emit = (row: number) => {
    const b = lay.rowBucket[row - lay.lo]!;
    const p = pending[b]!;
    p.push(row);
    if (p.length === lay.batchSizes[b]) {
      batches.push({ bucket: b, rows: p.splice(0) });
    }
  };
  const buffer: number[] = [];
  const size = cfg.shuffle ? cfg.shuffleBuffer : 1;
  for (const s of segments) {
    for (let row = s.lo; row < s.hi; row++) {
      if (lay.rowBucket[row - lay.lo]! < 0) continue;
      if (!cfg.shuffle) {
        emit(row);
        continue;
      }
      if (buffer.length < size) {
        buffer.push(row);
        continue;
      }
      const j = rng.int(size);
      emit(buffer[j]!);
      buffer[j] = row;
    }
  }
  while (buffer.length > 0) {
    const j = rng.int(buffer.length);
    emit(buffer[j]!);
    buffer[j] = buffer[buffer.length - 1]!;
    buffer.pop();
  }
  if (!cfg.dropRemainder)
    for (const [b, p] of pending.entries()) if (p.length > 0) batches.push({ bucket: b, rows: p });
  return { segments, batches };
}

/** Output clip shape of a bucket: (T', H', W', C). */
export function targetShape(t: Target, channels: number): ClipShape {
  return [t.frames, t.height, t.width, channels];
}
