// Each transform's defining property, checked against closed forms or independent loops.
import { describe, expect, it } from 'vitest';

import {
  applyClip,
  cropBox,
  normalization,
  Rng,
  sampleClip,
  temporalIndices,
  TransformConfig,
  type ClipShape,
} from '../src/index.js';

/** A (T, H, W, C) uint8 clip with value (t*17 + y*5 + x*3 + c*11) mod 256. */
function ramp([t, h, w, c]: ClipShape): Uint8Array {
  const out = new Uint8Array(t * h * w * c);
  for (let f = 0; f < t; f++)
    for (let y = 0; y < h; y++)
      for (let x = 0; x < w; x++)
        for (let k = 0; k < c; k++)
          out[((f * h + y) * w + x) * c + k] = (f * 17 + y * 5 + x * 3 + k * 11) % 256;
  return out;
}

const none = normalization({ kind: 'none' }, 'uint8', 3);

function run(
  src: Uint8Array,
  shape: ClipShape,
  frames: number[],
  box = { y: 0, x: 0, h: shape[1], w: shape[2] },
  out = { height: shape[1], width: shape[2] },
  flip = false,
  patch: [number, number, number] | null = null,
): Float32Array {
  const dst = new Float32Array(frames.length * out.height * out.width * shape[3]);
  applyClip(src, shape, { frames, box, flip }, out, none, patch, dst, 0);
  return dst;
}

describe('temporal sampling', () => {
  it('takes `frames` indices at a uniform stride inside the clip, every offset reachable', () => {
    const rng = new Rng(1);
    const starts = new Set<number>();
    for (let i = 0; i < 200; i++) {
      const idx = temporalIndices(20, 4, 3, 'random', rng);
      expect(idx.slice(1).map((v, k) => v - idx[k]!)).toEqual([3, 3, 3]);
      expect(idx[0]).toBeGreaterThanOrEqual(0);
      expect(idx[3]).toBeLessThanOrEqual(19);
      starts.add(idx[0]!);
    }
    expect([...starts].sort((a, b) => a - b)).toEqual([0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10]); // span 10 -> 20 - 10 + 1 offsets
    expect(temporalIndices(20, 4, 3, 'center', rng)).toEqual([5, 8, 11, 14]);
    expect(temporalIndices(20, 4, 3, 'start', rng)).toEqual([0, 3, 6, 9]);
    expect(() => temporalIndices(5, 4, 2, 'start', rng)).toThrow('shorter');
  });

  it('without a frame count, keeps every strided frame, trimmed to the tubelet', () => {
    const tf = TransformConfig.parse({ stride: 2, tubelet: 4, offset: 'start' });
    const s = sampleClip(tf, [19, 8, 8, 3], { frames: 8, height: 8, width: 8, crop: null }, new Rng(0));
    expect(s.frames).toEqual([0, 2, 4, 6, 8, 10, 12, 14]); // 10 strided frames -> 8 (a multiple of 4)
  });
});

describe('random resized crop', () => {
  it('boxes lie inside the frame with area fraction in `scale` and aspect in `ratio`', () => {
    const crop = {
      kind: 'random-resized' as const,
      height: 16,
      width: 16,
      scale: [0.3, 0.8] as [number, number],
      ratio: [0.75, 4 / 3] as [number, number],
    };
    const rng = new Rng(7);
    const xs = new Set<number>();
    for (let i = 0; i < 300; i++) {
      const b = cropBox(crop, 60, 80, crop, rng);
      expect(b.y).toBeGreaterThanOrEqual(0);
      expect(b.x).toBeGreaterThanOrEqual(0);
      expect(b.y + b.h).toBeLessThanOrEqual(60);
      expect(b.x + b.w).toBeLessThanOrEqual(80);
      // Rounding each side to whole pixels moves area and aspect by at most about one pixel's worth.
      expect((b.h * b.w) / 4800).toBeGreaterThan(0.3 * 0.93);
      expect((b.h * b.w) / 4800).toBeLessThan(0.8 * 1.07);
      expect(b.w / b.h).toBeGreaterThan(0.75 * 0.93);
      expect(b.w / b.h).toBeLessThan((4 / 3) * 1.07);
      xs.add(b.x);
    }
    expect(xs.size).toBeGreaterThan(10);
  });

  it('centre crop keeps the target aspect, centred', () => {
    expect(
      cropBox({ kind: 'center', height: 16, width: 16 }, 60, 80, { height: 16, width: 16 }, new Rng(0)),
    ).toEqual({ y: 0, x: 10, h: 60, w: 60 });
  });
});

describe('resampling, flip, patchify', () => {
  const shape: ClipShape = [3, 6, 8, 3];
  const src = ramp(shape);

  it('full box at the same size is the identity (exact)', () => {
    expect(Array.from(run(src, shape, [0, 1, 2]))).toEqual(Array.from(src));
  });

  it('selects the sampled frames', () => {
    const out = run(src, shape, [2, 0]);
    const hwc = 6 * 8 * 3;
    expect(Array.from(out.subarray(0, hwc))).toEqual(Array.from(src.subarray(2 * hwc, 3 * hwc)));
    expect(Array.from(out.subarray(hwc))).toEqual(Array.from(src.subarray(0, hwc)));
  });

  it('a crop box at the same size copies the box', () => {
    const out = run(src, shape, [1], { y: 2, x: 3, h: 4, w: 5 }, { height: 4, width: 5 });
    for (let y = 0; y < 4; y++)
      for (let x = 0; x < 5; x++)
        for (let c = 0; c < 3; c++)
          expect(out[(y * 5 + x) * 3 + c]).toBe(src[((1 * 6 + y + 2) * 8 + x + 3) * 3 + c]);
  });

  it('halving the size averages 2x2 blocks (bilinear at half-pixel centres)', () => {
    const out = run(src, shape, [0], undefined, { height: 3, width: 4 });
    for (let y = 0; y < 3; y++)
      for (let x = 0; x < 4; x++)
        for (let c = 0; c < 3; c++) {
          const at = (yy: number, xx: number) => src[(yy * 8 + xx) * 3 + c]!;
          const mean =
            (at(2 * y, 2 * x) + at(2 * y, 2 * x + 1) + at(2 * y + 1, 2 * x) + at(2 * y + 1, 2 * x + 1)) / 4;
          expect(out[(y * 4 + x) * 3 + c]).toBeCloseTo(mean, 4);
        }
  });

  it('horizontal flip mirrors every frame', () => {
    const a = run(src, shape, [0, 1, 2]);
    const b = run(src, shape, [0, 1, 2], undefined, undefined, true);
    for (let f = 0; f < 3; f++)
      for (let y = 0; y < 6; y++)
        for (let x = 0; x < 8; x++)
          for (let c = 0; c < 3; c++)
            expect(b[((f * 6 + y) * 8 + x) * 3 + c]).toBe(a[((f * 6 + y) * 8 + (7 - x)) * 3 + c]);
  });

  it('patchify matches a loop over (T/pt, H/ph, W/pw, pt, ph, pw, C)', () => {
    const s: ClipShape = [4, 6, 8, 3];
    const x = ramp(s);
    const [pt, ph, pw] = [2, 3, 4];
    const out = run(x, s, [0, 1, 2, 3], undefined, undefined, false, [pt, ph, pw]);
    const [gt, gh, gw, p] = [2, 2, 2, pt * ph * pw * 3];
    for (let i = 0; i < gt; i++)
      for (let j = 0; j < gh; j++)
        for (let k = 0; k < gw; k++)
          for (let a = 0; a < pt; a++)
            for (let b = 0; b < ph; b++)
              for (let q = 0; q < pw; q++)
                for (let c = 0; c < 3; c++) {
                  const tok = (i * gh + j) * gw + k;
                  const inner = ((a * ph + b) * pw + q) * 3 + c;
                  expect(out[tok * p + inner]).toBe(
                    x[(((i * pt + a) * 6 + j * ph + b) * 8 + k * pw + q) * 3 + c],
                  );
                }
  });
});

describe('normalisation', () => {
  it("'range' maps 0 -> low and 255 -> high linearly; default [-1, 1]", () => {
    const src = Uint8Array.from([0, 255, 51, 0, 255, 51]);
    const shape: ClipShape = [1, 1, 2, 3];
    const dst = new Float32Array(6);
    applyClip(
      src,
      shape,
      { frames: [0], box: { y: 0, x: 0, h: 1, w: 2 }, flip: false },
      { height: 1, width: 2 },
      normalization(undefined, 'uint8', 3),
      null,
      dst,
      0,
    );
    expect([dst[0], dst[1], dst[3], dst[4]]).toEqual([-1, 1, -1, 1]);
    expect(dst[2]).toBeCloseTo(51 / 127.5 - 1, 6);
    applyClip(
      src,
      shape,
      { frames: [0], box: { y: 0, x: 0, h: 1, w: 2 }, flip: false },
      { height: 1, width: 2 },
      normalization({ kind: 'range', low: 0, high: 1 }, 'uint8', 3),
      null,
      dst,
      0,
    );
    expect(dst[0]).toBe(0);
    expect(dst[1]).toBe(1);
    expect(dst[2]).toBeCloseTo(0.2, 6);
  });

  it("'meanStd' is (v/255 - mean[c]) / std[c]; float32 latents pass through by default", () => {
    const n = normalization({ kind: 'meanStd', mean: [0.5, 0.25], std: [0.5, 0.25] }, 'uint8', 2);
    expect(255 * n.scale[0]! + n.bias[0]!).toBeCloseTo(1, 6);
    expect(0 * n.scale[1]! + n.bias[1]!).toBeCloseTo(-1, 6);
    const id = normalization(undefined, 'float32', 4);
    expect([...id.scale, ...id.bias]).toEqual([1, 1, 1, 1, 0, 0, 0, 0]);
    expect(() => normalization({ kind: 'range', low: -1, high: 1 }, 'float32', 4)).toThrow('float32 latents');
  });
});
