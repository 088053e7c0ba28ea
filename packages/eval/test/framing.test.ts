/**
 * The framing measure against the generator's ground truth: real native-size clips (the subject never touches the
 * border) are all in frame; centre-cropping a landscape clip to a square cuts the subject off exactly when the
 * trajectory says its extent leaves the crop, and the pixel-only measure agrees on every clearly decided clip.
 */
import { MOTION_CLASSES, NativeShapesSpec, nativeShapesClip } from '@vtx/data';
import { describe, expect, it } from 'vitest';
import { clipFraming } from '../src/framing.js';

const toFloat = (u8: Uint8Array) => Float32Array.from(u8, (v) => v / 127.5 - 1);

describe('framing', () => {
  it('finds every native-size clip fully in frame', () => {
    const spec = NativeShapesSpec.parse({ kind: 'native-shapes', count: 60 });
    for (let i = 0; i < 60; i++) {
      const c = nativeShapesClip(spec, i);
      expect(clipFraming(toFloat(c.data), c.shape).inFrame, c.id).toBe(true);
    }
  });

  it('agrees with the trajectory on centre-cropped squares of landscape clips', () => {
    const spec = NativeShapesSpec.parse({ kind: 'native-shapes', count: 300, sizes: [[8, 16, 32]] });
    let decided = 0;
    let cut = 0;
    for (let i = 0; i < 300; i++) {
      const c = nativeShapesClip(spec, i);
      const [t, h, w] = c.shape;
      const x0 = (w - h) / 2; // the centred h x h crop spans columns [x0, x0 + h)
      const tr = (c.meta as { trajectory: { x0: number; x1: number; r: number } }).trajectory;
      // horizontal extent of the shape over the clip (frame centres at pixel centres: +-0.5)
      const lo = Math.min(tr.x0, tr.x1) - tr.r;
      const hi = Math.max(tr.x0, tr.x1) + tr.r;
      const margin = 1.5;
      const truth =
        lo >= x0 + margin && hi <= x0 + h - margin
          ? true
          : lo < x0 - margin || hi > x0 + h + margin
            ? false
            : null;
      if (truth === null) continue;
      const crop = new Uint8Array(t * h * h * 3);
      for (let f = 0; f < t; f++)
        for (let y = 0; y < h; y++)
          crop.set(
            c.data.subarray(((f * h + y) * w + x0) * 3, ((f * h + y) * w + x0 + h) * 3),
            (f * h + y) * h * 3,
          );
      expect(clipFraming(toFloat(crop), [t, h, h, 3]).inFrame, `${c.id} ${MOTION_CLASSES[c.label!]}`).toBe(
        truth,
      );
      decided++;
      if (!truth) cut++;
    }
    expect(decided).toBeGreaterThan(100);
    expect(cut).toBeGreaterThan(20); // cropping does cut subjects off
  });

  it('counts an empty frame (the subject vanished) as not in frame', () => {
    const blank = new Float32Array(2 * 8 * 8 * 3).fill(-0.8);
    expect(clipFraming(blank, [2, 8, 8, 3])).toEqual({ inFrame: false, touching: 0, empty: 2 });
  });
});
