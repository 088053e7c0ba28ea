/**
 * Parity with the `cpu` backend for the elementwise, reduction, softmax, transpose and copy kernels the addon
 * replaces, on the broadcast patterns of transformer training and on edge shapes (scalars, size-1 axes, empty
 * tensors, rank 6), including special values and the gradients tfjs composes from them.
 */
import * as tf from '@tensorflow/tfjs-core';
import { describe, expect, it } from 'vitest';
import { host, parity, runOn, unavailable, type Host } from './helpers.js';

const BROADCASTS: [number[], number[]][] = [
  [
    [2, 3, 8],
    [2, 3, 8],
  ], // same shape
  [[2, 3, 8], []], // scalar
  [[], [2, 3, 8]],
  [[2, 3, 8], [8]], // bias, gamma/beta
  [
    [2, 3, 8],
    [2, 3, 1],
  ], // LayerNorm mean / rstd
  [
    [2, 3, 8],
    [2, 1, 8],
  ], // adaLN per-sample modulation
  [
    [4, 1],
    [1, 5],
  ], // outer product
  [
    [1, 5],
    [4, 1],
  ],
  [
    [2, 1, 3, 1, 2, 4],
    [3, 5, 1, 4],
  ], // rank 6, interleaved broadcasts
  [[0, 3], [3]], // empty
  [[70000], [70000]], // long single row: split across threads
  [[3, 70000], [1]],
];

const BINARY: [string, (a: tf.Tensor, b: tf.Tensor) => tf.Tensor][] = [
  ['add', tf.add],
  ['sub', tf.sub],
  ['mul', tf.mul],
  ['div', tf.div],
  ['maximum', tf.maximum],
  ['minimum', tf.minimum],
  ['squaredDifference', tf.squaredDifference],
];

describe.skipIf(unavailable)('native binary kernels', () => {
  for (const [name, op] of BINARY)
    it(`${name} matches cpu for every broadcast pattern`, () => {
      for (const [sa, sb] of BROADCASTS) {
        const err = parity([host(sa, 1), host(sb, 2)], (a, b) => op(a, b));
        expect(err, `${name} [${sa}] · [${sb}]`).toBeLessThan(1e-6);
      }
    });

  it('pow matches cpu on positive bases', () => {
    const base: Host = { ...host([3, 4], 1), values: host([3, 4], 1).values.map((v) => Math.abs(v) + 0.1) };
    expect(parity([base, host([4], 2)], (a, b) => tf.pow(a, b))).toBeLessThan(1e-5);
  });

  it('NaN propagates through maximum/minimum like cpu', () => {
    const a: Host = { values: Float32Array.from([NaN, 1, -1, 2]), shape: [4], dtype: 'float32' };
    const b: Host = { values: Float32Array.from([0, NaN, 3, -2]), shape: [4], dtype: 'float32' };
    expect(parity([a, b], (x, y) => [tf.maximum(x, y), tf.minimum(x, y), tf.add(x, y)])).toBe(0);
  });

  it('int32 operands fall back to the cpu kernels', () => {
    const a: Host = { values: Int32Array.from([1, 2, 3, 4]), shape: [2, 2], dtype: 'int32' };
    const [out] = runOn('native', [a, a], (x, y) => tf.mul(x, y));
    expect(Array.from(out!.values)).toEqual([1, 4, 9, 16]);
  });

  it('gradients of broadcast arithmetic (reductions over broadcast axes) match cpu', () => {
    const f = (x: tf.Tensor, g: tf.Tensor, m: tf.Tensor) =>
      tf.grads((p: tf.Tensor, q: tf.Tensor, r: tf.Tensor) =>
        tf.sum(tf.div(tf.mul(tf.sub(p, r), q), tf.add(r, 3))),
      )([x, g, m]);
    expect(
      parity([host([2, 3, 8], 1), host([8], 2), host([2, 3, 1], 3)], (x, g, m) => f(x, g, m)),
    ).toBeLessThan(1e-5);
  });
});

const SPECIAL = Float32Array.from([
  0,
  -0,
  1e-8,
  -1e-8,
  0.03,
  -0.05,
  0.5,
  -0.5,
  1,
  -1,
  3,
  -3,
  9.5,
  -9.5,
  30,
  -30,
  90,
  -90,
  1e30,
  -1e30,
  NaN,
  Infinity,
  -Infinity,
]);

const UNARY: [string, (x: tf.Tensor) => tf.Tensor, 'any' | 'positive', number][] = [
  ['exp', tf.exp, 'any', 2e-6],
  ['log', tf.log, 'positive', 1e-6],
  ['neg', tf.neg, 'any', 0],
  ['sqrt', tf.sqrt, 'positive', 1e-6],
  ['rsqrt', tf.rsqrt, 'positive', 1e-6],
  ['square', tf.square, 'any', 0],
  ['tanh', tf.tanh, 'any', 2e-6],
  ['erf', tf.erf, 'any', 2e-6],
  ['sigmoid', tf.sigmoid, 'any', 2e-6],
  ['relu', tf.relu, 'any', 0],
  ['abs', tf.abs, 'any', 0],
  ['reciprocal', tf.reciprocal, 'positive', 1e-6],
  ['log1p', tf.log1p, 'positive', 1e-6],
  ['relu6', tf.relu6, 'any', 0],
  ['elu', tf.elu, 'any', 2e-6],
  ['softplus', tf.softplus, 'any', 2e-6],
  ['step', (x) => tf.step(x, 0.25), 'any', 0],
  ['sign', tf.sign, 'any', 0],
];

describe.skipIf(unavailable)('native unary kernels', () => {
  for (const [name, op, domain, tol] of UNARY)
    it(`${name} matches cpu on random values (elementwise, relative + 3e-7 absolute) and special values`, () => {
      const rnd = host([5, 7001], 3, 4); // > one grain: split across threads
      if (domain === 'positive') rnd.values = rnd.values.map((v) => Math.abs(v) + 1e-3);
      const n = runOn('native', [rnd], (x) => op(x))[0]!.values;
      const c = runOn('cpu', [rnd], (x) => op(x))[0]!.values;
      let worst = 0;
      // relative error beyond an absolute floor (erf: cpu's A&S 7.1.26 is only accurate to 1.5e-7 absolute)
      for (let i = 0; i < n.length; i++)
        worst = Math.max(worst, (Math.abs(n[i]! - c[i]!) - 3e-7) / Math.abs(c[i]!));
      expect(worst).toBeLessThanOrEqual(tol + 1e-6);
      const special: Host = { values: SPECIAL, shape: [SPECIAL.length], dtype: 'float32' };
      const sn = runOn('native', [special], (x) => op(x))[0]!.values;
      const sc = runOn('cpu', [special], (x) => op(x))[0]!.values;
      for (let i = 0; i < SPECIAL.length; i++) {
        const [a, b] = [sn[i]!, sc[i]!];
        if (Number.isNaN(b)) expect(a, `${name}(${SPECIAL[i]})`).toBeNaN();
        else if (!Number.isFinite(b)) expect(a, `${name}(${SPECIAL[i]})`).toBe(b);
        else
          expect(Math.abs(a - b), `${name}(${SPECIAL[i]})`).toBeLessThanOrEqual(
            Math.max(1e-6, 4e-6 * Math.abs(b)),
          );
      }
    });
});

describe.skipIf(unavailable)('native reductions and softmax', () => {
  const shape = [3, 4, 5, 6];
  const axisSets: (number | number[])[] = [
    3,
    -1,
    0,
    [0, 1],
    [2, 3],
    [1, 2],
    [0, 2],
    [1, 3],
    [0, 1, 2, 3],
    [0, 3],
  ];
  const ops: [string, (x: tf.Tensor, axis: number | number[], keep: boolean) => tf.Tensor][] = [
    ['sum', tf.sum],
    ['mean', tf.mean],
    ['max', tf.max],
    ['min', tf.min],
    ['prod', tf.prod],
  ];
  for (const [name, op] of ops)
    it(`${name} over leading, trailing and interior axes (keepDims both ways) matches cpu`, () => {
      for (const axis of axisSets)
        for (const keep of [false, true]) {
          const x = host(shape, 7, name === 'prod' ? 0.5 : 1);
          expect(
            parity([x], (t) => op(t, axis, keep)),
            `${name} axis ${String(axis)} keep ${keep}`,
          ).toBeLessThan(2e-6);
        }
    });

  it('column sums of a long (B·T, D) gradient and row sums of wide rows match cpu', () => {
    expect(parity([host([4096, 24], 1)], (x) => tf.sum(x, 0))).toBeLessThan(1e-5);
    expect(parity([host([3, 50000], 2)], (x) => tf.sum(x, 1))).toBeLessThan(1e-5);
  });

  it('softmax over the last axis matches cpu (n = 1, large logits, masked -inf), and its gradient', () => {
    for (const s of [
      [7, 1],
      [2, 3, 17],
      [4, 300],
    ])
      expect(parity([host(s, 3, 10)], (x) => tf.softmax(x))).toBeLessThan(1e-6);
    const masked: Host = {
      values: Float32Array.from([0, -Infinity, 2, 1e4, 1e4 - 1, -1e4]),
      shape: [2, 3],
      dtype: 'float32',
    };
    expect(parity([masked], (x) => tf.softmax(x))).toBeLessThan(1e-6);
    const g = (x: tf.Tensor, w: tf.Tensor) => tf.grad((p: tf.Tensor) => tf.sum(tf.mul(tf.softmax(p), w)))(x);
    expect(parity([host([2, 3, 9], 4), host([2, 3, 9], 5)], (x, w) => g(x, w))).toBeLessThan(1e-5);
  });
});

describe.skipIf(unavailable)('native transpose, slice, pad, concat', () => {
  it('transpose matches cpu for every permutation up to rank 4 and for rank 6', () => {
    const perms = (n: number): number[][] =>
      n === 1
        ? [[0]]
        : perms(n - 1).flatMap((p) =>
            [...Array(n).keys()].map((i) => [...p.slice(0, i), n - 1, ...p.slice(i)]),
          );
    for (const shape of [[5], [3, 70], [2, 3, 4], [2, 1, 37, 33], [3, 4, 5, 6]])
      for (const perm of perms(shape.length))
        expect(parity([host(shape, 1)], (x) => tf.transpose(x, perm))).toBe(0);
    expect(parity([host([2, 3, 1, 4, 2, 3], 2)], (x) => tf.transpose(x, [5, 3, 0, 2, 4, 1]))).toBe(0);
  });

  it('slice, its gradient (pad) and split/concat match cpu', () => {
    const x = host([4, 6, 9], 1);
    expect(parity([x], (t) => tf.slice(t, [1, 2, 3], [2, 3, 4]))).toBe(0);
    expect(parity([x], (t) => tf.slice(t, [0, 0, 3], [-1, -1, 3]))).toBe(0);
    expect(parity([x], (t) => tf.split(t, 3, -1))).toBe(0);
    expect(
      parity([x], (t) =>
        tf.pad(
          t,
          [
            [1, 0],
            [0, 2],
            [3, 1],
          ],
          0.5,
        ),
      ),
    ).toBe(0);
    expect(parity([x, host([4, 6, 2], 2)], (a, b) => tf.concat([a, b], -1))).toBe(0);
    expect(parity([x, host([1, 6, 9], 2)], (a, b) => tf.concat([a, b, a], 0))).toBe(0);
    const g = (t: tf.Tensor, w: tf.Tensor) =>
      tf.grad((p: tf.Tensor) => {
        const [q, k, v] = tf.split(p, 3, -1);
        return tf.sum(tf.mul(tf.concat([v!, q!, k!], -1), w));
      })(t);
    expect(parity([x, host([4, 6, 9], 3)], (t, w) => g(t, w))).toBeLessThan(1e-6);
  });

  it('split with explicit sizes, unstack along every axis, and their gradients match cpu', () => {
    const x = host([8, 2, 2304], 1);
    expect(parity([x], (t) => tf.split(t, [384, 768, 1152], -1))).toBe(0);
    expect(parity([x], (t) => tf.split(t, 6, 2))).toBe(0);
    for (const axis of [0, 1, 2]) expect(parity([host([3, 4, 5], 2)], (t) => tf.unstack(t, axis))).toBe(0);
    const g = (t: tf.Tensor) => tf.grad((p: tf.Tensor) => tf.addN(tf.unstack(tf.square(p), 1)).sum())(t);
    expect(parity([host([3, 4, 5], 3)], g)).toBeLessThan(1e-6);
  });

  it('unsortedSegmentSum (the gradient of an embedding gather) sums rows per segment like cpu', () => {
    const ids: Host = { values: Int32Array.from([3, 0, 3, 7, 0]), shape: [5], dtype: 'int32' };
    const x = host([5, 6], 1);
    expect(parity([x, ids], (t, i) => tf.unsortedSegmentSum(t, i as tf.Tensor1D, 9))).toBe(0);
    const table = host([9, 6], 2);
    const g = (e: tf.Tensor, i: tf.Tensor, w: tf.Tensor) =>
      tf.grad((p: tf.Tensor) => tf.sum(tf.mul(tf.gather(p, i), w)))(e);
    expect(parity([table, ids, host([5, 6], 3)], g)).toBeLessThan(1e-6);
  });
});
