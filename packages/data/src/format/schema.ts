/**
 * The vtx video dataset format, version 1 (documented in docs/data-format.md).
 *
 * A dataset is a directory: `index.json` plus Arrow IPC *file* shards `<name>-00000-of-00004.arrow`.
 * One row per clip. Clip bytes are raw (uint8 or float32 little-endian) in (T, H, W, C) order and the
 * shape is per row, so one dataset can mix resolutions and durations (Sora-style). The index repeats
 * every shard's row count, byte size, sha256 and the per-record-batch clip shapes, so a loader can plan
 * an epoch (shuffle, shard, bucket) without reading clip bytes.
 */
import * as A from 'apache-arrow';
import { z } from 'zod';

export const SCHEMA_VERSION = 1;
export const FORMAT_NAME = 'vtx-video-arrow';

/** Element type of the clip bytes: `uint8` pixels or `float32` latents. */
export const ClipDType = z.enum(['uint8', 'float32']);
export type ClipDType = z.infer<typeof ClipDType>;

/** (T, H, W, C): frames, height, width, channels. */
export type ClipShape = [number, number, number, number];

export const BYTES_PER_ELEMENT: Record<ClipDType, number> = { uint8: 1, float32: 4 };

export function clipBytes(shape: readonly number[], dtype: ClipDType): number {
  return shape.reduce((a, b) => a * b, 1) * BYTES_PER_ELEMENT[dtype];
}

export function shapeKey(shape: readonly number[]): string {
  return shape.join('x');
}

const shapeFieldType = new A.FixedSizeList(4, new A.Field('dim', new A.Int32(), false));

/** The Arrow schema of every shard: column name, type, nullability. Order is part of the format. */
export function arrowSchema(dtype: ClipDType): A.Schema {
  return new A.Schema(
    [
      new A.Field('id', new A.Utf8(), false), // unique clip id, e.g. "shapes/000042"
      new A.Field('source', new A.Utf8(), false), // where it came from: file path, "synthetic:seed=0"
      new A.Field('clip', new A.Binary(), false), // T*H*W*C elements of `dtype`, row-major (T, H, W, C)
      new A.Field('shape', shapeFieldType, false), // [T, H, W, C]
      new A.Field('label', new A.Int32(), true), // class index into index.labels.names
      new A.Field('caption', new A.Utf8(), true), // descriptive caption
      new A.Field('captionTerse', new A.Utf8(), true), // terse caption ("a circle")
      new A.Field('attributes', new A.Utf8(), true), // JSON {name: value}, values in index.attributes
      new A.Field('fps', new A.Float64(), true), // frame rate of the stored frames
      new A.Field('meta', new A.Utf8(), true), // JSON: original size, start time, frame indices, ...
    ],
    new Map([
      ['vtx.format', FORMAT_NAME],
      ['vtx.schemaVersion', String(SCHEMA_VERSION)],
      ['vtx.dtype', dtype],
    ]),
  );
}

export const COLUMN_NAMES = arrowSchema('uint8').fields.map((f) => f.name);

const int = z.number().int().nonnegative();
const Shape = z.tuple([int, int, int, int]);

/** One record batch of a shard: its row count and its rows' shapes, run-length encoded. */
export const BatchInfo = z.strictObject({
  rows: int,
  /** [[shapeId, runLength], ...] over the batch's rows; shapeId indexes `DatasetIndex.shapes`. */
  shapes: z.array(z.tuple([int, int])),
});
export type BatchInfo = z.infer<typeof BatchInfo>;

export const ShardInfo = z.strictObject({
  file: z.string(),
  rows: int,
  bytes: int,
  sha256: z.string().regex(/^[0-9a-f]{64}$/),
  batches: z.array(BatchInfo),
});
export type ShardInfo = z.infer<typeof ShardInfo>;

/** `index.json`: everything about the dataset but the clip bytes. */
export const DatasetIndex = z.strictObject({
  format: z.literal(FORMAT_NAME),
  schemaVersion: z.number().int(),
  name: z.string(),
  /** The builder and its resolved options, so a dataset says how to rebuild it. */
  builder: z.record(z.string(), z.unknown()),
  createdAt: z.string(),
  dtype: ClipDType,
  rows: int,
  /** Total bytes of clip data (not of the files). */
  clipBytes: int,
  /** Distinct clip shapes (T, H, W, C). */
  shapes: z.array(Shape),
  labels: z.strictObject({ names: z.array(z.string()) }).nullable(),
  /** Attribute vocabulary: attribute name -> allowed values (the `attributes` column uses these). */
  attributes: z.record(z.string(), z.array(z.string())).nullable(),
  /** Inputs the builder skipped, with the reason (missing or unreadable files). */
  skipped: z.array(z.strictObject({ source: z.string(), reason: z.string() })),
  shards: z.array(ShardInfo),
});
export type DatasetIndex = z.infer<typeof DatasetIndex>;

/** One clip as builders produce it and readers return it. */
export interface ClipRecord {
  id: string;
  source: string;
  /** Raw clip bytes, (T, H, W, C) row-major; float32 clips are little-endian bytes. */
  data: Uint8Array;
  shape: ClipShape;
  label: number | null;
  caption: string | null;
  captionTerse: string | null;
  attributes: Record<string, string> | null;
  fps: number | null;
  meta: Record<string, unknown> | null;
}

export function shardFileName(name: string, i: number, n: number): string {
  const pad = (k: number) => String(k).padStart(5, '0');
  return `${name}-${pad(i)}-of-${pad(n)}.arrow`;
}
