/**
 * Adding a model family is one folder plus one registry line: `families/patch-pool/` (config, builder, cost beside
 * it, descriptor) is registered below with the one `registerModel` call, and from then on the zoo's functions —
 * validation, name, patch, presets, build, cost — and a training step work on it like on a built-in kind.
 */
import * as tf from '@tensorflow/tfjs-core';
import { setSeed } from '@vtx/core';
import {
  ModelConfig,
  buildModel,
  modelCost,
  modelKinds,
  modelName,
  modelPatch,
  modelTask,
  numClassesOf,
  preset,
  registerModel,
  type ClipShape,
} from '@vtx/models';
import { afterEach, describe, expect, it } from 'vitest';
import { patchPoolFamily } from './families/patch-pool/family.js';

registerModel(patchPoolFamily); // the one registry line

const clip: ClipShape = [2, 4, 4, 3];
afterEach(() => tf.disposeVariables());

describe('a family added as one folder and one registerModel line', () => {
  it('is validated, named and sized like a built-in kind', () => {
    const cfg = ModelConfig.parse({ kind: 'patch-pool', width: 6 });
    expect(cfg).toEqual({ kind: 'patch-pool', patch: [1, 2, 2], width: 6, numClasses: 3 });
    expect(modelKinds().at(-1)).toBe('patch-pool');
    expect(ModelConfig.safeParse({ kind: 'patch-pool', widht: 6 }).success).toBe(false);
    expect(modelName(cfg)).toBe('PatchPool-6/1x2x2');
    expect(modelTask(cfg)).toBe('classify');
    expect(numClassesOf(cfg)).toBe(3);
    expect(modelPatch(cfg)).toEqual({ key: 'patch', patch: [1, 2, 2] });
    expect(preset('PatchPool-8/1x2x2').model).toEqual({
      kind: 'patch-pool',
      patch: [1, 2, 2],
      width: 8,
      numClasses: 3,
    });
  });

  it('builds a model whose weights its closed-form cost counts, with the multiply-adds counted by hand', () => {
    setSeed(1);
    const cfg = ModelConfig.parse({ kind: 'patch-pool' });
    const m = buildModel(cfg, clip);
    expect((m.predict(tf.ones([2, ...clip])) as tf.Tensor).shape).toEqual([2, 3]);
    const c = modelCost(cfg, clip);
    expect(c.params).toBe(m.countParams());
    // 8 tubelets of 1·2·2·3 = 12 values -> 8 wide, then 8 -> 3: 8·12·8 + 8·3 multiply-adds
    expect(c.params).toBe(12 * 8 + 8 + 2 * 8 + 8 * 3 + 3);
    expect(c.gflops * 1e9).toBeCloseTo(8 * 12 * 8 + 8 * 3, 6);
    expect(c.tokens).toBe(8);
    expect(() => modelCost(cfg, [2, 5, 4, 3])).toThrow(/not divisible by patch 1x2x2/);
  });

  it('trains: one gradient step on a batch lowers its loss, and every weight gets a gradient', () => {
    setSeed(2);
    const m = buildModel(ModelConfig.parse({ kind: 'patch-pool' }), clip);
    const x = tf.randomNormal([6, ...clip], 0, 1, 'float32', 3);
    const labels = tf.oneHot(tf.tensor1d([0, 1, 2, 0, 1, 2], 'int32'), 3);
    const vars = m.trainableWeights.map((w) => w.read() as tf.Variable);
    const loss = () => tf.losses.softmaxCrossEntropy<tf.Tensor, tf.Scalar>(labels, m.apply(x) as tf.Tensor);
    const before = loss().dataSync()[0]!;
    const { grads } = tf.variableGrads(loss, vars);
    const silent = vars.filter((v) => tf.max(tf.abs(grads[v.name]!)).dataSync()[0] === 0).map((v) => v.name);
    expect(silent).toEqual([]);
    tf.train.sgd(0.5).applyGradients(grads);
    const after = loss().dataSync()[0]!;
    expect(after).toBeLessThan(before);
  });
});
