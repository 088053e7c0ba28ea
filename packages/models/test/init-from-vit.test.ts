/** ViViT initialised from an image ViT (ViViT §3.4): weights copied by name, tubelets inflated or central-frame. */
import * as tf from '@tensorflow/tfjs-core';
import { setSeed } from '@vtx/core';
import { ModelConfig, buildModel, initViViTFromViT } from '@vtx/models';
import { afterEach, describe, expect, it } from 'vitest';

afterEach(() => tf.disposeVariables());

const vitCfg = ModelConfig.parse({
  kind: 'vit',
  size: 'Ti',
  depth: 2,
  width: 16,
  heads: 2,
  patch: 4,
  numClasses: 3,
});
const vivit = (variant: string) =>
  ModelConfig.parse({
    kind: 'vivit',
    size: 'Ti',
    depth: 2,
    width: 16,
    heads: 2,
    patch: [2, 4, 4],
    numClasses: 3,
    variant,
    temporalDepth: 1,
  });

const weight = (m: ReturnType<typeof buildModel>, name: string) =>
  m.weights.find((w) => w.originalName === name)!.read();

describe('initViViTFromViT', () => {
  it.each(['spatio-temporal', 'factorised-encoder', 'factorised-self-attention'])(
    '%s: copies every encoder weight by name',
    (variant) => {
      setSeed(1);
      const vit = buildModel(vitCfg, [1, 8, 8, 3]);
      const model = buildModel(vivit(variant), [4, 8, 8, 3]);
      const r = initViViTFromViT(model, vit, 'central');
      const prefix = variant === 'factorised-encoder' ? 'spatial.' : '';
      const qkv = variant === 'factorised-self-attention' ? 'attn_space' : 'attn';
      expect(r.copied).toContain(`${prefix}blocks.1.${qkv}/qkv/kernel`);
      const diff = tf.max(
        tf.abs(
          tf.sub(
            weight(model, `${prefix}blocks.1.${qkv}/qkv/kernel`),
            weight(vit, 'blocks.1.attn/qkv/kernel'),
          ),
        ),
      );
      expect(diff.dataSync()[0]).toBe(0);
      if (variant === 'factorised-self-attention')
        expect(r.random).toContain('blocks.0.attn_time/qkv/kernel');
      if (variant === 'factorised-encoder') expect(r.random).toContain('temporal.blocks.0.attn/qkv/kernel');
    },
  );

  it('central-frame init: only the centre frame of each tubelet matters; inflation: a static clip embeds like an image', () => {
    setSeed(2);
    const vit = buildModel(vitCfg, [1, 8, 8, 3]);
    const frame = tf.randomNormal([1, 1, 8, 8, 3], 0, 1, 'float32', 3);
    const image = (vit.getLayer('patch_embed.proj').apply(frame) as tf.Tensor).dataSync(); // (1, 1, 2, 2, D)
    for (const mode of ['central', 'inflate'] as const) {
      const model = buildModel(vivit('spatio-temporal'), [2, 8, 8, 3]);
      initViViTFromViT(model, vit, mode);
      const clip =
        mode === 'central'
          ? tf.concat([tf.randomNormal([1, 1, 8, 8, 3], 0, 1, 'float32', 4), frame], 1)
          : tf.concat([frame, frame], 1);
      const tubelets = (model.getLayer('patch_embed.proj').apply(clip) as tf.Tensor).dataSync(); // (1, 1, 2, 2, D)
      const worst = Math.max(...Array.from(tubelets, (v, i) => Math.abs(v - image[i]!)));
      expect(worst, mode).toBeLessThan(1e-5);
    }
  });
});
