/**
 * The standard tests over the whole zoo (timm's tests over `list_models()`): every kind × variant at its
 * smallest size gets the same checks.
 */
import * as tf from '@tensorflow/tfjs-core';
import * as tfl from '@tensorflow/tfjs-layers';
import { setSeed } from '@vtx/core';
import { buildModel, modelCost, modelTask } from '@vtx/models';
import { afterEach, describe, expect, it } from 'vitest';
import { CASES, gradientProbe, inputsFor, maxAbs, maxAbsDiff, memoryIO } from './helpers.js';

const out = (m: tfl.LayersModel, xs: tf.Tensor[], training = false) =>
  m.apply(xs.length === 1 ? xs[0]! : xs, { training }) as tf.Tensor;

afterEach(() => tf.disposeVariables());

describe.each(CASES)('$name', ({ model: cfg, clip }) => {
  const task = modelTask(cfg);

  it('gives the output shape of its task', () => {
    setSeed(1);
    const m = buildModel(cfg, clip);
    const y = out(m, inputsFor(m, cfg, clip));
    if (task === 'classify') expect(y.shape).toEqual([2, 'numClasses' in cfg ? cfg.numClasses : 0]);
    else expect(y.shape).toEqual([2, clip[0], clip[1], clip[2], 2 * clip[3]]);
  });

  it('has the closed-form parameter count, with no untracked or non-trainable weights', () => {
    setSeed(3);
    const m = buildModel(cfg, clip);
    const counted = m.trainableWeights.reduce((n, w) => n + w.shape.reduce((a, b) => a! * b!, 1)!, 0);
    expect(m.nonTrainableWeights).toHaveLength(0);
    expect(counted).toBe(modelCost(cfg, clip).params);
  });

  it('has unique weight names', () => {
    setSeed(4);
    const m = buildModel(cfg, clip);
    const names = m.weights.map((w) => w.originalName);
    expect(new Set(names).size).toBe(names.length);
    const layers = m.layers.map((l) => l.name);
    expect(new Set(layers).size).toBe(layers.length);
  });

  it('sends a non-zero gradient to every trainable weight', () => {
    const { vars, loss } = gradientProbe(cfg, clip, false);
    const { grads } = tf.variableGrads(loss, vars);
    const silent = vars.filter((v) => maxAbs(grads[v.name]!) === 0).map((v) => v.name);
    expect(silent).toEqual([]);
    expect(Object.keys(grads).sort()).toEqual(vars.map((v) => v.name).sort());
  });

  it('overfits one batch', () => {
    setSeed(6);
    const m = buildModel(cfg, clip);
    const xs = inputsFor(m, cfg, clip);
    const target =
      task === 'classify'
        ? tf.oneHot(tf.tensor1d([1, 3], 'int32'), out(m, xs).shape[1]!)
        : tf.randomNormal(out(m, xs).shape, 0, 1, 'float32', 13);
    const loss = () =>
      tf.mean<tf.Scalar>(
        task === 'classify'
          ? tf.losses.softmaxCrossEntropy(target, out(m, xs, true))
          : tf.losses.meanSquaredError(target, out(m, xs, true)),
      );
    const opt = tf.train.adam(1e-2);
    const vars = m.trainableWeights.map((w) => w.read() as tf.Variable);
    const first = loss().dataSync()[0]!;
    // 25 Adam steps; the U-Nets (many small ops: 7-13 s a case on cpu at 25) take 12. Measured on cpu, last/first:
    // the DiTs 0.25-0.28 at 25 (they cross 0.5 near step 13), the U-Nets 0.10-0.24 at 12 (0.01-0.03 at 25).
    const steps = cfg.kind === 'unet' ? 12 : 25;
    for (let i = 0; i < steps; i++) opt.minimize(loss, false, vars);
    const last = loss().dataSync()[0]!;
    expect(last).toBeLessThan(0.5 * first);
  }, 600_000); // the U-Nets' Adam steps of many small ops take a minute on a loaded CPU

  it('saves and loads to identical outputs', async () => {
    setSeed(7);
    const m = buildModel(cfg, clip);
    for (const w of m.trainableWeights)
      w.write(tf.add(w.read(), tf.randomNormal(w.shape as number[], 0, 0.05, 'float32', 3)));
    const xs = inputsFor(m, cfg, clip);
    const io = memoryIO();
    await m.save(io);
    const loaded = await tfl.loadLayersModel(io);
    expect(maxAbsDiff(out(m, xs), out(loaded, xs))).toBe(0);
  });
});

describe.each(CASES.filter((c) => modelTask(c.model) === 'diffuse'))(
  '$name at init',
  ({ model: cfg, clip }) => {
    it('outputs exactly zero (zero-initialised final layer, DiT §3.2)', () => {
      setSeed(2);
      const m = buildModel(cfg, clip);
      expect(maxAbs(out(m, inputsFor(m, cfg, clip)))).toBe(0);
    });
  },
);
