/**
 * Guidance in a limited interval of noise levels (`diffusion.guidanceInterval`, Kynkäänniemi et al. 2024): per row,
 * the guided output u + s (c - u) where the row's t / T lies in [lo, hi] and the conditional output c elsewhere,
 * against a stub model with known outputs; through both processes' samplers, an interval covering [0, 1] gives the
 * samples of guidance at every step exactly, one where no step falls gives the unguided (conditional) samples
 * exactly, and one in between equals a reference that guides step by step from the sampler's t; the same through
 * `sampleClips` on a tiny video DiT with the interval from the config, and the config's and `withSampling`'s refusals.
 */
import * as tf from '@tensorflow/tfjs-core';
import type * as tfl from '@tensorflow/tfjs-layers';
import { setSeed } from '@vtx/core';
import { afterEach, describe, expect, it } from 'vitest';

import {
  DiffusionConfig,
  classifierFreeGuidance,
  generate,
  makeProcess,
  rowsInInterval,
  type DenoiseFn,
  type NoiseProcess,
} from '../../src/diffusion/index.js';
import { ModelConfig, buildModel } from '../../src/registry.js';
import { conditionOf, sampleClips } from '../../src/sampling/index.js';
import type { ClipShape } from '../../src/types.js';
import { flowConfig, gaussianConfig, maxAbsDiff, randn, values } from './helpers.js';

afterEach(() => tf.disposeVariables());

/** A conditional stub: mean = 0.1 x + label per row (c for a label, u for label 0), variance channels = -label. */
const stub =
  (learnSigma: boolean): DenoiseFn<tf.Tensor> =>
  (x, _t, labels) =>
    tf.tidy(() => {
      const l = tf.reshape(labels!, [-1, ...new Array<number>(x.rank - 1).fill(1)]);
      const mean = tf.add(tf.mul(x, 0.1), l);
      return learnSigma ? tf.concat([mean, tf.mul(tf.onesLike(x), tf.neg(l))], -1) : mean;
    });

/** Row i of a (B, ...) tensor as numbers. */
const row = (x: tf.Tensor, i: number) => values(tf.slice(x, [i], [1]));

describe('guidance interval, per row (closed form)', () => {
  const T = 1000;
  const s = 3;
  const x = randn([5, 3, 2], 7);
  const label = [1, 2, -1, 0.5, 4];
  const doubled = tf.tensor1d([...label, 0, 0, 0, 0, 0]); // [cond (B = 5); uncond (B = 5)]
  // t / T = 0.1, 0.3 (= lo), 0.5, 0.8 (= hi), 0.9: rows 1..3 inside [0.3, 0.8]
  const t = tf.tensor1d([100, 300, 500, 800, 900]);
  const inside = [false, true, true, true, false];

  it.each([true, false])('learnSigma %s: u + s (c - u) inside, c outside', (learnSigma) => {
    const guided = classifierFreeGuidance(stub(learnSigma), {
      scale: s,
      learnSigma,
      interval: { bounds: [0.3, 0.8], numTimesteps: T },
    })(x, t, doubled);
    const cond = stub(learnSigma)(x, t, tf.tensor1d(label));
    expect(guided.shape).toEqual(cond.shape);
    for (let i = 0; i < 5; i++) {
      const xi = row(x, i);
      // u = 0.1 x, c = 0.1 x + label: guided mean 0.1 x + s label; variance always the conditional -label
      const mean = xi.map((v) => 0.1 * v + (inside[i] ? s : 1) * label[i]!);
      const want = learnSigma
        ? mean.flatMap((m, k) => (k % 2 === 1 ? [] : [m, mean[k + 1]!, -label[i]!, -label[i]!]))
        : mean;
      // channels-last (3, 2) -> (3, 4) with learned sigma: [mean pair | variance pair] per position
      expect(maxAbsDiff(row(guided, i), want)).toBeLessThan(1e-5);
      // outside rows are the conditional output itself, bit for bit
      if (!inside[i]) expect(row(guided, i)).toEqual(row(cond, i));
    }
  });

  it('rowsInInterval: closed at both ends, on t / T', () => {
    expect(rowsInInterval([0, 299.99, 300, 800, 800.01, 1000], T, [0.3, 0.8])).toEqual([
      false,
      false,
      true,
      true,
      false,
      false,
    ]);
    expect(rowsInInterval([0, 999, 1000], T, [0, 1])).toEqual([true, true, true]);
  });
});

// Processes with T = 100 (Gaussian: the model sees training timesteps; flow: tau T) and a few steps.
const processes: [string, (interval: [number, number] | null, cfgScale?: number) => NoiseProcess][] = [
  [
    'rectified flow, Euler',
    (guidanceInterval, cfgScale = 3) =>
      makeProcess(
        flowConfig({ steps: 100, learnSigma: false, samplingSteps: '6', cfgScale, guidanceInterval }),
      ),
  ],
  [
    'Gaussian, DDPM (learned sigma)',
    (guidanceInterval, cfgScale = 3) =>
      makeProcess(gaussianConfig({ steps: 100, samplingSteps: '6', cfgScale, guidanceInterval })),
  ],
  [
    'Gaussian, DDIM',
    (guidanceInterval, cfgScale = 3) =>
      makeProcess(
        gaussianConfig({ steps: 100, sampler: 'ddim', samplingSteps: 'ddim6', cfgScale, guidanceInterval }),
      ),
  ],
];

describe.each(processes)('guidance interval through the sampler (%s)', (_name, processOf) => {
  const shape = [3, 4, 2];
  const noise = randn(shape, 3);
  const labels = tf.tensor1d([1, -2, 0.5]);
  const doubled = tf.concat([labels, tf.zeros([3])]);
  const model = (p: NoiseProcess) => stub(p.config.learnSigma);
  const sample = (p: NoiseProcess, guidance = true) =>
    generate(p, model(p), shape, { noise, seed: 11, guidance, extra: guidance ? doubled : labels });

  /** The model timesteps t the sampler visits, in order. */
  async function visited(p: NoiseProcess): Promise<number[]> {
    const ts: number[] = [];
    const m = model(p);
    await generate(p, (x, t, e) => (ts.push(t.dataSync()[0]!), m(x, t, e)), shape, { noise, extra: labels });
    return ts;
  }

  it('[0, 1] gives the samples of guidance at every step exactly', async () => {
    const all = await sample(processOf([0, 1]));
    const every = await sample(processOf(null));
    expect(values(all)).toEqual(values(every));
    // and guidance did something: the conditional samples differ
    expect(maxAbsDiff(values(every), values(await sample(processOf(null, 1), false)))).toBeGreaterThan(0.05);
  });

  it('an interval no step falls in gives the conditional (cfgScale 1) samples exactly', async () => {
    const ts = (await visited(processOf(null))).map((t) => t / 100).sort((a, b) => a - b);
    expect(ts.length).toBeGreaterThan(2);
    const [a, b] = [ts[1]!, ts[2]!]; // two neighbouring steps' noise levels; guide strictly between them
    const empty = processOf([a + (b - a) / 3, b - (b - a) / 3]);
    const plain = await sample(processOf(null, 1), false);
    expect(values(await sample(empty))).toEqual(values(plain));
  });

  it('an interval in between guides exactly the steps whose t / T lies in it', async () => {
    const ts = await visited(processOf(null));
    const interval: [number, number] = [0.25, 0.75];
    const guidedSteps = ts.filter((t) => t / 100 >= 0.25 && t / 100 <= 0.75).length;
    expect(guidedSteps).toBeGreaterThan(0);
    expect(guidedSteps).toBeLessThan(ts.length);
    const p = processOf(interval);
    // reference: per call, from the step's t alone, u + s (c - u) on separately computed halves, or c
    const m = model(p);
    const reference: DenoiseFn<tf.Tensor> = (x, t, both) =>
      tf.tidy(() => {
        const [c, u] = [m(x, t, tf.slice(both!, [0], [3])), m(x, t, tf.slice(both!, [3], [3]))];
        const level = t.dataSync()[0]! / 100;
        if (level < 0.25 || level > 0.75) return c;
        if (!p.config.learnSigma) return tf.add(u, tf.mul(3, tf.sub(c, u)));
        const [cm, cv] = tf.split(c, 2, -1);
        const [um] = tf.split(u, 2, -1);
        return tf.concat([tf.add(um!, tf.mul(3, tf.sub(cm!, um!))), cv!], -1);
      });
    const want = await generate(p, reference, shape, { noise, seed: 11, extra: doubled });
    const got = await sample(p);
    expect(maxAbsDiff(values(got), values(want))).toBeLessThan(1e-5);
    // and it is neither the unlimited nor the conditional sampling
    expect(maxAbsDiff(values(got), values(await sample(processOf(null))))).toBeGreaterThan(1e-3);
    expect(maxAbsDiff(values(got), values(await sample(processOf(null, 1), false)))).toBeGreaterThan(1e-3);
  });
});

describe('guidance interval through sampleClips (tiny video DiT, random weights)', () => {
  const clip: ClipShape = [2, 4, 4, 2];
  const cfg = ModelConfig.parse({
    kind: 'video-dit',
    depth: 1,
    width: 16,
    heads: 2,
    patch: [1, 2, 2],
    numClasses: 3,
  });
  const flow = (fields: Record<string, unknown> = {}) =>
    makeProcess(
      DiffusionConfig.parse({ process: 'rectified-flow', learnSigma: false, samplingSteps: 5, ...fields }),
    );

  function built(process: NoiseProcess): tfl.LayersModel {
    setSeed(5);
    const m = buildModel(cfg, clip, process);
    m.trainableWeights.forEach((w, i) =>
      w.write(tf.add(w.read(), tf.randomNormal(w.shape as number[], 0, 0.3, 'float32', 100 + i))),
    );
    return m;
  }

  it('takes the interval from the config and from the options (which replace it)', async () => {
    const base = flow({ cfgScale: 4 });
    const model = built(base);
    const draw = (process: NoiseProcess, opts: Record<string, unknown> = {}) =>
      sampleClips(model, process, conditionOf(cfg), { count: 3, clip, classes: [0, 1, 2], seed: 2, ...opts });
    const every = values(await draw(base));
    const conditional = values(await draw(flow({ cfgScale: 1 })));
    expect(maxAbsDiff(every, conditional)).toBeGreaterThan(1e-3);
    // Euler steps at tau = 1, 0.8, ..., 0.2: [0.85, 0.95] holds none of them
    expect(values(await draw(flow({ cfgScale: 4, guidanceInterval: [0, 1] })))).toEqual(every);
    expect(values(await draw(flow({ cfgScale: 4, guidanceInterval: [0.85, 0.95] })))).toEqual(conditional);
    expect(values(await draw(base, { guidanceInterval: [0.85, 0.95] }))).toEqual(conditional);
    const limited = flow({ cfgScale: 4, guidanceInterval: [0.1, 0.7] });
    expect(values(await draw(limited, { guidanceInterval: null }))).toEqual(every);
    const between = values(await draw(limited));
    expect(maxAbsDiff(between, every)).toBeGreaterThan(1e-4);
    expect(maxAbsDiff(between, conditional)).toBeGreaterThan(1e-4);
  });
});

describe('diffusion.guidanceInterval config', () => {
  const issue = (value: unknown, process = 'rectified-flow') => {
    const r = DiffusionConfig.safeParse({ process, guidanceInterval: value });
    return r.success ? null : { path: r.error.issues[0]!.path, message: r.error.issues[0]!.message };
  };

  it('is null (every step) by default for both processes and takes [lo, hi]', () => {
    expect(DiffusionConfig.parse({}).guidanceInterval).toBeNull();
    expect(DiffusionConfig.parse({ process: 'rectified-flow' }).guidanceInterval).toBeNull();
    expect(DiffusionConfig.parse({ guidanceInterval: [0.1, 0.9] }).guidanceInterval).toEqual([0.1, 0.9]);
    expect(
      DiffusionConfig.parse({ process: 'rectified-flow', guidanceInterval: [0, 1] }).guidanceInterval,
    ).toEqual([0, 1]);
  });

  it('refuses lo >= hi, a bound outside [0, 1] and anything but two numbers, naming the key', () => {
    expect(issue([0.9, 0.1])?.path).toEqual(['guidanceInterval']);
    expect(issue([0.9, 0.1])?.message).toMatch(/^\[0\.9, 0\.1\]: lo must be below hi/);
    expect(issue([0.5, 0.5], 'gaussian')?.message).toMatch(/lo must be below hi/);
    expect(issue([0, 1.5])?.path).toEqual(['guidanceInterval', 1]);
    expect(issue([-0.1, 0.5], 'gaussian')?.path).toEqual(['guidanceInterval', 0]);
    expect(issue([0.5])?.message).toMatch(/expected \[lo, hi\], two noise levels t \/ T in \[0, 1\]/);
    expect(issue('0.1,0.9')?.path).toEqual(['guidanceInterval']);
  });

  it('withSampling sets, keeps or clears it, and refuses a bad one naming diffusion.guidanceInterval', () => {
    for (const p of [makeProcess(flowConfig()), makeProcess(gaussianConfig())]) {
      const set = p.withSampling({ guidanceInterval: [0.2, 1] });
      expect(set.config.guidanceInterval).toEqual([0.2, 1]);
      expect(set.withSampling({ cfgScale: 2 }).config.guidanceInterval).toEqual([0.2, 1]);
      expect(set.withSampling({ guidanceInterval: null }).config.guidanceInterval).toBeNull();
      expect(() => p.withSampling({ guidanceInterval: [0.8, 0.2] })).toThrow(
        /^diffusion\.guidanceInterval: \[0\.8, 0\.2\]: lo must be below hi/,
      );
    }
  });
});
