/**
 * The wasm overrides of packages/core/src/backend/wasm-reduce.ts (reductions and transposes over merged axes,
 * copy-free Identity) against the `cpu` backend, on the rank-5 shapes of the video workloads and on edge cases
 * (size-1 axes, keepDims, all axes, non-mergeable permutations). They live here with the other kernel parity
 * tests of the performance work.
 */
import * as tf from '@tensorflow/tfjs-core';
import { selectBackend } from '@vtx/core';
import { beforeAll, describe, expect, it } from 'vitest';
import { host, relErr, type Host } from './helpers.js';

function onBoth(inputs: Host[], f: (...xs: tf.Tensor[]) => tf.Tensor): number {
  const run = (backend: string) => {
    void tf.setBackend(backend);
    return tf.tidy(() => {
      const out = f(...inputs.map((h) => tf.tensor(h.values.slice(), h.shape, h.dtype)));
      return { values: out.dataSync().slice(), shape: out.shape };
    });
  };
  const w = run('wasm');
  const c = run('cpu');
  expect(w.shape).toEqual(c.shape);
  return relErr(w.values, c.values);
}

beforeAll(async () => {
  await selectBackend({ override: 'wasm' }); // installs the wasm fixes
  await tf.setBackend('cpu');
});

describe('wasm reductions over merged axes', () => {
  const shape = [2, 3, 1, 4, 5];
  const cases: (number | number[])[] = [
    [0, 1, 2, 3],
    [0, 1],
    [3, 4],
    [1, 3],
    [0, 2, 4],
    -1,
    [0, 1, 2, 3, 4],
    2,
  ];
  for (const [name, op] of [
    ['sum', tf.sum],
    ['mean', tf.mean],
    ['max', tf.max],
    ['min', tf.min],
    ['prod', tf.prod],
  ] as const)
    it(`${name} of a rank-5 tensor matches cpu for every axis set, with and without keepDims`, () => {
      for (const axis of cases)
        for (const keep of [false, true])
          expect(
            onBoth([host(shape, 1, 0.7)], (x) => op(x, axis, keep)),
            `${String(axis)}`,
          ).toBeLessThan(2e-6);
    });

  it('the ViViT bias gradient shape: (8, 4, 8, 8, 192) summed over the leading axes', () => {
    expect(onBoth([host([8, 4, 8, 8, 24], 2)], (x) => tf.sum(x, [0, 1, 2, 3]))).toBeLessThan(1e-5);
  });
});

describe('wasm transpose over merged axes and Identity', () => {
  it('rank-5/6 permutations (patchify, head split) match cpu', () => {
    const perms: [number[], number[]][] = [
      [
        [2, 4, 2, 4, 2, 3],
        [0, 2, 4, 1, 3, 5],
      ],
      [
        [2, 3, 4, 5, 6],
        [0, 2, 1, 3, 4],
      ],
      [
        [2, 3, 4, 5, 6],
        [4, 3, 2, 1, 0],
      ],
      [
        [1, 3, 1, 5, 2],
        [2, 1, 0, 4, 3],
      ],
    ];
    for (const [s, p] of perms) expect(onBoth([host(s, 3)], (x) => tf.transpose(x, p))).toBe(0);
  });

  it('identity shares the buffer and survives the disposal of its input', () => {
    void tf.setBackend('wasm');
    const x = tf.tensor([1, 2, 3, 4]);
    const y = tf.clone(x);
    x.dispose();
    expect(Array.from(y.dataSync())).toEqual([1, 2, 3, 4]);
    y.dispose();
    void tf.setBackend('cpu');
  });
});
