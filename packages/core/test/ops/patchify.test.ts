import * as tf from '@tensorflow/tfjs-core';
import { describe, expect, it } from 'vitest';
import { patchify, tokenGrid, unpatchify, type Patch3 } from '@vtx/core';
import { randn } from '../helpers.js';

/** Patch extraction written as loops: token (b, t', h', w') holds x[b, t'·pt + i, h'·ph + j, w'·pw + k, c] at ((i·ph + j)·pw + k)·C + c. */
function patchifyLoops(x: tf.Tensor, [pt, ph, pw]: Patch3): { shape: number[]; data: Float32Array } {
  const [b, t, h, w, c] = x.shape as [number, number, number, number, number];
  const xv = x.dataSync();
  const [gt, gh, gw, p] = [t / pt, h / ph, w / pw, pt * ph * pw * c];
  const out = new Float32Array(b * gt * gh * gw * p);
  for (let n = 0; n < b; n++)
    for (let tt = 0; tt < gt; tt++)
      for (let hh = 0; hh < gh; hh++)
        for (let ww = 0; ww < gw; ww++)
          for (let i = 0; i < pt; i++)
            for (let j = 0; j < ph; j++)
              for (let k = 0; k < pw; k++)
                for (let ch = 0; ch < c; ch++) {
                  const src = (((n * t + tt * pt + i) * h + hh * ph + j) * w + ww * pw + k) * c + ch;
                  const token = ((n * gt + tt) * gh + hh) * gw + ww;
                  out[token * p + ((i * ph + j) * pw + k) * c + ch] = xv[src]!;
                }
  return { shape: [b, gt, gh, gw, p], data: out };
}

const cases: { clip: [number, number, number, number, number]; patch: Patch3 }[] = [
  { clip: [2, 4, 8, 8, 3], patch: [2, 4, 4] },
  { clip: [1, 1, 6, 10, 2], patch: [1, 2, 2] }, // T = 1, non-square
  { clip: [2, 6, 4, 12, 1], patch: [3, 2, 4] },
  { clip: [1, 4, 6, 6, 3], patch: [1, 3, 3] }, // uniform frame sampling (pt = 1)
  { clip: [1, 2, 4, 4, 2], patch: [2, 4, 4] }, // one token
];

describe('patchify', () => {
  it.each(cases)('equals loop-based patch extraction for clip $clip, patch $patch', ({ clip, patch }) => {
    const x = randn(clip, 1);
    const y = patchify(x, patch);
    const ref = patchifyLoops(x, patch);
    expect(y.shape).toEqual(ref.shape);
    expect(Array.from(y.dataSync())).toEqual(Array.from(ref.data));
  });

  it.each(cases)('unpatchify(patchify(x)) = x exactly for clip $clip, patch $patch', ({ clip, patch }) => {
    const x = randn(clip, 2);
    const back = unpatchify(patchify(x, patch), patch, clip[4]);
    expect(back.shape).toEqual(clip);
    expect(Array.from(back.dataSync())).toEqual(Array.from(x.dataSync()));
  });

  it('patchify(unpatchify(y)) = y exactly', () => {
    const y = randn([2, 2, 3, 2, 2 * 2 * 3 * 3], 3);
    expect(Array.from(patchify(unpatchify(y, [2, 2, 3], 3), [2, 2, 3]).dataSync())).toEqual(
      Array.from(y.dataSync()),
    );
  });

  it('names the clip and patch when they do not divide', () => {
    expect(() => tokenGrid([7, 8, 8], [2, 4, 4])).toThrow('clip 7x8x8 is not divisible by patch 2x4x4');
    expect(() => patchify(tf.zeros([1, 4, 8, 6, 3]), [2, 4, 4])).toThrow(
      'clip 4x8x6 is not divisible by patch 2x4x4',
    );
    expect(() => unpatchify(tf.zeros([1, 1, 1, 1, 10]), [1, 2, 2], 3)).toThrow('token width 10 != 1·2·2·3');
  });
});
