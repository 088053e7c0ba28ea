/**
 * The trainer's AdamW takes the same steps with @vtx/backend-native's fused kernel as with composed tfjs ops, and
 * on native updates every parameter in one kernel call per step.
 */
import * as tf from '@tensorflow/tfjs-core';
import { selectBackend } from '@vtx/core';
import { afterAll, describe, expect, it } from 'vitest';
import { AdamW } from '@vtx/train';
import { FUSED_ADAMW } from '../../src/optim/adamw.js';

afterAll(async () => {
  await selectBackend({ override: 'cpu' });
});

/** Three AdamW steps on two parameters (one decayed, one not) with fixed gradients; the final values. */
function run(onStep: (apply: () => void) => void = (apply) => apply()): number[][] {
  const w = tf.variable(
    tf.tensor2d([
      [0.5, -1.5, 2.0],
      [0.1, 0.0, -0.3],
    ]),
    true,
    'w/kernel',
  );
  const b = tf.variable(tf.tensor1d([0.2, -0.2, 0.7]), true, 'w/bias');
  const opt = new AdamW(
    [
      { name: 'w/kernel', variable: w },
      { name: 'w/bias', variable: b },
    ],
    { lr: 0.1, weightDecay: 0.05 },
  );
  for (let i = 0; i < 3; i++) {
    opt.lr = 0.1 / (i + 1);
    const grads = {
      [w.name]: tf.tensor2d([
        [0.3, -0.1, 0.5 * i],
        [1.0, 2.0, -0.5],
      ]),
      [b.name]: tf.tensor1d([0.05, -0.4, i]),
    };
    onStep(() => opt.apply(grads));
    tf.dispose(Object.values(grads));
  }
  const out = [Array.from(w.dataSync()), Array.from(b.dataSync())];
  opt.dispose();
  tf.dispose([w, b]);
  return out;
}

describe('fused AdamW', () => {
  it('equals the composed update', async (ctx) => {
    const composed = run(); // cpu: no fused kernel
    const native = await selectBackend({ override: 'native', importer: (s) => import(s) }).catch(
      (e: unknown) => (e instanceof Error ? e : new Error(String(e))),
    );
    // reported as skipped, with why, where @vtx/backend-native's addon did not build
    if (native instanceof Error) ctx.skip(`the native backend does not start here: ${native.message}`);
    expect(tf.getKernel(FUSED_ADAMW, 'native')).toBeDefined();
    const profiles: ReturnType<typeof tf.profile>[] = [];
    const fused = run((apply) => {
      const before = tf.memory().numTensors;
      profiles.push(tf.profile(apply)); // runs apply now; the kernel list resolves later
      // the update leaves nothing behind: each variable and moment holds its new value, the old ones are freed
      expect(tf.memory().numTensors).toBe(before);
    });
    const kernels = (await Promise.all(profiles)).map((p) => p.kernelNames);
    expect(kernels).toEqual([[FUSED_ADAMW], [FUSED_ADAMW], [FUSED_ADAMW]]);
    fused.forEach((vals, i) => vals.forEach((v, j) => expect(v).toBeCloseTo(composed[i]![j]!, 5)));
  });
});
