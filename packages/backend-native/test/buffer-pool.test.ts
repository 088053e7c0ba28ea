/**
 * Output-buffer recycling is invisible: values read out with dataSync() stay intact after their tensor is
 * disposed and the same-sized buffers are reused, views that cpu kernels keep into a buffer (a simple slice is a
 * subarray) survive the disposal of the tensor they view, and a recycled buffer is in fact reused.
 */
import * as tf from '@tensorflow/tfjs-core';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { BufferPool } from '../src/buffer-pool.js';
import { unavailable } from './helpers.js';

const N = 1 << 15; // above the pool's minimum size

describe.skipIf(unavailable)('native buffer recycling', () => {
  beforeEach(async () => void (await tf.setBackend('native')));
  afterEach(async () => void (await tf.setBackend('cpu')));

  it('dataSync() results are never recycled under the caller', () => {
    const x = tf.fill([N], 2);
    const y = tf.mul(x, 3); // native output buffer
    const read = y.dataSync();
    y.dispose();
    for (let i = 0; i < 4; i++) tf.mul(x, 5 + i).dispose(); // same size: would reuse y's buffer if it were free
    expect(read[0]).toBe(6);
    expect(read[N - 1]).toBe(6);
    x.dispose();
  });

  it('a view kept by another tensor survives the disposal of the viewed tensor', () => {
    const x = tf.fill([2, N], 1);
    const y = tf.add(x, 1); // native output, all 2
    const row = tf.slice(y, [1, 0], [1, N]); // may be a view or a copy; must read 2 either way
    y.dispose();
    for (let i = 0; i < 4; i++) tf.add(x, 10 + i).dispose();
    expect(row.dataSync()[0]).toBe(2);
    expect(row.dataSync()[N - 1]).toBe(2);
    tf.dispose([x, row]);
  });

  it('a tensor kept under two names (reshape) is recycled only after both are gone', () => {
    const x = tf.fill([N], 1);
    const y = tf.add(x, 1);
    const z = tf.reshape(y, [2, N / 2]);
    y.dispose();
    for (let i = 0; i < 4; i++) tf.add(x, 10 + i).dispose();
    expect(z.dataSync()[N - 1]).toBe(2);
    tf.dispose([x, z]);
  });
});

describe('BufferPool', () => {
  it('reuses a released buffer of the same length, and not a shared or escaped one', () => {
    const pool = new BufferPool(1 << 30);
    const a = pool.alloc(N);
    pool.stored(a);
    pool.released(a);
    expect(pool.alloc(N)).toBe(a);
    const b = pool.alloc(N);
    pool.stored(b);
    pool.stored(b.subarray(1)); // a view into b
    pool.released(b);
    expect(pool.alloc(N)).not.toBe(b);
    const c = pool.alloc(N);
    pool.stored(c);
    pool.escaped(c);
    pool.released(c);
    expect(pool.alloc(N)).not.toBe(c);
  });

  it('keeps at most its cap on the free lists', () => {
    const pool = new BufferPool(N * 4);
    const [a, b] = [pool.alloc(N), pool.alloc(N)];
    for (const t of [a, b]) {
      pool.stored(t);
      pool.released(t);
    }
    expect(pool.bytesFree).toBe(N * 4);
  });
});
