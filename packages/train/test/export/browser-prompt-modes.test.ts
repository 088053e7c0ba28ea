/**
 * Extend (forward and backward, past the training length), connect and edit in examples/browser-sampler, in
 * headless Chromium, for an export of a tiny class-conditional video DiT trained with frame conditioning (clips of 6
 * frames, tubelets of 2: 2 frames given at an end). Uploads are animated GIFs (decoded by WebCodecs' ImageDecoder)
 * and sets of PNG frames (taken in name order: f2 before f10); each mode's clip equals the Node sampler's
 * (`extendClips` / `sampleClips`, what `vtx sample --extend/--connect/--edit` runs) for the same seed, class, steps
 * and guidance on wasm, and the given frames are in it unchanged. Wrong inputs show errors naming the file.
 */
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as tf from '@tensorflow/tfjs-core';
import { readPromptClip } from '@vtx/data';
import { encodeGif, encodePng } from '@vtx/media';
import { extendClips, frameMask, sampleClips } from '@vtx/models';
import type { Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadRun } from '../../src/load-run.js';
import { findChromium } from '../../../view/test/chromium.js';
import {
  frameConditionedSampler,
  openSampler,
  samplerState,
  untilSampler,
  type FrameSampler,
} from './sampler-site.js';

const chrome = findChromium();
const dir = mkdtempSync(join(tmpdir(), 'vtx-browser-modes-'));
const [T, H, W] = [6, 16, 16];
const FRAME = H * W * 3;
let fx: FrameSampler | undefined;

/**
 * `n` frames of a bouncing-shapes-like clip (a 4x4 square moving on a flat background, colours of clip `seed`):
 * RGBA bytes per frame, and the frames' values in [-1, 1]. Few flat colours, so a GIF holds them exactly.
 */
function frames(n: number, seed: number): { rgba: Uint8Array[]; values: Float32Array } {
  const bg = [(seed * 70 + 20) % 256, 40, 200 - seed * 30];
  const fg = [250, (seed * 90 + 100) % 256, 10 + seed * 40];
  const rgba: Uint8Array[] = [];
  const values = new Float32Array(n * FRAME);
  for (let f = 0; f < n; f++) {
    const px = new Uint8Array(H * W * 4);
    for (let y = 0; y < H; y++)
      for (let x = 0; x < W; x++) {
        const i = y * W + x;
        const inside = x >= 2 * f + seed && x < 2 * f + seed + 4 && y >= 3 + f && y < 7 + f;
        const rgb = inside ? fg : bg;
        rgb.forEach((v, c) => {
          px[4 * i + c] = v!;
          values[f * FRAME + 3 * i + c] = (v / 255) * 2 - 1;
        });
        px[4 * i + 3] = 255;
      }
    rgba.push(px);
  }
  return { rgba, values };
}

/** Write the frames as one animated GIF, or as PNGs named f<first+i>.png; the paths. */
function writeGif(name: string, rgba: Uint8Array[]): string[] {
  const path = join(dir, name);
  writeFileSync(path, encodeGif(rgba, W, H, 125));
  return [path];
}
function writePngs(tag: string, rgba: Uint8Array[], first: number): string[] {
  return rgba.map((px, i) => {
    const path = join(dir, `${tag}-f${first + i}.png`);
    writeFileSync(path, encodePng(px, W, H));
    return path;
  });
}

/** Set the page's class, steps, guidance and seed, sample, and return the clip (failing on a page error). */
async function sampleOnPage(
  page: Page,
  cls: number,
  seed: number,
): Promise<{ shape: number[]; data: number[] }> {
  await page.selectOption('#class', String(cls));
  await page.fill('#steps', 'ddim4');
  await page.fill('#guidance', '2');
  await page.fill('#seed', String(seed));
  await page.click('#sample');
  expect(await untilSampler(page, 'last')).toBeNull();
  return (await samplerState(page)).last!;
}

/** Upload `files` into the input `#id` and wait for the page to decode them; the page's error, or null. */
async function upload(page: Page, id: string, slot: string, files: string[]): Promise<string | null> {
  await page.setInputFiles(`#${id}`, files);
  return untilSampler(page, `uploads.${slot}`, 60_000);
}

const maxDiff = (a: ArrayLike<number>, b: ArrayLike<number>, from = 0, to = b.length) => {
  let m = 0;
  for (let i = from; i < to; i++) m = Math.max(m, Math.abs(a[i]! - b[i]!));
  return m;
};

/** The Node sampler's clip, as a flat array, for `fn` on the run's EMA weights. */
async function nodeClip(
  fn: (ref: Awaited<ReturnType<typeof loadRun>>) => Promise<tf.Tensor>,
): Promise<Float32Array> {
  const ref = await loadRun(fx!.run);
  try {
    const x = await fn(ref);
    const data = (await x.data()) as Float32Array;
    x.dispose();
    return data;
  } finally {
    ref.model.dispose();
  }
}

const tensorOf = (values: Float32Array) => tf.tensor(values, [1, values.length / FRAME, H, W, 3]);

describe.skipIf(!chrome.path)(
  `browser sampler: extend, connect, edit (${chrome.reason || chrome.path})`,
  () => {
    beforeAll(async () => {
      fx = await frameConditionedSampler(dir, [T, H, W], chrome.path!);
    }, 600_000);
    afterAll(() => fx?.close());

    it('extends an animated GIF forward past the clip, and PNG frames backward, as extendClips does', async () => {
      const page = await fx!.browser.newPage();
      const errors = await openSampler(page, fx!.url, 'wasm');
      expect((await samplerState(page)).modes).toEqual(['noise', 'image', 'extend', 'connect', 'edit']);
      await page.selectOption('#mode', 'extend');
      expect(await page.locator('#extend-field').isVisible()).toBe(true);
      expect(await page.locator('#connect-field').isHidden()).toBe(true);

      // forward: the GIF's last 2 frames start a 10-frame clip (windows of 6 slide twice)
      const fwd = frames(3, 0);
      expect(await upload(page, 'extend', 'extend', writeGif('fwd.gif', fwd.rgba))).toBeNull();
      expect((await samplerState(page)).uploads['extend']).toEqual({
        files: ['fwd.gif'],
        frames: 3,
        width: W,
        height: H,
      });
      await page.fill('#extend-frames', '10');
      const got = await sampleOnPage(page, 1, 5);
      expect(got.shape).toEqual([10, H, W, 3]);
      const kept = fwd.values.slice(FRAME); // frames 1 and 2
      expect(maxDiff(got.data, kept, 0, 2 * FRAME)).toBeLessThan(1e-6);
      const want = await nodeClip((ref) => {
        const video = tensorOf(kept);
        const opts = { count: 1, clip: ref.clip, classes: [1], steps: 'ddim4', cfgScale: 2, seed: 5 };
        return extendClips(ref.model, ref.process!, ref.condition!, { ...opts, video, frames: 10 }).finally(
          () => video.dispose(),
        );
      });
      expect(maxDiff(got.data, want)).toBeLessThan(1e-3);
      const generated = want.slice(2 * FRAME);
      expect(Math.max(...generated) - Math.min(...generated)).toBeGreaterThan(0.1); // not a constant clip

      // backward: the first 2 of the PNG frames f2, f3, f10 (name order, not text order) end an 8-frame clip
      const back = frames(3, 1);
      const files = [2, 3, 10].map((n, i) => {
        const path = join(dir, `back-f${n}.png`);
        writeFileSync(path, encodePng(back.rgba[i]!, W, H));
        return path;
      });
      expect(await upload(page, 'extend', 'extend', [files[2]!, files[0]!, files[1]!])).toBeNull();
      expect((await samplerState(page)).uploads['extend']!.files).toEqual([
        'back-f2.png',
        'back-f3.png',
        'back-f10.png',
      ]);
      await page.check('#backward');
      await page.fill('#extend-frames', '8');
      const gotBack = await sampleOnPage(page, 2, 9);
      expect(gotBack.shape).toEqual([8, H, W, 3]);
      const keptBack = back.values.slice(0, 2 * FRAME);
      expect(maxDiff(gotBack.data.slice(6 * FRAME), keptBack)).toBeLessThan(1e-6);
      const wantBack = await nodeClip((ref) => {
        const video = tensorOf(keptBack);
        const opts = { count: 1, clip: ref.clip, classes: [2], steps: 'ddim4', cfgScale: 2, seed: 9 };
        return extendClips(ref.model, ref.process!, ref.condition!, {
          ...opts,
          video,
          frames: 8,
          backward: true,
        }).finally(() => video.dispose());
      });
      expect(maxDiff(gotBack.data, wantBack)).toBeLessThan(1e-3);
      expect(errors).toEqual([]);
      await page.close();
    });

    it("connects A's last frames to B's first, as sampleClips with both ends given does", async () => {
      const page = await fx!.browser.newPage();
      const errors = await openSampler(page, fx!.url, 'wasm');
      await page.selectOption('#mode', 'connect');
      const a = frames(3, 2);
      const b = frames(2, 3);
      expect(await upload(page, 'connect-a', 'a', writeGif('a.gif', a.rgba))).toBeNull();
      expect(await upload(page, 'connect-b', 'b', writePngs('b', b.rgba, 0))).toBeNull();
      const got = await sampleOnPage(page, 3, 11);
      expect(got.shape).toEqual([T, H, W, 3]);
      const given = new Float32Array(T * FRAME);
      given.set(a.values.slice(FRAME), 0); // A's frames 1, 2
      given.set(b.values, 4 * FRAME); // B's frames 0, 1
      expect(maxDiff(got.data, given, 0, 2 * FRAME)).toBeLessThan(1e-6);
      expect(maxDiff(got.data, given, 4 * FRAME)).toBeLessThan(1e-6);
      const want = await nodeClip((ref) => {
        const clip = tensorOf(given);
        return sampleClips(ref.model, ref.process!, ref.condition!, {
          ...{ count: 1, clip: ref.clip, classes: [3], steps: 'ddim4', cfgScale: 2, seed: 11 },
          given: { clip, frames: frameMask('both', T, 2) },
        }).finally(() => clip.dispose());
      });
      expect(maxDiff(got.data, want)).toBeLessThan(1e-3);
      const middle = want.slice(2 * FRAME, 4 * FRAME);
      expect(maxDiff(middle, given.slice(2 * FRAME, 4 * FRAME))).toBeGreaterThan(0.1); // generated, not the zeros

      // too few frames in B: an error naming the file, and no clip
      const one = writePngs('short', [b.rgba[0]!], 0);
      expect(await upload(page, 'connect-b', 'b', one)).toBeNull();
      await page.click('#sample');
      expect(await untilSampler(page, 'last')).toBe(
        'error: connect B: short-f0.png has 1 frame; 2 are needed',
      );
      expect(errors).toEqual([]);
      await page.close();
    });

    it('edits an uploaded clip (SDEdit) as sampleClips does: strength 0.5 under a new class, and 0 keeps it', async () => {
      const page = await fx!.browser.newPage();
      const errors = await openSampler(page, fx!.url, 'wasm');
      await page.selectOption('#mode', 'edit');
      const input = frames(T, 1);
      expect(await upload(page, 'edit', 'edit', writeGif('edit.gif', input.rgba))).toBeNull();
      await page.locator('#strength').fill('0.5');
      expect(await page.locator('#strength-value').textContent()).toBe('0.50');
      const got = await sampleOnPage(page, 0, 3);
      expect(got.shape).toEqual([T, H, W, 3]);
      const want = await nodeClip((ref) => {
        const clip = tensorOf(input.values);
        return sampleClips(ref.model, ref.process!, ref.condition!, {
          ...{ count: 1, clip: ref.clip, classes: [0], steps: 'ddim4', cfgScale: 2, seed: 3 },
          edit: { clip, strength: 0.5 },
        }).finally(() => clip.dispose());
      });
      expect(maxDiff(got.data, want)).toBeLessThan(1e-3);
      expect(maxDiff(want, input.values)).toBeGreaterThan(0.1); // edited, not the input

      await page.locator('#strength').fill('0');
      const kept = await sampleOnPage(page, 0, 3);
      expect(maxDiff(kept.data, input.values)).toBeLessThan(1e-6);
      expect(errors).toEqual([]);
      await page.close();
    });

    it('names the file it cannot read and frames of different sizes; resizes a picture as vtx sample does', async () => {
      const page = await fx!.browser.newPage();
      await openSampler(page, fx!.url, 'wasm');
      await page.selectOption('#mode', 'edit');
      const bad = join(dir, 'bad.gif');
      writeFileSync(bad, 'GIF89a but not really');
      expect(await upload(page, 'edit', 'edit', [bad])).toMatch(
        /^error: edit: bad\.gif: not a picture or GIF this browser can decode \(/,
      );
      const big = join(dir, 'big.png');
      const [bw, bh] = [33, 17]; // scaled by 16/17 and cropped across
      const px = new Uint8Array(bw * bh * 4);
      for (let y = 0; y < bh; y++)
        for (let x = 0; x < bw; x++)
          px.set(
            [Math.round((x * 255) / (bw - 1)), Math.round((y * 255) / (bh - 1)), 4 * (x + y), 255],
            4 * (y * bw + x),
          );
      writeFileSync(big, encodePng(px, bw, bh));
      const small = writePngs('small', frames(1, 0).rgba, 0);
      expect(await upload(page, 'edit', 'edit', [big, small[0]!])).toBe(
        'error: edit: small-f0.png is 16x16 but big.png is 33x17: the frames of one clip must have one size',
      );

      // a picture of another size: a notice, and the first tubelet is what vtx sample reads from it (@vtx/data's
      // readPromptClip, bilinear after the same centred crop) to within 1/255 (the canvas rounds its own way)
      await page.selectOption('#mode', 'image');
      expect(await upload(page, 'image', 'image', [big])).toBeNull();
      expect(await page.locator('#status').textContent()).toBe(
        'first frame: big.png, 1 frame (33x17 scaled to cover 16x16, centre-cropped)',
      );
      const got = await sampleOnPage(page, 0, 1);
      const node = await readPromptClip(big, { height: H, width: W, channels: 3, frames: 1, from: 'start' });
      expect(node.resized).toBe(true);
      for (const f of [0, 1])
        expect(maxDiff(got.data.slice(f * FRAME), node.data)).toBeLessThanOrEqual(2 / 255 + 1e-6);
      await page.close();
    });
  },
);
