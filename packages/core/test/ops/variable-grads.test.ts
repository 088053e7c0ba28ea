import * as tf from '@tensorflow/tfjs-core';
import { afterEach, describe, expect, it } from 'vitest';
import { variableGrads } from '@vtx/core';
import { randn } from '../helpers.js';

/** The gradient of each of two inputs is dy itself: the same tensor object is the gradient of two tensors. */
const addTwo = tf.customGrad((a, b) => ({
  value: tf.add(a as tf.Tensor, b as tf.Tensor),
  gradFunc: (dy: tf.Tensor | tf.Tensor[]) => [dy as tf.Tensor, dy as tf.Tensor],
}));

/** A small net with what the backward pass has to get right: a tensor used twice (accumulated gradients), a split
 * with an unused output (a zero gradient), an op whose gradient is its dy for two inputs, a saved output (softmax). */
function net(w1: tf.Variable, w2: tf.Variable, b: tf.Variable, x: tf.Tensor): tf.Scalar {
  const h = tf.relu(tf.add(tf.matMul(x, w1), b)); // (4, 6)
  const [p, , r] = tf.split(h, [2, 2, 2], 1);
  const s = addTwo(tf.mul(p!, h.slice([0, 0], [4, 2])), r!); // h used twice
  const y = tf.softmax(tf.matMul(s, w2)); // (4, 3)
  return tf.sum(tf.mul(y, tf.tanh(tf.matMul(h, tf.ones([6, 3])))));
}

describe('variableGrads (frees saved tensors and gradients during the backward pass)', () => {
  const made: tf.Tensor[] = [];
  afterEach(() => tf.dispose(made.splice(0)));

  function vars(): tf.Variable[] {
    const vs = [
      tf.variable(randn([5, 6], 1, 0.5), true, 'vg_w1'),
      tf.variable(randn([2, 3], 2, 0.5), true, 'vg_w2'),
      tf.variable(randn([6], 3, 0.1), true, 'vg_b'),
      tf.variable(randn([3], 4), false, 'vg_frozen'),
    ];
    made.push(...vs);
    return vs;
  }

  it('returns the value and gradients of tf.variableGrads, bit for bit, and null for a frozen variable', () => {
    const vs = vars();
    const x = randn([4, 5], 5);
    made.push(x);
    const f = () => net(vs[0]!, vs[1]!, vs[2]!, x);
    const ref = tf.variableGrads(f, vs);
    const ours = variableGrads(f, vs);
    expect(ours.value.dataSync()).toEqual(ref.value.dataSync());
    expect(Object.keys(ours.grads).sort()).toEqual(Object.keys(ref.grads).sort());
    expect(ours.grads['vg_frozen']).toBeNull();
    for (const name of ['vg_w1', 'vg_w2', 'vg_b']) {
      expect(ours.grads[name]!.shape).toEqual(ref.grads[name]!.shape);
      expect(ours.grads[name]!.dataSync()).toEqual(ref.grads[name]!.dataSync());
      expect(Math.max(...Array.from(ours.grads[name]!.dataSync(), Math.abs))).toBeGreaterThan(0);
    }
    tf.dispose([ref.value, ours.value, ...Object.values(ref.grads), ...Object.values(ours.grads)]);
  });

  it('leaks no tensor and no buffer: after disposing value and gradients, the counts are as before', () => {
    const vs = vars();
    const x = randn([4, 5], 6);
    made.push(x);
    const before = { tensors: tf.memory().numTensors, data: tf.engine().backend.numDataIds() };
    const { value, grads } = variableGrads(() => net(vs[0]!, vs[1]!, vs[2]!, x), vs);
    tf.dispose([value, ...Object.values(grads).filter((g) => g !== null)]);
    expect({ tensors: tf.memory().numTensors, data: tf.engine().backend.numDataIds() }).toEqual(before);
  });

  it('holds far fewer buffers at the end of the backward pass than tf.variableGrads (a 16-layer chain)', () => {
    const layers = 16;
    const ws = Array.from({ length: layers }, (_, i) =>
      tf.variable(randn([32, 32], 10 + i, 0.2), true, `vg_chain${i}`),
    );
    made.push(...ws);
    const x = randn([8, 32], 7);
    made.push(x);
    // an identity whose gradient runs last in the backward pass and counts the backend's live buffers then
    let live = 0;
    const probe = tf.customGrad((t) => ({
      value: tf.clone(t as tf.Tensor),
      gradFunc: (dy: tf.Tensor | tf.Tensor[]) => {
        live = tf.engine().backend.numDataIds();
        return [tf.clone(dy as tf.Tensor)];
      },
    }));
    const f = () => {
      let h = probe(tf.matMul(x, ws[0]!));
      for (let i = 1; i < layers; i++) h = tf.matMul(tf.tanh(h), ws[i]!);
      return tf.sum<tf.Scalar>(tf.square(h));
    };
    const run = (grads: typeof variableGrads) => {
      const base = tf.engine().backend.numDataIds();
      const r = grads(f, ws);
      const peak = live - base;
      const g0 = r.grads['vg_chain0']!.dataSync().slice();
      tf.dispose([r.value, ...Object.values(r.grads)]);
      return { peak, g0 };
    };
    const stock = run(tf.variableGrads);
    const lean = run(variableGrads);
    expect(lean.g0).toEqual(stock.g0);
    // stock: every saved activation and every intermediate gradient is still alive at the last node;
    // lean: the layer gradients (which are returned) and a few buffers of the node being differentiated
    expect(stock.peak).toBeGreaterThan(4 * layers);
    expect(lean.peak).toBeLessThan(stock.peak / 2);
  });

  it('defers to tf.variableGrads inside another gradient computation (higher-order gradients)', () => {
    const v = tf.variable(tf.scalar(0.7), true, 'vg_inner');
    made.push(v);
    // d/dx of (d/dv (v·x)²) = d/dx (2·v·x²) = 4·v·x
    const outer = (fn: typeof variableGrads) =>
      tf.grad((x: tf.Tensor) => {
        const { value, grads } = fn(() => tf.square(tf.mul(v, x)).asScalar(), [v]);
        value.dispose();
        return grads['vg_inner']!;
      })(tf.scalar(1.5));
    const ours = outer(variableGrads);
    expect(ours.dataSync()[0]).toBeCloseTo(4 * 0.7 * 1.5, 5);
    expect(ours.dataSync()).toEqual(outer(tf.variableGrads).dataSync());
  });

  it('says clearly when nothing is trainable or f is not a scalar', () => {
    const v = tf.variable(tf.scalar(1), false, 'vg_frozen_only');
    const w = tf.variable(tf.ones([2]), true, 'vg_vec');
    made.push(v, w);
    expect(() => variableGrads(() => tf.square(v).asScalar(), [v])).toThrow(
      'none of the 1 variables is trainable',
    );
    expect(() => variableGrads(() => tf.square(w) as tf.Scalar, [w])).toThrow(
      'must return a scalar tensor, got rank 1',
    );
  });
});
