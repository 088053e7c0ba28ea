/**
 * What a video DiT is conditioned on besides t, each as the inputs and layers it adds, their count and the
 * condition samplers feed, side by side, so the model (`video-dit.ts`), its cost (`cost.ts`) and the family's
 * `condition` read one table (the U-Net family reads it too, with c its timestep embedding):
 *   class:    y (B, 1) -> label embedding, added to c = t_emb (adaLN-Zero modulation)
 *   caption:  caption_ids, caption_mask (B, M) -> text encoder -> every block cross-attends to the words; with
 *             text.pooled the mean of the encoded words, through an MLP, is added to c as well
 *   none:     c = t_emb
 */
import * as tfl from '@tensorflow/tfjs-layers';
import { LabelEmbedder, Mlp, PoolTokens, sym, type Sym } from '@vtx/core';
import type { Context } from '../blocks/dit-branches.js';
import { add, linear, table, type Cost } from '../costs/count.js';
import type { Condition } from '../sampling/condition.js';
import { textEncoder, textEncoderCost } from '../text/text-encoder.js';
import { Tokenizer } from '../text/tokenizer.js';
import type { VideoDiTCondition, VideoDiTConfig } from './config.js';

/** The config fields a condition reads; the U-Net family (`unet/`) conditions the same way through them. */
export type ConditionFields = Pick<VideoDiTConfig, 'numClasses' | 'classDropProb' | 'text'>;

interface ConditionImpl {
  /** Adds the condition's inputs to `inputs`; c (B, D) is t's embedding; returns the blocks' c and context. */
  build(
    cfg: ConditionFields,
    c: Sym,
    inputs: tfl.SymbolicTensor[],
    width: number,
  ): { c: Sym; context: Context | null };
  /** The count of the layers it adds, and the context blocks cross-attend to (m vectors of width dc). */
  cost(cfg: ConditionFields, d: number): { cost: Cost; cross: { m: number; dc: number } | null };
  /** What samplers feed the model (`conditionTensors`). */
  condition(cfg: ConditionFields): Condition;
}

const plusC = (c: Sym, e: Sym): Sym => sym(tfl.layers.add({ name: 'c' }), c, e); // (B, D)

export const VIDEO_DIT_CONDITION: Record<VideoDiTCondition, ConditionImpl> = {
  class: {
    build(cfg, c, inputs, width) {
      const yIn = tfl.input({ shape: [1], name: 'y' });
      inputs.push(yIn);
      const labels = new LabelEmbedder({
        numClasses: cfg.numClasses,
        width,
        dropProb: cfg.classDropProb,
        name: 'y_embedder',
      });
      return { c: plusC(c, sym(labels, yIn)), context: null };
    },
    // the embedding table has a row for the null class of classifier-free guidance when labels are dropped
    cost: (cfg, d) => ({ cost: table((cfg.numClasses + (cfg.classDropProb > 0 ? 1 : 0)) * d), cross: null }),
    condition: (cfg) => ({ kind: 'class', numClasses: cfg.numClasses }),
  },
  caption: {
    build(cfg, c, inputs, width) {
      const ids = tfl.input({ shape: [cfg.text.maxLength], name: 'caption_ids' });
      const mask = tfl.input({ shape: [cfg.text.maxLength], name: 'caption_mask' });
      inputs.push(ids, mask);
      const context = { ctx: textEncoder(ids, mask, cfg.text, 'text_encoder'), mask }; // (B, M, Dt)
      if (!cfg.text.pooled) return { c, context };
      const pooled = sym(new PoolTokens({ name: 'text_pool' }), context.ctx, mask); // (B, Dt), words only
      const embedder = new Mlp({ hidden: width, outDim: width, gelu: 'tanh', name: 'pooled_text_embedder' });
      return { c: plusC(c, sym(embedder, pooled)), context };
    },
    cost(cfg, d) {
      const encoder = textEncoderCost(cfg.text);
      const pooled = cfg.text.pooled ? add(linear(1, cfg.text.width, d), linear(1, d, d)) : add();
      return { cost: add(encoder, pooled), cross: { m: cfg.text.maxLength, dc: cfg.text.width } };
    },
    condition: (cfg) => ({
      kind: 'caption',
      tokenizer: new Tokenizer(cfg.text.vocab, cfg.text.maxLength),
      dropProb: cfg.classDropProb,
    }),
  },
  none: {
    build: (_cfg, c) => ({ c, context: null }),
    cost: () => ({ cost: add(), cross: null }),
    condition: () => ({ kind: 'none' }),
  },
};
