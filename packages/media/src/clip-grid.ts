/**
 * Clips as pictures a person can look at: a batch of clips (N, T, H, W, C) in [-1, 1] tiled into a grid, written
 * as an animated GIF (one grid per frame) or as a PNG contact sheet (one row per clip, one column per frame).
 * 1-channel clips are shown grey; clips with more than 3 channels (latents) show their first three.
 * `encodePng` and `encodeGif` are the one PNG and GIF encoder of vtx (`@vtx/data`'s contact sheets use them too).
 * Writes are atomic (@vtx/runs' writeFileAtomic: temp file, fsync, rename).
 */
import { promises as fs } from 'node:fs';
import { dirname } from 'node:path';
import * as gifencModule from 'gifenc';
import { Resvg } from '@resvg/resvg-js';
import { PNG } from 'pngjs';
import { writeFileAtomic } from '@vtx/runs';

export interface ClipArray {
  data: Float32Array;
  /** [N, T, H, W, C] */
  shape: [number, number, number, number, number];
}

export interface GridOptions {
  /** Pixel magnification (nearest neighbour). Default: enough for ~96 px tiles. */
  scale?: number;
  /** Columns of the grid. Default ceil(sqrt(N)). */
  cols?: number;
  /** Gap between tiles, pixels. Default 2. */
  pad?: number;
  /** Value range of the clips. Default [-1, 1]. */
  range?: [number, number];
}

/** gifenc's functions: named exports under bundlers (its ESM build), `default` under Node's ESM loader (CJS). */
function gifenc(): Pick<typeof gifencModule, 'GIFEncoder' | 'applyPalette' | 'quantize'> {
  const m = gifencModule as unknown as Record<string, unknown> & { default?: typeof gifencModule };
  return typeof m['GIFEncoder'] === 'function' ? gifencModule : m.default!;
}

function toByte(v: number, lo: number, hi: number): number {
  return Math.max(0, Math.min(255, Math.round(((v - lo) / (hi - lo)) * 255)));
}

/** One RGBA image per frame t: the grid of every clip's frame t. */
export function gridFrames(
  clips: ClipArray,
  opts: GridOptions = {},
): { frames: Uint8Array[]; width: number; height: number } {
  const [n, t, h, w, c] = clips.shape;
  const s = opts.scale ?? Math.max(1, Math.floor(96 / Math.max(h, w)));
  const cols = opts.cols ?? Math.ceil(Math.sqrt(n));
  const rows = Math.ceil(n / cols);
  const pad = opts.pad ?? 2;
  const [lo, hi] = opts.range ?? [-1, 1];
  const width = cols * (w * s + pad) + pad;
  const height = rows * (h * s + pad) + pad;
  const frames: Uint8Array[] = [];
  for (let f = 0; f < t; f++) {
    const img = new Uint8Array(width * height * 4).fill(255);
    for (let k = 0; k < n; k++) {
      const x0 = pad + (k % cols) * (w * s + pad);
      const y0 = pad + Math.floor(k / cols) * (h * s + pad);
      for (let y = 0; y < h * s; y++) {
        for (let x = 0; x < w * s; x++) {
          const src = (((k * t + f) * h + Math.floor(y / s)) * w + Math.floor(x / s)) * c;
          const o = ((y0 + y) * width + x0 + x) * 4;
          for (let ch = 0; ch < 3; ch++) img[o + ch] = toByte(clips.data[src + (c >= 3 ? ch : 0)]!, lo, hi);
          img[o + 3] = 255;
        }
      }
    }
    frames.push(img);
  }
  return { frames, width, height };
}

async function writeAtomic(path: string, bytes: Uint8Array): Promise<void> {
  await fs.mkdir(dirname(path), { recursive: true });
  await writeFileAtomic(path, bytes);
}

/** An animated GIF of the clip grid at `fps` frames per second. */
export async function writeGifGrid(
  path: string,
  clips: ClipArray,
  opts: GridOptions & { fps?: number } = {},
): Promise<void> {
  const { frames, width, height } = gridFrames(clips, opts);
  await writeAtomic(path, encodeGif(frames, width, height, Math.round(1000 / (opts.fps ?? 8))));
}

/**
 * GIF bytes of RGBA frames (each quantised to its own 256-colour palette), shown `delay` ms each, or `delay[i]` ms
 * for frame i.
 */
export function encodeGif(
  frames: readonly Uint8Array[],
  width: number,
  height: number,
  delay: number | readonly number[],
): Uint8Array {
  const delays = typeof delay === 'number' ? frames.map(() => delay) : delay;
  if (delays.length !== frames.length)
    throw new Error(`encodeGif: ${delays.length} delays for ${frames.length} frames`);
  const { GIFEncoder, applyPalette, quantize } = gifenc();
  const gif = GIFEncoder();
  frames.forEach((rgba, i) => {
    const palette = quantize(rgba, 256);
    gif.writeFrame(applyPalette(rgba, palette), width, height, { palette, delay: delays[i] });
  });
  gif.finish();
  return gif.bytes();
}

/**
 * A PNG contact sheet: one row per clip, its frames left to right; with `labels`, each row's label (its class or
 * caption) in a column on the left, rendered by resvg in the system's sans-serif font.
 */
export async function writePngSheet(
  path: string,
  clips: ClipArray,
  opts: GridOptions & { labels?: readonly string[] } = {},
): Promise<void> {
  const [n, t, h, w, c] = clips.shape;
  // re-tile: treat every frame as its own 1-frame clip, t columns
  const data = clips.data;
  const { frames, width, height } = gridFrames({ data, shape: [n * t, 1, h, w, c] }, { ...opts, cols: t });
  const sheet = encodePng(frames[0]!, width, height);
  const pad = opts.pad ?? 2;
  await writeAtomic(
    path,
    opts.labels ? labelRows(sheet, width, height, (height - pad) / n, opts.labels) : sheet,
  );
}

const LABEL_PX = 7; // advance of one character at 12 px (DejaVu Sans averages 6.6)
const LABEL_CHARS = 40; // longer labels are cut with an ellipsis

const cutLabel = (l: string) => (l.length > LABEL_CHARS ? `${l.slice(0, LABEL_CHARS - 1)}…` : l);

/** The width in pixels of the label column `writePngSheet` adds for these labels. */
export function labelColumnWidth(labels: readonly string[]): number {
  return Math.max(...labels.map((l) => cutLabel(l).length)) * LABEL_PX + 12;
}

/** The sheet (PNG bytes, rows `rowHeight` apart, padding included) with a column on its left holding each row's label. */
function labelRows(
  sheet: Uint8Array,
  width: number,
  height: number,
  rowHeight: number,
  labels: readonly string[],
): Uint8Array {
  const cut = labels.map(cutLabel);
  const column = labelColumnWidth(labels);
  const escape = (s: string) =>
    s.replace(/[<>&"]/g, (ch) => ({ '<': '&lt;', '>': '&gt;', '&': '&amp;', '"': '&quot;' })[ch]!);
  const text = cut
    .map(
      (l, k) =>
        `<text x="6" y="${(k + 0.5) * rowHeight + 1}" dominant-baseline="middle" font-family="sans-serif" ` +
        `font-size="12" fill="#000">${escape(l)}</text>`,
    )
    .join('');
  const href = `data:image/png;base64,${Buffer.from(sheet).toString('base64')}`;
  const svg =
    `<svg xmlns="http://www.w3.org/2000/svg" width="${column + width}" height="${height}">` +
    `<image x="${column}" y="0" width="${width}" height="${height}" image-rendering="optimizeSpeed" href="${href}"/>` +
    `${text}</svg>`;
  return new Resvg(svg, { background: 'white' }).render().asPng();
}

/** PNG bytes of an RGBA image (`channels` 4, an RGBA PNG) or an RGB24 one (`channels` 3, an RGB PNG). */
export function encodePng(
  pixels: Uint8Array,
  width: number,
  height: number,
  channels: 3 | 4 = 4,
): Uint8Array {
  if (pixels.length !== width * height * channels)
    throw new Error(`encodePng: ${pixels.length} bytes for ${width}x${height}x${channels}`);
  if (channels === 4) {
    const png = new PNG({ width, height });
    png.data = Buffer.from(pixels);
    return PNG.sync.write(png);
  }
  const rgb = { colorType: 2, inputColorType: 2, inputHasAlpha: false } as const;
  const png = new PNG({ width, height, ...rgb });
  png.data = Buffer.from(pixels.buffer, pixels.byteOffset, pixels.byteLength);
  return PNG.sync.write(png, rgb);
}
