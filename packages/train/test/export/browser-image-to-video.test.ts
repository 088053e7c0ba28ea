/**
 * Image-to-video in examples/browser-sampler, in headless Chromium: for an export of a tiny video DiT trained with
 * frame conditioning the page offers a first-frame upload; an uploaded 16x16 PNG is the clip's first tubelet exactly,
 * and the whole clip equals the Node sampler's (`sampleClips` with the same given frames, what `vtx sample --image`
 * runs) for the same seed, class, steps and guidance, on wasm.
 */
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as tf from '@tensorflow/tfjs-core';
import { sampleClips } from '@vtx/models';
import { PNG } from 'pngjs';
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
const dir = mkdtempSync(join(tmpdir(), 'vtx-browser-i2v-'));
const [T, H, W] = [6, 16, 16];
let fx: FrameSampler | undefined;

/** A 16x16 RGB picture, every pixel different, as PNG bytes, and its pixels in [-1, 1]. */
function picture(): { png: Buffer; values: Float32Array } {
  const png = new PNG({ width: W, height: H });
  const values = new Float32Array(H * W * 3);
  for (let i = 0; i < H * W; i++) {
    const rgb = [(i * 37) % 256, (i * 11 + 80) % 256, 255 - ((i * 5) % 256)];
    rgb.forEach((v, c) => {
      png.data[4 * i + c] = v;
      values[3 * i + c] = (v / 255) * 2 - 1;
    });
    png.data[4 * i + 3] = 255;
  }
  return { png: PNG.sync.write(png), values };
}

describe.skipIf(!chrome.path)(`browser sampler image-to-video (${chrome.reason || chrome.path})`, () => {
  beforeAll(async () => {
    fx = await frameConditionedSampler(dir, [T, H, W], chrome.path!);
  }, 600_000);
  afterAll(() => fx?.close());

  it("an uploaded picture is the first tubelet exactly, and the clip is the Node sampler's", async () => {
    const { png, values } = picture();
    writeFileSync(join(dir, 'first.png'), png);
    const page = await fx!.browser.newPage();
    const errors = await openSampler(page, fx!.url, 'wasm');
    expect((await samplerState(page)).modes).toContain('image');
    expect(await page.locator('#mode-field').isVisible()).toBe(true);
    await page.selectOption('#mode', 'image');
    expect(await page.locator('#image-field').isVisible()).toBe(true);

    await page.setInputFiles('#image', join(dir, 'first.png'));
    expect(await untilSampler(page, 'uploads.image', 30_000)).toBeNull();
    expect((await samplerState(page)).uploads['image']).toEqual({
      files: ['first.png'],
      frames: 1,
      width: W,
      height: H,
    });
    await page.selectOption('#class', '1');
    await page.fill('#steps', 'ddim4');
    await page.fill('#guidance', '2');
    await page.fill('#seed', '5');
    await page.click('#sample');
    expect(await untilSampler(page, 'last')).toBeNull();
    expect(errors).toEqual([]);
    const got = (await samplerState(page)).last!;
    expect(got.shape).toEqual([T, H, W, 3]);

    // the first tubelet (2 frames) is the picture, to float precision
    const frame = H * W * 3;
    for (const f of [0, 1])
      for (let i = 0; i < frame; i++)
        expect(Math.abs(got.data[f * frame + i]! - values[i]!)).toBeLessThan(1e-6);

    // the Node sampler with the same first frame, mask, class, steps, guidance and seed
    const ref = await loadRun(fx!.run);
    const clip = new Float32Array(T * frame);
    clip.set(values, 0);
    clip.set(values, frame);
    const given = tf.tensor(clip, [1, T, H, W, 3]);
    const x = await sampleClips(ref.model, ref.process!, ref.condition!, {
      count: 1,
      clip: ref.clip,
      classes: [1],
      steps: 'ddim4',
      cfgScale: 2,
      seed: 5,
      given: { clip: given, frames: [true, true, false, false, false, false] },
    });
    const want = Array.from(await x.data());
    tf.dispose([x, given]);
    ref.model.dispose();
    let maxDiff = 0;
    for (let i = 0; i < want.length; i++) maxDiff = Math.max(maxDiff, Math.abs(got.data[i]! - want[i]!));
    expect(maxDiff).toBeLessThan(1e-3);
    const generated = want.slice(2 * frame);
    expect(Math.max(...generated) - Math.min(...generated)).toBeGreaterThan(0.1); // not a constant clip
    await page.close();
  });
});
