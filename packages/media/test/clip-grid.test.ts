/**
 * The media writer on clips whose pixels are known: -1 and 1 map to 0 and 255, tiles sit where the grid puts them
 * with white padding, a PNG sheet has one row per clip and one column per frame (plus the label column when asked),
 * and a GIF's logical screen is the grid's size; the encoders give back every RGB(A) pixel and every frame delay.
 * Files go to a temp directory.
 */
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PNG } from 'pngjs';
import { afterAll, describe, expect, it } from 'vitest';
import {
  encodeGif,
  encodePng,
  gridFrames,
  labelColumnWidth,
  writeGifGrid,
  writePngSheet,
  type ClipArray,
} from '../src/index.js';

const dir = mkdtempSync(join(tmpdir(), 'vtx-media-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

/** N clips of T frames, H x W, 1 channel; clip k frame f is filled with `value(k, f)`. */
function clips(
  n: number,
  t: number,
  h: number,
  w: number,
  value: (k: number, f: number) => number,
): ClipArray {
  const data = new Float32Array(n * t * h * w);
  for (let k = 0; k < n; k++)
    for (let f = 0; f < t; f++) data.fill(value(k, f), (k * t + f) * h * w, (k * t + f + 1) * h * w);
  return { data, shape: [n, t, h, w, 1] };
}

describe('gridFrames', () => {
  it('tiles each clip at its grid cell, maps [-1, 1] to [0, 255] and pads with white', () => {
    const { frames, width, height } = gridFrames(
      clips(2, 2, 2, 2, (k, f) => (k === 0 ? -1 : f === 0 ? 1 : 0)),
      { scale: 1, pad: 1, cols: 2 },
    );
    expect([frames.length, width, height]).toEqual([2, 7, 4]);
    const at = (img: Uint8Array, x: number, y: number) =>
      Array.from(img.subarray((y * width + x) * 4, (y * width + x) * 4 + 4));
    expect(at(frames[0]!, 1, 1)).toEqual([0, 0, 0, 255]); // clip 0: -1
    expect(at(frames[0]!, 4, 2)).toEqual([255, 255, 255, 255]); // clip 1, frame 0: 1
    expect(at(frames[1]!, 4, 2)).toEqual([128, 128, 128, 255]); // clip 1, frame 1: 0 -> round(127.5)
    expect(at(frames[0]!, 0, 0)).toEqual([255, 255, 255, 255]); // padding
    expect(at(frames[0]!, 3, 1)).toEqual([255, 255, 255, 255]); // the gap between the tiles
  });
});

describe('writePngSheet', () => {
  it('writes one row per clip and one column per frame', async () => {
    const path = join(dir, 'sheet.png');
    await writePngSheet(
      path,
      clips(2, 3, 2, 2, (k, f) => (k === 1 && f === 2 ? 1 : -1)),
      { scale: 1, pad: 1 },
    );
    const png = PNG.sync.read(readFileSync(path));
    expect([png.width, png.height]).toEqual([3 * 3 + 1, 2 * 3 + 1]);
    const px = (x: number, y: number) => png.data[(y * png.width + x) * 4]!;
    expect(px(1, 1)).toBe(0); // clip 0, frame 0
    expect(px(7, 4)).toBe(255); // clip 1, frame 2
    expect(px(4, 4)).toBe(0); // clip 1, frame 1
    expect(readdirSync(dir).filter((f) => f !== 'sheet.png')).toEqual([]); // atomic: no temp file left
  });

  it('adds a label column of labelColumnWidth pixels on the left', async () => {
    const path = join(dir, 'labelled.png');
    const labels = ['red square', 'a blue circle moving left'];
    await writePngSheet(
      path,
      clips(2, 1, 4, 4, () => 1),
      { scale: 1, pad: 1, labels },
    );
    const png = PNG.sync.read(readFileSync(path));
    expect(png.width).toBe(labelColumnWidth(labels) + (4 + 1) + 1);
    expect(png.height).toBe(2 * (4 + 1) + 1);
    expect(labelColumnWidth(['x'.repeat(100)])).toBe(labelColumnWidth(['y'.repeat(40)])); // cut at 40 characters
  });
});

describe('writeGifGrid', () => {
  it('writes a GIF89a whose logical screen is the grid', async () => {
    const path = join(dir, 'grid.gif');
    const batch = clips(3, 4, 2, 2, (k, f) => (k + f) % 2);
    await writeGifGrid(path, batch, { scale: 2, pad: 2 });
    const bytes = readFileSync(path);
    const { width, height } = gridFrames(batch, { scale: 2, pad: 2 });
    expect(bytes.subarray(0, 6).toString('latin1')).toBe('GIF89a');
    expect([bytes.readUInt16LE(6), bytes.readUInt16LE(8)]).toEqual([width, height]);
    expect([width, height]).toEqual([2 * (4 + 2) + 2, 2 * (4 + 2) + 2]); // 3 clips: 2 columns, 2 rows
    expect(bytes[bytes.length - 1]).toBe(0x3b); // the trailer
  });
});

describe('encodePng', () => {
  /** 3 x 2 pixels, every channel of every pixel different. */
  const pixels = (channels: 3 | 4) =>
    Uint8Array.from({ length: 3 * 2 * channels }, (_, i) => (i * 37 + 5) % 256);

  it('writes an RGB PNG from RGB24 pixels and an RGBA PNG from RGBA ones, both decoding to the same pixels', () => {
    for (const channels of [3, 4] as const) {
      const src = pixels(channels);
      const bytes = encodePng(src, 3, 2, channels);
      expect(bytes[25]).toBe(channels === 3 ? 2 : 6); // IHDR colour type: truecolour / truecolour with alpha
      const png = PNG.sync.read(Buffer.from(bytes));
      expect([png.width, png.height]).toEqual([3, 2]);
      for (let p = 0; p < 6; p++) {
        const want = [
          ...src.subarray(p * channels, p * channels + 3),
          channels === 4 ? src[p * 4 + 3]! : 255,
        ];
        expect(Array.from(png.data.subarray(p * 4, p * 4 + 4))).toEqual(want);
      }
    }
  });

  it('refuses pixels that do not fill width x height x channels', () => {
    expect(() => encodePng(pixels(3), 3, 2)).toThrow('encodePng: 18 bytes for 3x2x4');
  });
});

describe('encodeGif', () => {
  const solid = (v: number) => new Uint8Array(4 * 4 * 4).fill(v);
  /** The delay (centiseconds) of every Graphic Control Extension, in order. */
  const delays = (bytes: Uint8Array) => {
    const out: number[] = [];
    for (let i = 0; i + 5 < bytes.length; i++)
      if (bytes[i] === 0x21 && bytes[i + 1] === 0xf9 && bytes[i + 2] === 4)
        out.push(bytes[i + 4]! | (bytes[i + 5]! << 8));
    return out;
  };

  it('gives every frame its own delay, or one delay to all', () => {
    const frames = [solid(0), solid(255), solid(0)];
    expect(delays(encodeGif(frames, 4, 4, [100, 500, 300]))).toEqual([10, 50, 30]);
    expect(delays(encodeGif(frames, 4, 4, 125))).toEqual([13, 13, 13]);
    expect(() => encodeGif(frames, 4, 4, [100])).toThrow('encodeGif: 1 delays for 3 frames');
  });
});
