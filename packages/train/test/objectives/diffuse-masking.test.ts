/**
 * The diffusion objective with MaskDiT's token masking (`model.maskRatio`): each training clip keeps
 * N − round(ratio·N) tokens drawn from the step's seed (the same seed, the same mask; row-wise, so data-parallel
 * halves see the whole batch's rows), the model's blocks see the kept tokens only, the loss is the velocity MSE
 * over the kept tokens' pixels (checked against host arrays of what the model was fed and gave), and the mask is
 * cleared after the step, so evaluation and sampling run every token.
 */
import * as tf from '@tensorflow/tfjs-core';
import { setSeed, withBatchPart } from '@vtx/core';
import {
  DiffusionConfig,
  ModelConfig,
  buildModel,
  conditionOf,
  makeProcess,
  tokenDroppers,
  tokenMaskingOf,
} from '@vtx/models';
import { describe, expect, it } from 'vitest';
import { DiffuseObjective } from '../../src/objectives/diffuse.js';
import { sineBatch } from './sine-batch.js';

const cfg = ModelConfig.parse({
  kind: 'video-dit',
  depth: 1,
  width: 16,
  heads: 2,
  patch: [1, 2, 2],
  attention: 'joint',
  condition: 'none',
  maskRatio: 0.6,
});
const clip = [2, 4, 4, 2] as const; // a (2, 2, 2) token grid: N = 8, K = 8 - round(4.8) = 3

const batch = (rows: number, offset = 0) => sineBatch(clip, rows, offset);

describe('DiffuseObjective with token masking', () => {
  const process = makeProcess(DiffusionConfig.parse({ process: 'rectified-flow', learnSigma: false }));

  it('trains on the seeded kept tokens only, and leaves no mask behind', () => {
    setSeed(1);
    const model = buildModel(cfg, [...clip], process);
    model.trainableWeights.forEach((w, i) =>
      w.write(tf.add(w.read(), tf.randomNormal(w.shape as number[], 0, 0.2, 'float32', 10 + i))),
    );
    const drop = tokenDroppers(model)[0]!;
    const masks: number[][] = [];
    const setMask = drop.setMask.bind(drop);
    drop.setMask = (keep: Int32Array | null, b?: number, n?: number) => {
      if (keep) masks.push(Array.from(keep));
      setMask(keep, b, n);
    };
    const fed: { x: Float32Array; t: Float32Array; out: Float32Array }[] = [];
    const apply = model.apply.bind(model);
    model.apply = (inputs: tf.Tensor[], kwargs: object) => {
      const out = apply(inputs, kwargs) as tf.Tensor;
      fed.push({
        x: inputs[0]!.dataSync() as Float32Array,
        t: inputs[1]!.dataSync() as Float32Array,
        out: out.dataSync() as Float32Array,
      });
      return out;
    };
    const objective = new DiffuseObjective(model, process, conditionOf(cfg), 7, null, tokenMaskingOf(cfg));
    const loss = objective.loss(batch(4), 3).loss.dataSync()[0]!;
    expect(drop.mask).toBeNull();
    expect(masks).toHaveLength(1);
    const keep = masks[0]!;
    expect(keep).toHaveLength(4 * 3);

    // the loss from host arrays: eps from x_t = (1 - tau) x0 + tau eps, the target x0 - eps, kept pixels only
    const x0 = batch(4).clips;
    const { x, t, out } = fed[0]!;
    const per = clip.reduce((a, b) => a * b, 1);
    let total = 0;
    for (let s = 0; s < 4; s++) {
      const tau = t[s]! / 1000;
      const kept = new Set(keep.slice(s * 3, s * 3 + 3));
      let sum = 0;
      let count = 0;
      for (let i = 0; i < per; i++) {
        const w = Math.floor(i / 2) % 4;
        const h = Math.floor(i / 8) % 4;
        const f = Math.floor(i / 32);
        const token = f * 4 + Math.floor(h / 2) * 2 + Math.floor(w / 2);
        const j = s * per + i;
        if (!kept.has(token)) {
          expect(out[j]).toBe(0); // the dropped tokens' output
          continue;
        }
        const eps = (x[j]! - (1 - tau) * x0[j]!) / tau;
        sum += (out[j]! - (x0[j]! - eps)) ** 2;
        count++;
      }
      expect(count).toBe(3 * 4 * 2);
      total += sum / count;
    }
    expect(loss).toBeCloseTo(total / 4, 3);

    // the same seed and step: the same mask and loss; another step: another mask
    expect(objective.loss(batch(4), 3).loss.dataSync()[0]).toBe(loss);
    expect(masks[1]).toEqual(keep);
    objective.loss(batch(4), 4);
    expect(masks[2]).not.toEqual(keep);

    // row-wise: data-parallel halves draw the whole batch's rows
    const halves = [0, 2].map(
      (offset) =>
        withBatchPart({ offset, global: 4 }, () => objective.loss(batch(2, offset), 3)).loss.dataSync()[0]!,
    );
    expect(masks[3]).toEqual(keep.slice(0, 6));
    expect(masks[4]).toEqual(keep.slice(6));
    expect(Math.abs((halves[0]! + halves[1]!) / 2 - loss)).toBeLessThan(1e-5);
    expect(drop.mask).toBeNull();
  });
});
