import * as tf from '@tensorflow/tfjs-core';
import { describe, expect, it } from 'vitest';
import { AdamW, NO_DECAY, SgdMomentum, buildOptimizer, OptimizerConfig } from '../../src/optim/index.js';
import { maxAbsDiff, param, values } from './helpers.js';

/** Loss ½‖w − c‖² + ½‖b − c_b‖²: its gradient is (w − c, b − c_b). */
const c = [0.3, -0.7];
const cb = [2];

function quadraticGrads(w: ReturnType<typeof param>, b: ReturnType<typeof param>) {
  return tf.variableGrads(
    () =>
      tf.add<tf.Scalar>(
        tf.mul(0.5, tf.sum(tf.square(tf.sub(w.variable, c)))),
        tf.mul(0.5, tf.sum(tf.square(tf.sub(b.variable, cb)))),
      ),
    [w.variable, b.variable],
  );
}

describe('AdamW', () => {
  it('matches the closed-form AdamW update step by step (decay on the kernel only, lr changing per step)', () => {
    const w = param('lin/kernel', [1, -2]);
    const b = param('lin/bias', [0.5]);
    const opt = new AdamW([w, b], { beta1: 0.9, beta2: 0.99, eps: 1e-8, weightDecay: 0.1 });
    const lrs = [0.1, 0.05, 0.02];
    // Reference in float64, written out by hand from Loshchilov & Hutter Alg. 2 / torch.optim.AdamW.
    const ref = { w: [1, -2], b: [0.5] };
    const mom: Record<'w' | 'b', { m: number[]; v: number[] }> = {
      w: { m: [0, 0], v: [0, 0] },
      b: { m: [0], v: [0] },
    };
    for (const [i, lr] of lrs.entries()) {
      const t = i + 1;
      for (const key of ['w', 'b'] as const) {
        const target = key === 'w' ? c : cb;
        ref[key] = ref[key].map((th, j) => {
          const g = th - target[j]!;
          const m = (mom[key].m[j] = 0.9 * mom[key].m[j]! + 0.1 * g);
          const v = (mom[key].v[j] = 0.99 * mom[key].v[j]! + 0.01 * g * g);
          const mHat = m / (1 - 0.9 ** t);
          const vHat = v / (1 - 0.99 ** t);
          const decayed = key === 'w' ? th * (1 - lr * 0.1) : th;
          return decayed - (lr * mHat) / (Math.sqrt(vHat) + 1e-8);
        });
      }
      opt.lr = lr;
      const { grads, value } = quadraticGrads(w, b);
      opt.apply(grads);
      tf.dispose([value, ...Object.values(grads)]);
      expect(maxAbsDiff(values(w), ref.w)).toBeLessThan(1e-6);
      expect(maxAbsDiff(values(b), ref.b)).toBeLessThan(1e-6);
    }
    expect(opt.step).toBe(3);
  });

  it('first step moves each weight by exactly lr·sign(g) (bias correction), plus the decay', () => {
    const w = param('k/kernel', [1, -2]);
    const opt = new AdamW([w], { lr: 0.01, weightDecay: 0.5, eps: 0 });
    opt.apply({ [w.variable.name]: tf.tensor([3, -0.001]) });
    expect(maxAbsDiff(values(w), [1 * (1 - 0.005) - 0.01, -2 * (1 - 0.005) + 0.01])).toBeLessThan(1e-6);
  });

  it('decays included parameters by (1 − lr·λ)^t and leaves excluded ones alone under zero gradients', () => {
    const names = [
      'blocks.0.mlp/fc1/kernel',
      'blocks.0.mlp/fc1/bias',
      'blocks.0.norm1/gamma',
      'pos_embed/pos_embed',
    ];
    const ps = names.map((n) => param(n, [1, 2]));
    const opt = new AdamW(ps, { lr: 0.1, weightDecay: 0.5 });
    for (let i = 0; i < 3; i++)
      opt.apply(Object.fromEntries(ps.map((p) => [p.variable.name, tf.zeros([2])])));
    const f = (1 - 0.05) ** 3;
    expect(maxAbsDiff(values(ps[0]!), [f, 2 * f])).toBeLessThan(1e-6);
    for (const p of ps.slice(1)) expect(values(p)).toEqual([1, 2]);
  });

  it('default decay rule excludes norms, biases, position tables, class tokens and embedding tables', () => {
    const decays = (n: string) => !NO_DECAY.test(n);
    for (const n of [
      'blocks.0.attn/qkv/kernel',
      'x_embedder/kernel',
      'blocks.3.adaLN_modulation/kernel',
      'final_layer.linear/kernel',
      't_embedder/mlp.0/kernel',
      'head/kernel',
    ])
      expect(decays(n), n).toBe(true);
    for (const n of [
      'blocks.0.attn/qkv/bias',
      'blocks.0.norm1/gamma',
      'blocks.0.norm1/beta',
      'norm/gamma_1',
      'pos_embed/pos_embed',
      'cls_token/cls_token',
      'y_embedder/embedding_table',
      'encoder.norm/gamma',
    ])
      expect(decays(n), n).toBe(false);
    // configurable: a custom exclusion RegExp or predicate
    const a = new AdamW([param('a/kernel', [1])], { decay: /kernel/ });
    expect(a.decays('a/kernel')).toBe(false);
    const s = new SgdMomentum([param('b/bias', [1])], { decay: () => true });
    expect(s.decays('b/bias')).toBe(true);
  });

  it('exported state restores an identical trajectory in a fresh optimizer', async () => {
    const w1 = param('q/kernel', [1, -2]);
    const b1 = param('q/bias', [0.5]);
    const opt1 = new AdamW([w1, b1], { lr: 0.05, weightDecay: 0.1 });
    for (let i = 0; i < 2; i++) {
      const { grads } = quadraticGrads(w1, b1);
      opt1.apply(grads);
    }
    const state = await opt1.exportState();
    expect(Object.keys(state.tensors).sort()).toEqual([
      'q/bias/m',
      'q/bias/v',
      'q/kernel/m',
      'q/kernel/v',
      'step',
    ]);
    // a "resumed" copy: new variables (different tfjs names), same stable names
    const w2 = param('q/kernel', values(w1));
    const b2 = param('q/bias', values(b1));
    const opt2 = new AdamW([w2, b2], { lr: 0.05, weightDecay: 0.1 });
    opt2.importState(state);
    expect(opt2.step).toBe(2);
    for (const [w, b, o] of [
      [w1, b1, opt1],
      [w2, b2, opt2],
    ] as const)
      o.apply(quadraticGrads(w, b).grads);
    expect(values(w2)).toEqual(values(w1));
    expect(values(b2)).toEqual(values(b1));
    // mismatches are named
    const wrong = new AdamW([param('q/kernel', [1, 2, 3])]);
    expect(() => wrong.importState(state)).toThrow(/q\/kernel\/m.*shape \[2\]/);
  });

  it('rejects a gradient for a variable it does not own, and skips params without one', () => {
    const w = param('z/kernel', [1]);
    const other = param('other/kernel', [1]);
    const opt = new AdamW([w, other]);
    expect(() => opt.apply({ nope: tf.zeros([1]) })).toThrow(/'nope'/);
    opt.apply({ [w.variable.name]: tf.ones([1]) });
    expect(values(other)).toEqual([1]);
  });
});

describe('SGD with momentum', () => {
  it('matches b ← μb + g, θ ← θ(1 − lrλ) − lr·b over three steps', () => {
    const w = param('s/kernel', [1]);
    const opt = new SgdMomentum([w], { lr: 0.1, momentum: 0.9, weightDecay: 0.01 });
    const gs = [1, -2, 0.5];
    let th = 1;
    let buf = 0;
    for (const g of gs) {
      buf = 0.9 * buf + g;
      th = th * (1 - 0.1 * 0.01) - 0.1 * buf;
      opt.apply({ [w.variable.name]: tf.tensor([g]) });
    }
    expect(Math.abs(values(w)[0]! - th)).toBeLessThan(1e-6);
  });

  it('nesterov uses g + μb', () => {
    const w = param('n/kernel', [0]);
    const opt = new SgdMomentum([w], { lr: 1, momentum: 0.5, nesterov: true });
    opt.apply({ [w.variable.name]: tf.tensor([1]) }); // b = 1, d = 1.5
    opt.apply({ [w.variable.name]: tf.tensor([1]) }); // b = 1.5, d = 1.75
    expect(values(w)[0]).toBeCloseTo(-3.25, 6);
  });

  it('exports <param>/momentum and the step, and a fresh optimizer resumes the same trajectory', async () => {
    const w1 = param('m/kernel', [1, -1]);
    const opt1 = new SgdMomentum([w1], { lr: 0.1, momentum: 0.9, weightDecay: 0.01 });
    const grad = (w: typeof w1) => ({ [w.variable.name]: tf.tensor([0.5, -2]) });
    opt1.apply(grad(w1));
    opt1.apply(grad(w1));
    const state = await opt1.exportState();
    expect(Object.keys(state.tensors).sort()).toEqual(['m/kernel/momentum', 'step']);
    expect(state.metadata).toEqual({ optimizer: 'sgd' });
    const w2 = param('m/kernel', values(w1));
    const opt2 = new SgdMomentum([w2], { lr: 0.1, momentum: 0.9, weightDecay: 0.01 });
    opt2.importState(state);
    expect(opt2.step).toBe(2);
    opt1.apply(grad(w1));
    opt2.apply(grad(w2));
    expect(values(w2)).toEqual(values(w1));
    opt1.dispose();
    opt2.dispose();
  });
});

describe('buildOptimizer', () => {
  it('builds from a validated config block with defaults', () => {
    const cfg = OptimizerConfig.parse({ kind: 'adamw', lr: 3e-4, noDecay: 'bias$' });
    const opt = buildOptimizer([param('a/kernel', [1]), param('a/bias', [1])], cfg);
    expect(opt).toBeInstanceOf(AdamW);
    expect(opt.lr).toBe(3e-4);
    expect((opt as AdamW).weightDecay).toBe(0.01);
    expect(opt.decays('a/bias')).toBe(false);
    expect(opt.decays('a/gamma')).toBe(true);
    expect(OptimizerConfig.safeParse({ kind: 'adamw', lrr: 1 }).success).toBe(false);
  });
});
