import * as tf from '@tensorflow/tfjs-core';
import * as tfl from '@tensorflow/tfjs-layers';
import { describe, expect, it } from 'vitest';
import { PatchEmbed, Unpatchify, inflatePatchKernel, setSeed, sym, type Patch3 } from '@vtx/core';
import { gradCheck, layerVars, maxAbsDiff, projectLoss, randn, randomizeWeights, run } from '../helpers.js';

function embed(patch: Patch3, width: number, x: tf.Tensor, seed = 30): PatchEmbed {
  setSeed(seed);
  const layer = new PatchEmbed({ patch, width });
  run(layer, x);
  randomizeWeights(layer, seed);
  return layer;
}

const cases: { clip: number[]; patch: Patch3; grid: number[] }[] = [
  { clip: [2, 4, 8, 8, 3], patch: [2, 4, 4], grid: [2, 2, 2] },
  { clip: [1, 1, 8, 4, 3], patch: [1, 4, 4], grid: [1, 2, 1] }, // T = 1, non-square: an image
  { clip: [1, 6, 4, 12, 2], patch: [3, 2, 4], grid: [2, 2, 3] },
  { clip: [2, 3, 6, 6, 1], patch: [1, 3, 2], grid: [3, 2, 3] }, // uniform frame sampling
];

describe('PatchEmbed', () => {
  it.each(cases)('clip $clip, patch $patch -> grid $grid', ({ clip, patch, grid }) => {
    const x = randn(clip, 1);
    const layer = embed(patch, 8, x);
    expect(run(layer, x).shape).toEqual([clip[0], ...grid, 8]);
    expect(layer.getWeights()[0]!.shape).toEqual([patch[0] * patch[1] * patch[2] * clip[4]!, 8]);
  });

  it.each(cases)(
    'equals Conv3D with stride = kernel = patch (clip $clip, patch $patch)',
    ({ clip, patch }) => {
      const x = randn(clip, 2);
      const layer = embed(patch, 5, x);
      const [kernel, bias] = layer.getWeights();
      // the kernel's rows are ordered (pt, ph, pw, C): a Conv3D filter (pt, ph, pw, C, D) as is
      const filter = kernel!.reshape<tf.Tensor5D>([...patch, clip[4]!, 5]);
      const conv = tf.add(tf.conv3d(x as tf.Tensor5D, filter, patch, 'valid'), bias!);
      expect(maxAbsDiff(run(layer, x), conv)).toBeLessThan(1e-5);
    },
  );

  it('accepts any clip divisible by the patch at run time in one functional model', () => {
    const inp = tfl.input({ shape: [null, null, null, 3] });
    const out = sym(new PatchEmbed({ patch: [2, 2, 2], width: 4 }), inp);
    expect(out.shape).toEqual([null, null, null, null, 4]);
    const model = tfl.model({ inputs: inp, outputs: out });
    expect((model.predict(tf.zeros([1, 2, 4, 6, 3])) as tf.Tensor).shape).toEqual([1, 1, 2, 3, 4]);
    expect((model.predict(tf.zeros([2, 6, 2, 2, 3])) as tf.Tensor).shape).toEqual([2, 3, 1, 1, 4]);
    expect(() => model.predict(tf.zeros([1, 3, 4, 4, 3]))).toThrow(
      'clip 3x4x4 is not divisible by patch 2x2x2',
    );
  });

  it('analytic gradients match central differences', () => {
    const x0 = randn([1, 2, 4, 2, 2], 3);
    const layer = embed([2, 2, 1], 3, x0);
    const x = tf.variable(x0, true, 'pe_x');
    const r = gradCheck(() => projectLoss(run(layer, x)), [x, ...layerVars(layer)]);
    expect(r.worst, r.where).toBeLessThanOrEqual(1);
  });
});

describe('tubelet initialisation from an image patch embedding (ViViT §3.4)', () => {
  const image = randn([1, 1, 4, 4, 3], 4); // one frame
  const imageEmbed = embed([1, 2, 2], 6, image, 31);
  const [imageKernel, imageBias] = imageEmbed.getWeights() as [tf.Tensor, tf.Tensor];

  it('inflate: a static clip embeds exactly like its frame does as an image', () => {
    const tubelet = embed([4, 2, 2], 6, tf.zeros([1, 4, 4, 4, 3]), 32);
    tubelet.initFromImage(imageKernel, imageBias, 'inflate');
    const still = tf.tile(image, [1, 8, 1, 1, 1]); // 8 identical frames -> T' = 2
    const y = run(tubelet, still); // (1, 2, 2, 2, 6)
    const ref = run(imageEmbed, image); // (1, 1, 2, 2, 6)
    expect(maxAbsDiff(y.slice([0, 0], [1, 1]), ref)).toBeLessThan(1e-5);
    expect(maxAbsDiff(y.slice([0, 1], [1, 1]), ref)).toBeLessThan(1e-5);
  });

  it('central: only the central frame of each tubelet matters, and it embeds like the image', () => {
    const tubelet = embed([3, 2, 2], 6, tf.zeros([1, 3, 4, 4, 3]), 33);
    tubelet.initFromImage(imageKernel, imageBias, 'central');
    const clip = tf.concat([randn([1, 1, 4, 4, 3], 5), image, randn([1, 1, 4, 4, 3], 6)], 1); // centre = frame 1
    expect(maxAbsDiff(run(tubelet, clip), run(imageEmbed, image))).toBeLessThan(1e-5);
  });

  it('random keeps the tubelet kernel and copies the bias; pt = 1 uses the image kernel as is', () => {
    const tubelet = embed([2, 2, 2], 6, tf.zeros([1, 2, 4, 4, 3]), 34);
    const before = tubelet.getWeights()[0]!.clone();
    tubelet.initFromImage(imageKernel, imageBias, 'random');
    expect(maxAbsDiff(tubelet.getWeights()[0]!, before)).toBe(0);
    expect(maxAbsDiff(tubelet.getWeights()[1]!, imageBias)).toBe(0);
    const frames = embed([1, 2, 2], 6, tf.zeros([1, 2, 4, 4, 3]), 35);
    frames.initFromImage(imageKernel, imageBias, 'inflate');
    expect(maxAbsDiff(frames.getWeights()[0]!, imageKernel)).toBe(0);
  });

  it('inflatePatchKernel lays out frames along the (pt, ph, pw, C) rows', () => {
    const k = Float32Array.from([1, 2, 3, 4]);
    expect(Array.from(inflatePatchKernel(k, 2, 'inflate'))).toEqual([0.5, 1, 1.5, 2, 0.5, 1, 1.5, 2]);
    expect(Array.from(inflatePatchKernel(k, 3, 'central'))).toEqual([0, 0, 0, 0, 1, 2, 3, 4, 0, 0, 0, 0]);
    expect(Array.from(inflatePatchKernel(k, 2, 'central'))).toEqual([0, 0, 0, 0, 1, 2, 3, 4]);
    expect(() => inflatePatchKernel(k, 2, 'random')).toThrow('needs a kernel of the tubelet size');
  });

  it('leaves no tensors behind', () => {
    const tubelet = embed([2, 2, 2], 6, tf.zeros([1, 2, 4, 4, 3]), 37);
    const before = tf.memory().numTensors;
    tubelet.initFromImage(imageKernel, imageBias, 'central');
    expect(tf.memory().numTensors).toBe(before);
  });

  it('rejects an image kernel of the wrong size', () => {
    const tubelet = embed([2, 4, 4], 6, tf.zeros([1, 2, 4, 4, 3]), 36);
    expect(() => tubelet.initFromImage(imageKernel, imageBias, 'inflate')).toThrow(
      'does not fit tubelet kernel',
    );
  });
});

describe('Unpatchify', () => {
  it('inverts the patchify of PatchEmbed and resolves symbolic shapes', () => {
    const x = randn([2, 4, 6, 4, 3], 7);
    const layer = new Unpatchify({ patch: [2, 3, 2], channels: 3 });
    const tokens = tf.tidy(() => {
      const pe = new PatchEmbed({ patch: [2, 3, 2], width: 36 });
      run(pe, x);
      pe.setWeights([tf.eye(36), tf.zeros([36])]); // identity projection: the raw patches
      return run(pe, x);
    });
    expect(Array.from(run(layer, tokens).dataSync())).toEqual(Array.from(x.dataSync()));
    expect(layer.computeOutputShape([null, 2, null, 3, 36])).toEqual([null, 4, null, 6, 3]);
  });
});
