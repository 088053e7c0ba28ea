import * as tf from '@tensorflow/tfjs-core';
import { describe, expect, it } from 'vitest';
import { LeakGuard, NonFiniteError, TensorLeakError, checkFinite } from '../../src/guards/index.js';

describe('LeakGuard', () => {
  const w = tf.variable(tf.ones([4, 4]));
  const cleanStep = () => tf.tidy(() => void w.assign(tf.add(w, tf.matMul(w, w).mul(1e-3))));
  const kept: tf.Tensor[] = [];
  const leakyStep = () => {
    cleanStep();
    kept.push(tf.square(w)); // never disposed
  };

  it('stays quiet over a leak-free tfjs loop, with a one-off allocation during warmup', () => {
    const guard = new LeakGuard({ window: 5 });
    const lazyState = tf.zeros([2]); // e.g. optimizer slots created on the first step
    for (let s = 0; s < 30; s++) {
      cleanStep();
      expect(guard.check(s)).toBeUndefined();
    }
    lazyState.dispose();
  });

  it('throws on a real one-tensor-per-step leak, with the growth in the message', () => {
    const guard = new LeakGuard({ window: 5 });
    let error: unknown;
    try {
      for (let s = 0; s < 30; s++) {
        leakyStep();
        guard.check(s);
      }
    } catch (e) {
      error = e;
    }
    tf.dispose(kept.splice(0));
    expect(error).toBeInstanceOf(TensorLeakError);
    const report = (error as TensorLeakError).report;
    expect(report.perStep).toBeCloseTo(1, 5);
    expect((error as TensorLeakError).message).toMatch(
      /live tensors grew from \d+ to \d+ between steps 2 and \d+ \(\+1\.00\/step\)/,
    );
  });

  it('ignores periodic allocations (sawtooth) but warns when the floor rises, once per rise', () => {
    let n = 100;
    const warnings: string[] = [];
    const guard = new LeakGuard({
      window: 4,
      warmup: 0,
      mode: 'warn',
      warn: (m) => warnings.push(m),
      count: () => n,
    });
    for (let s = 0; s < 40; s++) {
      n = 100 + (s % 3 === 0 ? 5 : 0); // an eval every 3 steps holds 5 tensors for one step
      guard.check(s);
    }
    expect(warnings).toEqual([]);
    for (let s = 40; s < 50; s++) {
      n = 103; // the floor moved up by 3 and stays there
      guard.check(s);
    }
    expect(warnings).toHaveLength(1);
    expect(warnings[0]).toMatch(/from 100 to 103/);
    expect(guard.summary()).toEqual({ baseline: 103, last: 103 });
  });
});

describe('checkFinite', () => {
  it('passes finite values and names the non-finite quantity and step', () => {
    expect(() => checkFinite(5, { loss: 0.3, gradNorm: 12 })).not.toThrow();
    const e = (() => {
      try {
        checkFinite(17, { loss: 0.3, gradNorm: Infinity });
      } catch (x) {
        return x as NonFiniteError;
      }
    })();
    expect(e).toBeInstanceOf(NonFiniteError);
    expect(e).toMatchObject({ step: 17, quantity: 'gradNorm', value: Infinity });
    expect(e!.message).toBe('step 17: gradNorm is Infinity (non-finite); training stopped');
    expect(() => checkFinite(3, { loss: NaN })).toThrow('step 3: loss is NaN');
  });
});
