/**
 * The diffusion objective with frame conditioning: the model gets each clip's drawn mask as its `given` input, and
 * every draw is row-wise, so a batch split across data-parallel ranks (withBatchPart) gives each rank the losses
 * one process computes for its rows: the whole batch's mean loss is the mean of its halves'.
 */
import * as tf from '@tensorflow/tfjs-core';
import { mix32, setSeed, withBatchPart } from '@vtx/core';
import {
  ModelConfig,
  buildModel,
  conditionOf,
  drawFrameMasks,
  frameConditioningOf,
  makeProcess,
  DiffusionConfig,
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
  condition: 'none',
  frameConditioning: {},
});
const clip = [4, 4, 4, 2] as const;

const batch = (rows: number, offset = 0) => sineBatch(clip, rows, offset);

describe('DiffuseObjective with frame conditioning', () => {
  const process = makeProcess(DiffusionConfig.parse({ process: 'rectified-flow', learnSigma: false }));

  it('feeds the drawn masks to the model and splits row-wise like one process', () => {
    setSeed(1);
    const model = buildModel(cfg, [...clip], process);
    model.trainableWeights.forEach((w, i) =>
      w.write(tf.add(w.read(), tf.randomNormal(w.shape as number[], 0, 0.2, 'float32', 10 + i))),
    );
    const seen: number[][] = [];
    const apply = model.apply.bind(model);
    model.apply = (inputs: tf.Tensor[], kwargs: object) => {
      seen.push(Array.from(inputs[2]!.dataSync()));
      return apply(inputs, kwargs);
    };
    const objective = new DiffuseObjective(model, process, conditionOf(cfg), 7, frameConditioningOf(cfg));
    const whole = objective.loss(batch(4), 3).loss.dataSync()[0]!;
    const want = drawFrameMasks(frameConditioningOf(cfg)!, 4, 4, mix32(mix32(7, 3), 3));
    expect(seen[0]).toEqual(Array.from(want));
    const halves = [0, 2].map(
      (offset) =>
        withBatchPart({ offset, global: 4 }, () => objective.loss(batch(2, offset), 3)).loss.dataSync()[0]!,
    );
    expect(Math.abs((halves[0]! + halves[1]!) / 2 - whole)).toBeLessThan(1e-5);
  });
});
