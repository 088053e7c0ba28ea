// Prompt pictures and videos (`vtx sample --image/--extend/--connect/--edit`): PNGs written with pngjs, GIFs and MP4s
// encoded here by ffmpeg from frames of known solid colours, read back at a run's size, channels and data range.
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';

import { encodeGif, encodePng } from '@vtx/media';

import { DataError, readPromptClip, type PromptClipOptions } from '../src/index.js';
import { tmpDir } from './helpers.js';
import { hasFfmpeg, needFfmpeg } from './helpers/ffmpeg.js';

type Rgb = [number, number, number];
/** The frames of the test videos, one solid colour each: red, green, blue, white, black, yellow. */
const COLOURS: Rgb[] = [
  [255, 0, 0],
  [0, 255, 0],
  [0, 0, 255],
  [255, 255, 255],
  [0, 0, 0],
  [255, 255, 0],
];

/** An h x w RGB24 image: `colour(x, y)` per pixel. */
function image(h: number, w: number, colour: (x: number, y: number) => Rgb): Uint8Array {
  const data = new Uint8Array(h * w * 3);
  for (let y = 0; y < h; y++) for (let x = 0; x < w; x++) data.set(colour(x, y), (y * w + x) * 3);
  return data;
}

/** Encode the COLOURS frames at h x w with ffmpeg into `out` (.gif or .mp4). */
function encodeVideo(out: string, h: number, w: number, extra: string[]): void {
  const raw = Buffer.concat(COLOURS.map((c) => image(h, w, () => c)));
  const input = ['-f', 'rawvideo', '-pix_fmt', 'rgb24', '-s', `${w}x${h}`, '-r', '4', '-i', '-'];
  const r = spawnSync('ffmpeg', ['-hide_banner', '-loglevel', 'error', '-y', ...input, ...extra, out], {
    input: raw,
  });
  if (r.status !== 0) throw new Error(`ffmpeg could not encode ${out}: ${r.stderr.toString()}`);
}

const toUnit = (v: number) => (v / 255) * 2 - 1; // the default normalisation: uint8 -> [-1, 1]

type Clip = { data: Float32Array; shape: number[] };

/** The largest distance of any value of frame t from the colour `rgb` (in [-1, 1]; a 1-channel clip: its luma). */
function frameError(clip: Clip, t: number, rgb: Rgb): number {
  const [, h, w, c] = clip.shape as [number, number, number, number];
  const want = c === 3 ? rgb.map(toUnit) : [toUnit(0.299 * rgb[0] + 0.587 * rgb[1] + 0.114 * rgb[2])];
  let worst = 0;
  for (let i = 0; i < h * w; i++)
    for (let k = 0; k < c; k++)
      worst = Math.max(worst, Math.abs(clip.data[(t * h * w + i) * c + k]! - want[k]!));
  return worst;
}

const run: PromptClipOptions = { height: 8, width: 8, channels: 3, frames: 1, from: 'start' };
let dir: string;

beforeAll(() => {
  dir = tmpDir('vtx-prompt');
  // 8x8: a colour gradient, every pixel different
  const grad = { width: 8, height: 8, data: image(8, 8, (x, y) => [x * 32, y * 32, 255 - x * 16]) };
  fs.writeFileSync(path.join(dir, 'grad.png'), encodePng(grad.data, grad.width, grad.height, 3));
  // 32x16: red on the left quarter (x < 8), blue elsewhere
  const wide = { width: 32, height: 16, data: image(16, 32, (x) => (x < 8 ? [255, 0, 0] : [0, 0, 255])) };
  fs.writeFileSync(path.join(dir, 'wide.png'), encodePng(wide.data, wide.width, wide.height, 3));
  fs.writeFileSync(path.join(dir, 'noise.gif'), Buffer.from('GIF89a, then not a picture at all'));
  // 4 solid frames shown for 100, 500, 100 and 300 ms (gifenc): a constant-rate decode would repeat some
  const solid = COLOURS.slice(0, 4).map((rgb) => {
    const rgba = new Uint8Array(8 * 8 * 4);
    for (let p = 0; p < 64; p++) rgba.set([...rgb, 255], p * 4);
    return rgba;
  });
  fs.writeFileSync(path.join(dir, 'uneven.gif'), encodeGif(solid, 8, 8, [100, 500, 100, 300]));
  if (!hasFfmpeg) return;
  encodeVideo(path.join(dir, 'six.gif'), 8, 8, []);
  encodeVideo(path.join(dir, 'six.mp4'), 16, 16, ['-c:v', 'libx264', '-pix_fmt', 'yuv444p', '-crf', '0']);
});

describe('readPromptClip: pictures', () => {
  it("a PNG at the run's size: every pixel exactly, in [-1, 1] and in a configured range", async () => {
    const c = await readPromptClip(path.join(dir, 'grad.png'), run);
    expect(c.shape).toEqual([1, 8, 8, 3]);
    expect(c.resized).toBe(false);
    expect(c.source).toEqual({ width: 8, height: 8, frames: 1, kind: 'image' });
    for (let y = 0; y < 8; y++)
      for (let x = 0; x < 8; x++) {
        const at = (y * 8 + x) * 3;
        expect([c.data[at], c.data[at + 1], c.data[at + 2]]).toEqual(
          [x * 32, y * 32, 255 - x * 16].map((v) => Math.fround(toUnit(v))),
        );
      }
    const unit = await readPromptClip(path.join(dir, 'grad.png'), {
      ...run,
      normalize: { kind: 'range', low: 0, high: 1 },
    });
    expect(unit.data[(5 * 8 + 3) * 3 + 1]).toBeCloseTo(160 / 255, 6);
  });

  it('a PNG of another size is scaled to cover and centre-cropped (not stretched), and says so', async () => {
    const c = await readPromptClip(path.join(dir, 'wide.png'), run);
    expect(c.resized).toBe(true);
    expect(c.source).toMatchObject({ width: 32, height: 16 });
    // the centred 16x16 box of 32x16 is x in [8, 24): all blue; a stretch would keep the red quarter
    expect(frameError(c, 0, [0, 0, 255])).toBeLessThan(1e-6);
  });

  it('a 1-channel run gets the BT.601 luma of the picture', async () => {
    const c = await readPromptClip(path.join(dir, 'wide.png'), { ...run, channels: 1, height: 4, width: 16 });
    expect(c.shape).toEqual([1, 4, 16, 1]);
    // 32x16 -> 16x4: scaled to 16x8 to cover, rows cropped; x < 4 red, x >= 4 blue
    expect(c.data[0]).toBeCloseTo(toUnit(0.299 * 255), 5);
    expect(c.data[15]).toBeCloseTo(toUnit(0.114 * 255), 5);
  });

  it('errors name the file: missing, a still for several frames, a channel count pictures cannot give', async () => {
    const fail = async (file: string, o: Partial<PromptClipOptions>, want: RegExp) => {
      const e = await readPromptClip(path.join(dir, file), { ...run, ...o }).catch((x: unknown) => x);
      expect(e).toBeInstanceOf(DataError);
      expect((e as DataError).message).toMatch(want);
      expect((e as DataError).file).toBe(path.join(dir, file));
    };
    await fail('absent.png', {}, /absent\.png: no such file/);
    await fail('grad.png', { frames: 3 }, /grad\.png: is a still image \(1 frame\); 3 are needed/);
    await fail(
      'grad.png',
      { channels: 4 },
      /grad\.png: the run has 4 channels; pictures and videos give RGB/,
    );
  });

  it('an unreadable file is an error naming it', async (ctx) => {
    needFfmpeg(ctx);
    const e = await readPromptClip(path.join(dir, 'noise.gif'), run).catch((x: unknown) => x);
    expect(e).toBeInstanceOf(DataError);
    expect((e as Error).message).toMatch(/noise\.gif: not a picture or video ffmpeg can read/);
  });
});

describe('readPromptClip: GIF and MP4 through ffmpeg', () => {
  it('a GIF: the first or the last frames, in order', async (ctx) => {
    needFfmpeg(ctx);
    const file = path.join(dir, 'six.gif');
    const first = await readPromptClip(file, { ...run, frames: 2, from: 'start' });
    expect(first.shape).toEqual([2, 8, 8, 3]);
    expect(first.source).toEqual({ width: 8, height: 8, frames: 2, kind: 'video' });
    expect(first.resized).toBe(false);
    const last = await readPromptClip(file, { ...run, frames: 3, from: 'end' });
    expect(last.source.frames).toBe(6);
    // GIF stores a palette: pure colours come back within a few levels
    [0, 1].forEach((t) => expect(frameError(first, t, COLOURS[t]!)).toBeLessThan(0.05));
    [0, 1, 2].forEach((t) => expect(frameError(last, t, COLOURS[3 + t]!)).toBeLessThan(0.05));
  });

  it('a GIF whose frames show for different times: each stored frame once', async (ctx) => {
    needFfmpeg(ctx);
    const c = await readPromptClip(path.join(dir, 'uneven.gif'), { ...run, frames: 4, from: 'end' });
    expect(c.source.frames).toBe(4);
    [0, 1, 2, 3].forEach((t) => expect(frameError(c, t, COLOURS[t]!)).toBeLessThan(0.05));
  });

  it('an MP4 of another size is resized (and said to be); its frames keep colour and order, RGB or luma', async (ctx) => {
    needFfmpeg(ctx);
    const file = path.join(dir, 'six.mp4');
    const c = await readPromptClip(file, { ...run, frames: 6, from: 'end' });
    expect(c.shape).toEqual([6, 8, 8, 3]);
    expect(c.resized).toBe(true);
    expect(c.source).toEqual({ width: 16, height: 16, frames: 6, kind: 'video' });
    COLOURS.forEach((rgb, t) => expect(frameError(c, t, rgb)).toBeLessThan(0.05));
    const grey = await readPromptClip(file, { ...run, channels: 1, frames: 6, from: 'start' });
    expect(grey.shape).toEqual([6, 8, 8, 1]);
    COLOURS.forEach((rgb, t) => expect(frameError(grey, t, rgb)).toBeLessThan(0.05));
  });

  it('a video shorter than asked is an error naming the file and both counts', async (ctx) => {
    needFfmpeg(ctx);
    for (const from of ['start', 'end'] as const) {
      const e = await readPromptClip(path.join(dir, 'six.mp4'), { ...run, frames: 8, from }).catch(
        (x: unknown) => x,
      );
      expect(e).toBeInstanceOf(DataError);
      expect((e as Error).message).toMatch(/six\.mp4: has 6 frames; 8 are needed/);
    }
  });
});
