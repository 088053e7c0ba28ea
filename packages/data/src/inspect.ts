/**
 * `inspectDataset`: what a dataset holds (counts, shapes, label histogram, caption coverage, size on
 * disk, skipped inputs) and, optionally, a contact sheet to look at: a PNG grid (one row per clip,
 * evenly spaced frames across) or an animated GIF (a grid of clips, playing their frames). The tiles are laid out
 * here (clips of different sizes, min-max scaled float data, shrunk to 128 px); @vtx/media encodes the PNG and GIF.
 */
import fs from 'node:fs/promises';
import path from 'node:path';

import { encodeGif, encodePng } from '@vtx/media';
import { writeFileAtomic } from '@vtx/runs';

import { resizeImage, type RgbImage } from './builders/image.js';
import { openDataset, readRows } from './format/reader.js';
import { shapeKey, type ClipRecord, type DatasetIndex } from './format/schema.js';

export interface DatasetSummary {
  dir: string;
  name: string;
  builder: Record<string, unknown>;
  schemaVersion: number;
  dtype: DatasetIndex['dtype'];
  rows: number;
  shards: number;
  /** Bytes of the shard files and index on disk. */
  bytesOnDisk: number;
  /** Bytes of raw clip data. */
  clipBytes: number;
  shapes: { shape: number[]; count: number }[];
  /** Per class: name and count; null when the dataset has no labels. */
  labels: { name: string; count: number }[] | null;
  unlabelled: number;
  captioned: number;
  attributes: Record<string, string[]> | null;
  skipped: DatasetIndex['skipped'];
  /** The contact sheet written, if one was asked for. */
  sheet: string | null;
}

export interface InspectOptions {
  /** Verify shard checksums (default true). */
  verify?: boolean;
  /** Write a contact sheet here: `.png` (frame grid) or `.gif` (animated grid). */
  sheet?: string;
  /** Clips on the sheet (default 8, the first ones). */
  sheetClips?: number;
}

export async function inspectDataset(dir: string, opts: InspectOptions = {}): Promise<DatasetSummary> {
  const ds = await openDataset(dir, { verify: opts.verify ?? true });
  const { index } = ds;
  const shapeCounts = new Map<number, number>();
  for (const s of index.shards)
    for (const b of s.batches)
      for (const [id, n] of b.shapes) shapeCounts.set(id, (shapeCounts.get(id) ?? 0) + n);
  const names = index.labels?.names ?? null;
  const hist = new Map<number, number>();
  let unlabelled = 0;
  let captioned = 0;
  const sheetClips: ClipRecord[] = [];
  const want = opts.sheet ? (opts.sheetClips ?? 8) : 0;
  for await (const r of readRows(ds)) {
    if (r.label === null) unlabelled++;
    else hist.set(r.label, (hist.get(r.label) ?? 0) + 1);
    if (r.caption !== null) captioned++;
    if (sheetClips.length < want) sheetClips.push({ ...r, data: r.data.slice() });
  }
  let bytesOnDisk = (await fs.stat(path.join(dir, 'index.json'))).size;
  for (const s of index.shards) bytesOnDisk += s.bytes;
  let sheet: string | null = null;
  if (opts.sheet && sheetClips.length > 0) {
    const bytes = opts.sheet.endsWith('.gif')
      ? gifSheet(sheetClips, index.dtype)
      : pngSheet(sheetClips, index.dtype);
    await writeFileAtomic(opts.sheet, bytes);
    sheet = opts.sheet;
  }
  return {
    dir,
    name: index.name,
    builder: index.builder,
    schemaVersion: index.schemaVersion,
    dtype: index.dtype,
    rows: index.rows,
    shards: index.shards.length,
    bytesOnDisk,
    clipBytes: index.clipBytes,
    shapes: [...shapeCounts.entries()].map(([id, count]) => ({ shape: index.shapes[id]!, count })),
    labels: names ? names.map((name, i) => ({ name, count: hist.get(i) ?? 0 })) : null,
    unlabelled,
    captioned,
    attributes: index.attributes,
    skipped: index.skipped,
    sheet,
  };
}

/** One frame of a clip as RGB24 at most `max` px on its longer side (grey for 1 channel, min-max for float32). */
function frameRgb(c: ClipRecord, t: number, dtype: DatasetIndex['dtype'], max = 128): RgbImage {
  const [, h, w, ch] = c.shape;
  const n = h * w;
  const values: ArrayLike<number> =
    dtype === 'float32' ? new Float32Array(c.data.buffer, c.data.byteOffset, c.data.byteLength / 4) : c.data;
  const base = t * n * ch;
  let [lo, hi] = [0, 255];
  if (dtype === 'float32') {
    [lo, hi] = [Infinity, -Infinity];
    for (let i = 0; i < n * ch; i++)
      [lo, hi] = [Math.min(lo, values[base + i]!), Math.max(hi, values[base + i]!)];
  }
  const scale = hi > lo ? 255 / (hi - lo) : 0;
  const rgb = new Uint8Array(n * 3);
  for (let p = 0; p < n; p++) {
    for (let k = 0; k < 3; k++)
      rgb[3 * p + k] = Math.round((values[base + p * ch + Math.min(k, ch - 1)]! - lo) * scale);
  }
  const img = { width: w, height: h, data: rgb };
  const f = Math.min(1, max / Math.max(h, w));
  return f < 1
    ? resizeImage(img, Math.max(1, Math.round(h * f)), Math.max(1, Math.round(w * f)), 'stretch')
    : img;
}

function blit(dst: RgbImage, src: RgbImage, y0: number, x0: number): void {
  for (let y = 0; y < src.height; y++)
    dst.data.set(
      src.data.subarray(y * src.width * 3, (y + 1) * src.width * 3),
      ((y0 + y) * dst.width + x0) * 3,
    );
}

const GAP = 2;

/** Rows = clips, columns = up to 8 evenly spaced frames. */
function pngSheet(clips: ClipRecord[], dtype: DatasetIndex['dtype']): Uint8Array {
  const cols = Math.min(8, Math.max(...clips.map((c) => c.shape[0])));
  const tiles = clips.map((c) =>
    Array.from({ length: Math.min(cols, c.shape[0]) }, (_, k) =>
      frameRgb(c, Math.floor((k * (c.shape[0] - 1)) / Math.max(1, cols - 1)), dtype),
    ),
  );
  const th = Math.max(...tiles.flat().map((t) => t.height));
  const tw = Math.max(...tiles.flat().map((t) => t.width));
  const sheet: RgbImage = {
    width: cols * (tw + GAP) + GAP,
    height: clips.length * (th + GAP) + GAP,
    data: new Uint8Array(0),
  };
  sheet.data = new Uint8Array(sheet.width * sheet.height * 3).fill(255);
  tiles.forEach((row, r) =>
    row.forEach((t, k) => blit(sheet, t, GAP + r * (th + GAP), GAP + k * (tw + GAP))),
  );
  return encodePng(sheet.data, sheet.width, sheet.height, 3);
}

/** A grid of clips; GIF frame t shows frame t of each clip (shorter clips hold their last frame). */
function gifSheet(clips: ClipRecord[], dtype: DatasetIndex['dtype']): Uint8Array {
  const cols = Math.ceil(Math.sqrt(clips.length));
  const rows = Math.ceil(clips.length / cols);
  const first = clips.map((c) => frameRgb(c, 0, dtype));
  const th = Math.max(...first.map((t) => t.height));
  const tw = Math.max(...first.map((t) => t.width));
  const width = cols * (tw + GAP) + GAP;
  const height = rows * (th + GAP) + GAP;
  const frames = Math.max(...clips.map((c) => c.shape[0]));
  const fps = clips[0]?.fps ?? 8;
  const rgbaFrames = Array.from({ length: frames }, (_, t) => {
    const sheet: RgbImage = { width, height, data: new Uint8Array(width * height * 3).fill(255) };
    clips.forEach((c, i) =>
      blit(
        sheet,
        frameRgb(c, Math.min(t, c.shape[0] - 1), dtype),
        GAP + Math.floor(i / cols) * (th + GAP),
        GAP + (i % cols) * (tw + GAP),
      ),
    );
    const rgba = new Uint8Array(width * height * 4);
    for (let p = 0; p < width * height; p++)
      rgba.set([sheet.data[3 * p]!, sheet.data[3 * p + 1]!, sheet.data[3 * p + 2]!, 255], 4 * p);
    return rgba;
  });
  return encodeGif(rgbaFrames, width, height, Math.round(1000 / fps));
}

/** Human-readable summary lines (the CLI's non-JSON output). */
export function formatSummary(s: DatasetSummary): string {
  const mb = (b: number) => `${(b / 2 ** 20).toFixed(1)} MiB`;
  const lines = [
    `${s.dir}: ${s.name} (${typeof s.builder.kind === 'string' ? s.builder.kind : 'custom'}), schema v${s.schemaVersion}, ${s.dtype}`,
    `  clips: ${s.rows} in ${s.shards} shard(s), ${mb(s.bytesOnDisk)} on disk (${mb(s.clipBytes)} of clip data)`,
    `  shapes (T x H x W x C): ${s.shapes.map((x) => `${shapeKey(x.shape)} x${x.count}`).join(', ')}`,
  ];
  if (s.labels) {
    const top =
      s.labels.length > 20 ? [...s.labels].sort((a, b) => b.count - a.count).slice(0, 20) : s.labels;
    lines.push(
      `  labels (${s.labels.length} classes${s.labels.length > 20 ? ', top 20' : ''}): ${top.map((l) => `${l.name} ${l.count}`).join(', ')}`,
    );
  }
  if (s.unlabelled) lines.push(`  unlabelled: ${s.unlabelled}`);
  lines.push(`  captioned: ${s.captioned}/${s.rows}`);
  if (s.attributes)
    lines.push(
      `  attributes: ${Object.entries(s.attributes)
        .map(([k, v]) => `${k} (${v.length})`)
        .join(', ')}`,
    );
  if (s.skipped.length)
    lines.push(
      `  skipped inputs: ${s.skipped.length}: ${s.skipped
        .slice(0, 5)
        .map((x) => `${x.source} (${x.reason})`)
        .join('; ')}`,
    );
  if (s.sheet) lines.push(`  contact sheet: ${s.sheet}`);
  return lines.join('\n');
}
