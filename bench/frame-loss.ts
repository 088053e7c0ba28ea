/**
 * Does a frame-conditioned run use its given frames? The velocity MSE of frames 2-3 of 64 held-out bouncing-shapes
 * clips (dataset seed 1234, empty caption, seeded noise) at three noise levels, with 0, 1 or 2 leading frames given
 * clean and flagged, as in training. A model that ignored them would score the same in every column.
 *   node --conditions=@vtx/source --import tsx bench/frame-loss.ts RUN [CHECKPOINT]
 */
import * as tf from '@tensorflow/tfjs-core';
import { SyntheticSpec, shapesClip } from '@vtx/data';
import { conditionTensors, type FlowProcess } from '@vtx/models';
import { loadRun, startBackend } from '@vtx/train';
import { seededNormal } from '@vtx/core';
await startBackend();
const run = await loadRun(process.argv[2]!, process.argv[3] ? { checkpoint: process.argv[3] } : {});
const n = 64;
const spec = SyntheticSpec.parse({
  kind: 'synthetic',
  count: n,
  frames: 4,
  height: 16,
  width: 16,
  seed: 1234,
});
const flat = new Float32Array(n * 4 * 16 * 16 * 3);
for (let i = 0; i < n; i++)
  flat.set(
    Float32Array.from(shapesClip(spec, i, [4, 16, 16]).data, (v) => v / 127.5 - 1),
    i * 3072,
  );
const x0 = tf.tensor(flat, [n, 4, 16, 16, 3]);
const flow = (run.process as FlowProcess).flow;
const cond = conditionTensors(run.condition!, null, new Array<string>(n).fill(''), n);
for (const tau of [0.2, 0.5, 0.8]) {
  const t = tf.fill<tf.Rank.R1>([n], tau * 1000);
  const noise = seededNormal(x0.shape, 7);
  const xt = flow.interpolate(x0, noise, t);
  const target = tf.sub(x0, noise);
  const res: string[] = [];
  for (const k of [0, 1, 2]) {
    const mask = tf
      .tensor(
        Array.from({ length: 4 }, (_, f) => (f < k ? 1 : 0)),
        [1, 4, 1, 1, 1],
      )
      .tile([n, 1, 1, 1, 1]);
    const x = tf.add(tf.mul(mask, x0), tf.mul(tf.sub(1, mask), xt));
    const flags = mask.reshape([n, 4]);
    const v = run.model.apply([x, t.reshape([n, 1]), flags, ...cond]) as tf.Tensor;
    const gen = (a: tf.Tensor) => tf.slice(a, [0, 2], [n, 2]);
    res.push(
      `${k} given: ${tf
        .mean(tf.squaredDifference(gen(v), gen(target)))
        .dataSync()[0]!
        .toFixed(4)}`,
    );
  }
  console.log(`tau ${tau}: MSE of frames 2-3 with ${res.join(', ')}`);
}
