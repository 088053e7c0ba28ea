/**
 * DataParallel's reduction: with a fake group of two ranks whose peer contributes known values, the reduced
 * gradients, loss, metrics and stop flag are the sums; evaluation metrics are averaged by rows; parameters
 * broadcast from rank 0.
 */
import * as tf from '@tensorflow/tfjs-core';
import { getRngState, setRngState } from '@vtx/core';
import type { Communicator } from '@vtx/mpi';
import { describe, expect, it } from 'vitest';
import { DataParallel } from '../src/parallel.js';

/** A group of two whose peer holds `peer` (added by allreduceSum) and whose rank 0 broadcasts `root`. */
function fakeGroup(peer: (length: number) => number[], root?: Float32Array): Communicator {
  return {
    rank: 1,
    size: 2,
    localSize: 2,
    kind: 'mpi',
    barrier() {},
    broadcast(b) {
      if (root) b.set(root.subarray(0, b.length));
    },
    allreduceSum(b) {
      const p = peer(b.length);
      for (let i = 0; i < b.length; i++) b[i]! += p[i]!;
    },
    abort(code): never {
      throw new Error(`abort ${code}`);
    },
    finalize() {},
  };
}

describe('DataParallel', () => {
  it('sums weighted gradients, loss, metrics and the stop flag over ranks in one fused all-reduce', async () => {
    let calls = 0;
    // the peer's contribution: scalars [loss 0.5, stop 0, metric 0.25], then gradient 'a' of ones, 'b' of twos
    const dp = new DataParallel(
      fakeGroup((n) => {
        calls++;
        return n === 3 + 4 + 2 ? [0.5, 0, 0.25, 1, 1, 1, 1, 2, 2] : Array<number>(n).fill(NaN);
      }),
    );
    const grads = { b: tf.tensor1d([10, 20]), a: tf.tensor2d([1, 2, 3, 4], [2, 2]) };
    const r = await dp.reduce(grads, 1.5, { top1: 0.75 }, true);
    expect(calls).toBe(1);
    expect(r.loss).toBe(2);
    expect(r.stop).toBe(true);
    expect(r.metrics).toEqual({ top1: 1 });
    expect(r.grads['a']!.shape).toEqual([2, 2]);
    expect(Array.from(await r.grads['a']!.data())).toEqual([2, 3, 4, 5]);
    expect(Array.from(await r.grads['b']!.data())).toEqual([12, 22]);
    tf.dispose([...Object.values(grads), ...Object.values(r.grads)]);
  });

  it('averages evaluation metrics by the rows (or items) behind each, with rank 0’s metric names', () => {
    // rank 0 sends its names (length, then UTF-8 bytes); the peer adds [Σ mean·weight, Σ weight] per name
    const names = new TextEncoder().encode(JSON.stringify(['val/loss', 'val/loss_q0']));
    const sent: ArrayLike<number>[] = [Float64Array.from([names.length]), names];
    const group = fakeGroup(() => [60, 30, 2, 1]);
    group.broadcast = (b) => b.set(sent.shift()!);
    const dp = new DataParallel(group);
    // here 10 rows of loss 1; the quartile's mean is over its own 4 rows; a metric rank 0 lacks is dropped
    const ev = dp.reduceEval(
      { 'val/loss': 1, 'val/loss_q0': 0.5, 'val/extra': 9 },
      { 'val/loss': 10, 'val/loss_q0': 4 },
    );
    expect(ev).toEqual({ 'val/loss': 70 / 40, 'val/loss_q0': (0.5 * 4 + 2) / 5 });
    expect(sent).toEqual([]);
  });

  it('a rank that evaluated nothing adds no weight (its NaN means are left out)', () => {
    const names = new TextEncoder().encode(JSON.stringify(['val/top1']));
    const sent: ArrayLike<number>[] = [Float64Array.from([names.length]), names];
    const group = fakeGroup(() => [0.75 * 8, 8]);
    group.broadcast = (b) => b.set(sent.shift()!);
    expect(new DataParallel(group).reduceEval({ 'val/top1': NaN }, 0)).toEqual({ 'val/top1': 0.75 });
  });

  it('an empty micro-batch gives zero gradients of the learned shapes and advances the seed stream', async () => {
    const dp = new DataParallel(fakeGroup(() => []));
    expect(() => dp.empty()).toThrow(/no rows in its first micro-batch.*data.batchSize >= 2/);
    const g = { w: tf.ones([2, 3]) };
    dp.learn(g, ['top1'], 3);
    setRngState({ seed: 5, counter: 10 });
    const e = dp.empty();
    expect(getRngState()).toEqual({ seed: 5, counter: 13 });
    expect(e.metrics).toEqual({ top1: 0 });
    expect(e.grads['w']!.shape).toEqual([2, 3]);
    expect(Array.from(await e.grads['w']!.data())).toEqual([0, 0, 0, 0, 0, 0]);
    tf.dispose([g.w, e.grads['w']!]);
  });

  it('makes every rank’s seed stream rank 0’s', () => {
    const group = fakeGroup(() => []);
    group.broadcast = (b) => b.set([7, 42]);
    setRngState({ seed: 1, counter: 2 });
    new DataParallel(group).syncRng();
    expect(getRngState()).toEqual({ seed: 7, counter: 42 });
  });

  it('makes every rank’s parameters rank 0’s', async () => {
    const root = Float32Array.from([7, 8, 9]);
    const dp = new DataParallel(fakeGroup(() => [], root));
    const v = tf.variable(tf.tensor1d([1, 2, 3]));
    await dp.broadcastParams([{ name: 'w', variable: v }]);
    expect(Array.from(await v.data())).toEqual([7, 8, 9]);
    expect(dp.writes).toBe(false); // rank 1 does not write the run directory
    v.dispose();
  });
});
