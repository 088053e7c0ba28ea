import * as tf from '@tensorflow/tfjs-core';
import { describe, expect, it } from 'vitest';
import { AdamW, Ema, GradAccumulator, clipByGlobalNorm, globalNorm } from '../../src/optim/index.js';
import { maxAbsDiff, param, values } from './helpers.js';

describe('clipByGlobalNorm', () => {
  it('returns the pre-clip norm √(Σ‖g‖²) and scales every gradient by c/n when n > c', () => {
    const grads = { a: tf.tensor([3, 0]), b: tf.tensor([[4]]) }; // ‖·‖ = 5
    const { grads: out, norm } = clipByGlobalNorm(grads, 1);
    expect(norm.dataSync()[0]).toBeCloseTo(5, 6);
    expect(maxAbsDiff(Array.from(out.a!.dataSync()), [0.6, 0])).toBeLessThan(1e-6);
    expect(maxAbsDiff(Array.from(out.b!.dataSync()), [0.8])).toBeLessThan(1e-6);
    expect(globalNorm(out).dataSync()[0]).toBeCloseTo(1, 5);
  });

  it('leaves gradients under the limit (and with no limit) unchanged', () => {
    const grads = { a: tf.tensor([0.3, 0.4]) };
    expect(Array.from(clipByGlobalNorm(grads, 1).grads.a!.dataSync())).toEqual(
      Array.from(grads.a.dataSync()),
    );
    const { grads: same, norm } = clipByGlobalNorm({ a: tf.tensor([30, 40]) }, 0);
    expect(Array.from(same.a!.dataSync())).toEqual([30, 40]);
    expect(norm.dataSync()[0]).toBeCloseTo(50, 4);
  });

  it('propagates a non-finite norm', () => {
    expect(clipByGlobalNorm({ a: tf.tensor([NaN, 1]) }, 1).norm.dataSync()[0]).toBeNaN();
  });
});

describe('Ema', () => {
  it('starts at the weights and follows θ̄ ← dθ̄ + (1−d)θ', () => {
    const w = param('e/kernel', [1, 2]);
    const ema = new Ema([w], { decay: 0.9 });
    let ref = [1, 2];
    for (const next of [
      [2, 2],
      [0, 4],
      [1, -1],
    ]) {
      w.variable.assign(tf.tensor(next));
      ema.update();
      ref = ref.map((r, i) => 0.9 * r + 0.1 * next[i]!);
    }
    ema.swapIn();
    expect(maxAbsDiff(values(w), ref)).toBeLessThan(1e-6);
    ema.swapOut();
    expect(values(w)).toEqual([1, -1]);
  });

  it('warmup ramps the decay as min(d, (1+t)/(10+t))', () => {
    const ema = new Ema([param('e2/kernel', [0])], { decay: 0.5, warmup: true });
    expect(ema.currentDecay()).toBeCloseTo(0.1, 12);
    ema.update();
    expect(ema.currentDecay()).toBeCloseTo(2 / 11, 12);
    for (let i = 0; i < 20; i++) ema.update();
    expect(ema.currentDecay()).toBe(0.5);
  });

  it('withEma swaps back even when the work throws; state round-trips with the update count', async () => {
    const w = param('e3/kernel', [1]);
    const ema = new Ema([w], { decay: 0.5 });
    w.variable.assign(tf.tensor([3]));
    ema.update(); // θ̄ = 2
    await expect(
      ema.withEma(() => {
        expect(values(w)).toEqual([2]);
        throw new Error('eval failed');
      }),
    ).rejects.toThrow('eval failed');
    expect(values(w)).toEqual([3]);
    const state = await ema.exportState();
    expect(Object.keys(state.tensors)).toEqual(['e3/kernel']);
    const ema2 = new Ema([param('e3/kernel', [3])], { decay: 0.5 });
    ema2.importState(state);
    expect(ema2.updates).toBe(1);
    expect(await ema2.withEma(() => values(ema2.params[0]!))).toEqual([2]);
  });
});

describe('GradAccumulator', () => {
  // Linear regression, loss = mean over the batch of (x·w + b − y)²
  const xs = [
    [1, 2],
    [0.5, -1],
    [2, 0],
    [-1, 1],
    [0, 3],
    [1.5, 1],
    [-2, -0.5],
    [0.3, 0.7],
  ];
  const ys = [1, -1, 2, 0.5, 3, 0, -2, 1];
  const loss = (w: tf.Variable, b: tf.Variable, lo: number, hi: number) => () =>
    tf.mean<tf.Scalar>(
      tf.square(
        tf.sub(
          tf.add(tf.matMul(tf.tensor2d(xs.slice(lo, hi)), w), b),
          tf.tensor2d(ys.slice(lo, hi), [hi - lo, 1]),
        ),
      ),
    );

  it('k micro-batches, averaged, then one AdamW step equal one big-batch step', () => {
    const make = () => [param('acc/kernel', [0.1, -0.2], [2, 1]), param('acc/bias', [0.05], [1])] as const;
    const [w1, b1] = make();
    const big = new AdamW([w1, b1], { lr: 0.1, weightDecay: 0.1 });
    tf.tidy(() =>
      big.apply(tf.variableGrads(loss(w1.variable, b1.variable, 0, 8), [w1.variable, b1.variable]).grads),
    );

    const [w2, b2] = make();
    const small = new AdamW([w2, b2], { lr: 0.1, weightDecay: 0.1 });
    const acc = new GradAccumulator();
    const before = tf.memory().numTensors;
    for (let k = 0; k < 4; k++)
      tf.tidy(() =>
        acc.add(
          tf.variableGrads(loss(w2.variable, b2.variable, 2 * k, 2 * k + 2), [w2.variable, b2.variable])
            .grads,
        ),
      );
    expect(acc.count).toBe(4);
    tf.tidy(() => small.apply(acc.mean()));
    acc.reset();
    expect(tf.memory().numTensors).toBe(before);
    expect(maxAbsDiff(values(w2), values(w1))).toBeLessThan(1e-6);
    expect(maxAbsDiff(values(b2), values(b1))).toBeLessThan(1e-6);
    // and it actually moved
    expect(maxAbsDiff(values(w1), [0.1, -0.2])).toBeGreaterThan(0.05);
  });

  it('refuses mismatched micro-batches and an empty mean', () => {
    const acc = new GradAccumulator();
    expect(() => acc.mean()).toThrow(/no micro-batches/);
    acc.add({ a: tf.ones([1]) });
    expect(() => acc.add({ b: tf.ones([1]) })).toThrow(/'b'/);
  });
});
