/**
 * BatchProducer: runs an epoch plan against the shards. It reads record batches in plan order
 * (skipping any that hold no row still needed), copies the needed rows out (the row-level shuffle
 * buffer: memory is bounded by shuffleBuffer + one record batch + the buckets' partial batches, never
 * the dataset), and assembles each planned batch: transforms, normalisation and patchify into one
 * Float32Array. The same code runs inside the worker thread and, with `worker: false`, inline.
 */
import { threadId } from 'node:worker_threads';

import type { DataConfig } from '../config.js';
import { DataError } from '../errors.js';
import { ShardReader, type Dataset } from '../format/reader.js';
import type { ClipShape } from '../format/schema.js';
import { Rng } from '../rng.js';
import { labelRemap } from './labels.js';
import { layout, planEpoch, targetShape, type Layout } from './plan.js';
import { applyClip, normalization, sampleClip } from './transforms.js';

/**
 * One batch, every clip of one shape. `clips` is (B, T, H, W, C) channels-last float32, normalised
 * (default: uint8 [0, 255] -> [-1, 1]); with `transforms.patchify` [pt, ph, pw] it is
 * (B, T/pt, H/ph, W/pw, pt·ph·pw·C) instead, and `shape` says which.
 */
export interface Batch {
  epoch: number;
  /** Index of this batch within its epoch. */
  index: number;
  bucket: number;
  clips: Float32Array;
  /** Shape of `clips`. */
  shape: number[];
  /** Shape of one clip before patchify: (T, H, W, C). */
  clipShape: ClipShape;
  /** Class indices (-1 for rows without a label), or null when the dataset has no labels. */
  labels: Int32Array | null;
  /** The configured caption variant per clip ('' when a row has none), or null when no row has one. */
  captions: string[] | null;
  /**
   * Attribute name -> value index per clip into the config's `attributes[name]`, else `index.attributes[name]` (-1:
   * missing); null if none.
   */
  attributes: Record<string, Int32Array> | null;
  ids: string[];
  /** Global dataset row of each clip. */
  rows: Int32Array;
  /**
   * Where these rows sit in the global batch they were cut from (data parallel): rows [offset, offset + B) of
   * `global`. One process: offset 0, global = B. Draws keyed to the global batch (noise, timesteps) slice here.
   */
  part: { offset: number; global: number };
  /** The thread that assembled the batch (0 = main thread). */
  threadId: number;
}

interface HeldRow {
  bytes: Uint8Array;
  shape: ClipShape;
  id: string;
  label: number | null;
  caption: string | null;
  attributes: Record<string, string> | null;
}

const MAX_OPEN_SHARDS = 16;

export class BatchProducer {
  readonly layout: Layout;
  private readonly readers = new Map<number, Promise<ShardReader>>();

  /** The dataset's label -> the configured label numbering (`cfg.labels`), or null: the dataset's own. */
  private readonly remap: Int32Array | null;

  constructor(
    readonly ds: Dataset,
    readonly cfg: DataConfig,
  ) {
    this.layout = layout(ds.index, cfg);
    this.remap = labelRemap(ds.index, ds.dir, cfg.labels);
  }

  /** Batches from (epoch, batch) on, epoch after epoch, forever. */
  async *batches(epoch: number, batch: number): AsyncGenerator<Batch> {
    for (let e = epoch; ; e++) {
      yield* this.epoch(e, e === epoch ? batch : 0);
    }
  }

  /** The batches of one epoch, starting at batch `from`. */
  async *epoch(epoch: number, from = 0): AsyncGenerator<Batch> {
    const plan = planEpoch(this.layout, this.cfg, epoch);
    const needed = new Set<number>();
    const parts = plan.batches.map((pb) => rankPart(pb.rows.length, this.cfg.dataParallel));
    const mine = plan.batches.map((pb, b) => pb.rows.slice(parts[b]!.offset, parts[b]!.end));
    for (let b = from; b < plan.batches.length; b++) for (const r of mine[b]!) needed.add(r);
    const held = new Map<number, HeldRow>();
    let next = 0; // next segment to read
    for (let b = from; b < plan.batches.length; b++) {
      const pb = plan.batches[b]!;
      const rowIds = mine[b]!;
      for (const r of rowIds) {
        while (!held.has(r)) {
          const seg = plan.segments[next++];
          if (!seg) throw new Error(`plan error: row ${r} is not in any segment`);
          if (!rangeHas(needed, seg.lo, seg.hi)) continue; // nothing needed here: no I/O
          const reader = await this.reader(seg.shard);
          const rb = await reader.readBatch(seg.batch);
          const first = this.ds.shardOffsets[seg.shard]! + reader.batchOffsets[seg.batch]!;
          for (let g = seg.lo; g < seg.hi; g++) {
            if (!needed.has(g)) continue;
            const i = g - first;
            held.set(g, {
              bytes: rb.bytes(i).slice(), // copy: the record batch is released after this segment
              shape: rb.shape(i),
              id: rb.batch.getChild('id')!.get(i) as string,
              label: rb.label(i),
              caption: rb.caption(i, this.cfg.caption),
              attributes: rb.attributes(i),
            });
          }
        }
      }
      const rows = rowIds.map((r) => {
        const h = held.get(r)!;
        held.delete(r);
        needed.delete(r);
        return h;
      });
      const part = { offset: parts[b]!.offset, global: pb.rows.length };
      yield this.assemble(epoch, b, pb.bucket, rowIds, rows, part);
    }
  }

  private assemble(
    epoch: number,
    index: number,
    bucket: number,
    rowIds: number[],
    rows: HeldRow[],
    part: Batch['part'],
  ): Batch {
    const { targets, channels } = this.layout;
    const target = targets[bucket]!;
    const clipShape = targetShape(target, channels);
    const [t, h, w, c] = clipShape;
    const per = t * h * w * c;
    const clips = new Float32Array(rows.length * per);
    const dtype = this.ds.index.dtype;
    const norm = normalization(this.cfg.transforms.normalize, dtype, c);
    const patch = this.cfg.transforms.patchify ?? null;
    rows.forEach((row, k) => {
      const rng = Rng.derive(this.cfg.seed, epoch, rowIds[k]!);
      const sample = sampleClip(this.cfg.transforms, row.shape, target, rng);
      const src =
        dtype === 'float32'
          ? new Float32Array(row.bytes.buffer, row.bytes.byteOffset, row.bytes.byteLength / 4)
          : row.bytes;
      applyClip(src, row.shape, sample, target, norm, patch, clips, k * per);
    });
    const shape = patch
      ? [rows.length, t / patch[0], h / patch[1], w / patch[2], patch[0] * patch[1] * patch[2] * c]
      : [rows.length, t, h, w, c];
    const vocab = this.cfg.attributes ?? this.ds.index.attributes; // numbered by name (checkAttributes)
    const attributes = vocab
      ? Object.fromEntries(
          Object.entries(vocab).map(([name, values]) => [
            name,
            Int32Array.from(rows, (r) =>
              r.attributes?.[name] === undefined ? -1 : values.indexOf(r.attributes[name]),
            ),
          ]),
        )
      : null;
    return {
      epoch,
      index,
      bucket,
      clips,
      shape,
      clipShape,
      labels: this.ds.index.labels
        ? Int32Array.from(rows, (r) => (r.label === null ? -1 : (this.remap?.[r.label] ?? r.label)))
        : null,
      captions: rows.some((r) => r.caption !== null) ? rows.map((r) => r.caption ?? '') : null,
      attributes,
      ids: rows.map((r) => r.id),
      rows: Int32Array.from(rowIds),
      part,
      threadId,
    };
  }

  private reader(shard: number): Promise<ShardReader> {
    let r = this.readers.get(shard);
    if (r) {
      this.readers.delete(shard); // re-insert: most recently used last
      this.readers.set(shard, r);
      return r;
    }
    if (this.readers.size >= MAX_OPEN_SHARDS) {
      const [oldest, p] = this.readers.entries().next().value as [number, Promise<ShardReader>];
      this.readers.delete(oldest);
      void p.then((x) => x.close()).catch(() => undefined);
    }
    r = ShardReader.open(this.ds, shard);
    r.catch(() => undefined);
    this.readers.set(shard, r);
    return r;
  }

  async close(): Promise<void> {
    const rs = [...this.readers.values()];
    this.readers.clear();
    await Promise.all(rs.map((p) => p.then((x) => x.close()).catch(() => undefined)));
  }
}

function rangeHas(s: Set<number>, lo: number, hi: number): boolean {
  for (let g = lo; g < hi; g++) if (s.has(g)) return true;
  return false;
}

/** Serialisable form of an error crossing the worker boundary. */
export interface WireError {
  name: string;
  message: string;
  file?: string;
  row?: number;
}

export function toWire(e: unknown): WireError {
  if (e instanceof DataError)
    return {
      name: e.name,
      message: e.message,
      ...(e.file ? { file: e.file } : {}),
      ...(e.row === undefined ? {} : { row: e.row }),
    };
  if (e instanceof Error) return { name: e.name, message: e.stack ?? e.message };
  return { name: 'Error', message: String(e) };
}

export function fromWire(w: WireError): Error {
  if (w.name === 'DataError')
    return new DataError(w.message, {
      ...(w.file ? { file: w.file } : {}),
      ...(w.row === undefined ? {} : { row: w.row }),
    });
  const e = new Error(w.message);
  e.name = w.name;
  return e;
}

/** Rank `rank` of `ranks`'s contiguous rows [offset, end) of a global batch of `n` rows. */
export function rankPart(n: number, { rank, ranks }: { rank: number; ranks: number }) {
  return { offset: Math.floor((rank * n) / ranks), end: Math.floor(((rank + 1) * n) / ranks) };
}
