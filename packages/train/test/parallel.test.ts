/**
 * DataParallel's reduction: with a fake group of two ranks whose peer contributes known values, the reduced
 * gradients, loss, metrics and stop flag are the sums; evaluation metrics are averaged by rows; parameters
 * broadcast from rank 0.
 */
import * as tf from '@tensorflow/tfjs-core';
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

  it('averages evaluation metrics by the rows each rank evaluated', () => {
    // peer: 30 rows with loss 2 -> buffer [30, 60]; here 10 rows with loss 1: (10 + 60) / 40
    const dp = new DataParallel(fakeGroup(() => [30, 60]));
    expect(dp.reduceEval({ 'val/loss': 1 }, 10)).toEqual({ 'val/loss': 70 / 40 });
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
