/**
 * The U-Net family beyond the zoo's common checks (`zoo.test.ts` runs those on its tiny cases): one set of weights at
 * several image sizes and clip lengths, frames mixed only by the video form's temporal attention, the presets'
 * closed-form counts against built models, the multiply-adds of a small U-Net counted by hand, ADM's layout, and
 * clear errors.
 */
import * as tf from '@tensorflow/tfjs-core';
import type * as tfl from '@tensorflow/tfjs-layers';
import { setSeed } from '@vtx/core';
import {
  ModelConfig,
  buildModel,
  conditionOf,
  modelCost,
  modelName,
  modelPatch,
  preset,
  unetDims,
  unetLayout,
  type ClipShape,
  type UNetConfig,
} from '@vtx/models';
import { afterEach, describe, expect, it } from 'vitest';
import { inputsFor, maxAbsDiff, tinyUNet } from './helpers.js';

afterEach(() => tf.disposeVariables());

const tiny = { ...tinyUNet, numClasses: 3 } as const;

/** A model with every weight perturbed (so the zero-initialised branches and output matter). */
function perturbed(cfg: ModelConfig, clip: ClipShape) {
  setSeed(1);
  const m = buildModel(cfg, clip);
  for (const w of m.trainableWeights)
    w.write(tf.add(w.read(), tf.randomNormal(w.shape as number[], 0, 0.1, 'float32', 2)));
  return m;
}

describe('the U-Net family', () => {
  it('runs one set of weights at several image sizes, and the video form at several clip lengths', () => {
    const image = perturbed(ModelConfig.parse(tiny), [1, 8, 8, 2]);
    for (const [h, w] of [
      [4, 4],
      [8, 12],
      [6, 2],
    ] as const) {
      const y = image.apply([
        tf.randomNormal([2, 1, h, w, 2]),
        tf.tensor2d([[3], [700]]),
        tf.tensor2d([[0], [2]]),
      ]);
      expect((y as tf.Tensor).shape).toEqual([2, 1, h, w, 4]);
    }
    const video = perturbed(ModelConfig.parse({ ...tiny, temporal: true }), [4, 4, 4, 2]);
    for (const t of [1, 2, 5]) {
      const y = video.apply([tf.randomNormal([1, t, 4, 4, 2]), tf.tensor2d([[5]]), tf.tensor2d([[1]])]);
      expect((y as tf.Tensor).shape).toEqual([1, t, 4, 4, 4]);
    }
  });

  it('mixes frames only in the video form: a change to frame 0 reaches frame 1 through temporal attention', () => {
    const clip: ClipShape = [2, 4, 4, 2];
    const frame1 = (m: tfl.LayersModel, x: tf.Tensor) =>
      (m.apply([x, tf.tensor2d([[10]]), tf.tensor2d([[1]])]) as tf.Tensor).slice([0, 1], [1, 1]);
    const x = tf.randomNormal([1, ...clip], 0, 1, 'float32', 3);
    const changed = tf.concat([tf.add(x.slice([0, 0], [1, 1]), 1), x.slice([0, 1], [1, 1])], 1);
    const image = perturbed(ModelConfig.parse(tiny), clip);
    expect(maxAbsDiff(frame1(image, x), frame1(image, changed))).toBe(0);
    const video = perturbed(ModelConfig.parse({ ...tiny, temporal: true }), clip);
    expect(maxAbsDiff(frame1(video, x), frame1(video, changed))).toBeGreaterThan(1e-3);
  });

  it('the video form knows the frame order: swapping two frames does not just swap the outputs', () => {
    const video = perturbed(ModelConfig.parse({ ...tiny, temporal: true }), [2, 4, 4, 2]);
    const run = (x: tf.Tensor) => video.apply([x, tf.tensor2d([[10]]), tf.tensor2d([[1]])]) as tf.Tensor;
    const x = tf.randomNormal([1, 2, 4, 4, 2], 0, 1, 'float32', 4);
    const swap = (v: tf.Tensor) => tf.reverse(v, 1);
    expect(maxAbsDiff(run(swap(x)), swap(run(x)))).toBeGreaterThan(1e-3);
  });

  it.each(['UNet-tiny', 'UNet-S', 'VideoUNet-tiny'])(
    '%s: the closed-form count equals the built weights',
    (name) => {
      const { model, clip } = preset(name);
      setSeed(2);
      const m = buildModel(model, clip);
      const built = m.trainableWeights.reduce((n, w) => n + w.shape.reduce((a, b) => a! * b!, 1)!, 0);
      expect(modelCost(model, clip).params).toBe(built);
    },
  );

  it('counts the multiply-adds of a one-level U-Net by hand', () => {
    // channels 4, one level, one block, 1 group, one 4-channel head, unconditional, C = 1, 4x4 pixels (n = 16);
    // 2 output channels: the default process learns the variance (2C)
    const cfg = ModelConfig.parse({
      kind: 'unet',
      channels: 4,
      channelMult: [1],
      resBlocks: 1,
      attentionAt: [],
      headChannels: 4,
      groups: 1,
      condition: 'none',
    });
    const n = 16;
    const conv = (cin: number, cout: number, k = 3) => n * k * k * cin * cout;
    const res = (cin: number) => conv(cin, 4) + conv(4, 4) + 16 * 8 + (cin === 4 ? 0 : conv(cin, 4, 1));
    const attention = n * 4 * 12 + n * 4 * 4 + 2 * n * n * 4; // qkv, proj, QKᵀ and AV over 16 tokens
    const time = 4 * 16 + 16 * 16; // 4 sinusoidal features -> 16 -> 16
    const macs =
      time +
      conv(1, 4) + // input_blocks.0
      res(4) + // input_blocks.1
      2 * res(4) +
      attention + // middle_block
      2 * res(8) + // output_blocks.0, .1: each concatenates a 4-channel skip
      conv(4, 2); // out.2
    const cost = modelCost(cfg, [1, 4, 4, 1]);
    expect(cost.gflops * 1e9).toBeCloseTo(macs, 3);
    expect(cost.trainGflops).toBeCloseTo(3 * cost.gflops, 12);
  });

  it("lays out ADM-64's blocks as guided-diffusion does: 16 input blocks, 16 output blocks, 3 attention levels", () => {
    const cfg = preset('ADM-64').model as UNetConfig;
    const steps = unetLayout(cfg, unetDims(cfg));
    const blocks = (prefix: string) =>
      new Set(steps.filter((s) => s.name.startsWith(prefix)).map((s) => s.name.split('.')[1]));
    expect(blocks('input_blocks').size).toBe(16); // stem + 4 levels x 3 blocks + 3 downsamples
    expect(blocks('output_blocks').size).toBe(16); // 4 levels x 4 blocks
    const attnAt = new Set(steps.filter((s) => s.op === 'attn').map((s) => s.ds));
    expect([...attnAt].sort()).toEqual([2, 4, 8]);
    // each level but the first ends in an upsample, after its last block's attention (guided-diffusion's indices)
    const ups = steps.filter((s) => s.op === 'up').map((s) => s.name);
    expect(ups).toEqual(['output_blocks.3.2', 'output_blocks.7.2', 'output_blocks.11.2']);
    expect(modelPatch(cfg)).toEqual({ key: 'channelMult', patch: [1, 8, 8] });
    expect(modelName(cfg)).toBe('UNet-192x1-2-3-4');
    const { params, gflops } = modelCost(cfg, [1, 64, 64, 3]);
    expect(params).toBeGreaterThan(2e8);
    expect(gflops).toBeGreaterThan(50);
  });

  it('is conditioned like the video DiT: class labels, a caption, or nothing', () => {
    expect(conditionOf(ModelConfig.parse(tiny))).toEqual({ kind: 'class', numClasses: 3 });
    expect(conditionOf(ModelConfig.parse({ ...tiny, condition: 'none' }))).toEqual({ kind: 'none' });
    const caption = ModelConfig.parse({
      ...tiny,
      condition: 'caption',
      text: { vocab: ['a'], maxLength: 3 },
    });
    expect(conditionOf(caption).kind).toBe('caption');
    const m = buildModel(caption, [1, 4, 4, 1]);
    expect(m.inputs.map((i) => i.name.replace(/_\d+$/, ''))).toEqual([
      'x',
      't',
      'caption_ids',
      'caption_mask',
    ]);
    const y = m.apply(inputsFor(m, caption, [1, 4, 4, 1])) as tf.Tensor;
    expect(y.shape).toEqual([2, 1, 4, 4, 2]);
  });

  it('says what is wrong with a config or a clip', () => {
    const cfg = ModelConfig.parse(tiny);
    expect(() => modelCost(cfg, [1, 6, 5, 2])).toThrow(
      /UNet-8x1-2: clip 1x6x5 is not divisible by patch 1x2x2/,
    );
    expect(() => modelCost(ModelConfig.parse({ ...tiny, groups: 3 }), [1, 4, 4, 2])).toThrow(
      /channels 8 are not divisible into 3 groups/,
    );
    expect(() => modelCost(ModelConfig.parse({ ...tiny, attentionAt: [4] }), [1, 4, 4, 2])).toThrow(
      /attentionAt 4 is not a downsampling factor/,
    );
    expect(() => modelCost(ModelConfig.parse({ ...tiny, headChannels: 3 }), [1, 4, 4, 2])).toThrow(
      /16 channels are not divisible into heads of 3/,
    );
    expect(ModelConfig.safeParse({ ...tiny, chanels: 8 }).success).toBe(false);
  });
});
