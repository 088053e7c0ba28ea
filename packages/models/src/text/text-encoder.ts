/**
 * A small trainable caption encoder (no downloaded weights): token embedding + learned positions + a few
 * pre-LN transformer blocks with a padding mask + final LayerNorm — a miniature of the T5/CLIP text towers
 * that Sora-style video DiTs condition on through cross-attention (PixArt-α, Latte, Open-Sora).
 *   ids (B, M) int, mask (B, M) -> context (B, M, Dt)
 */
import * as tfl from '@tensorflow/tfjs-layers';
import { FlattenGrid, LayerNorm, LearnedPosEmbed, nextSeed, normalSeed, sym, type Sym } from '@vtx/core';
import { z } from 'zod';
import { encoderBlock, encoderBlockCost } from '../blocks/encoder-block.js';
import { add, branchSets, layerNorm, table, times, type Cost } from '../costs/count.js';
import { posInt } from '../types.js';

export const TextEncoderConfig = z.strictObject({
  /** Caption vocabulary (words), built from the training captions; ids 0-2 are [PAD], [BOS], [UNK]. */
  vocab: z.array(z.string()).default([]),
  maxLength: posInt.default(24),
  width: posInt.default(128),
  depth: z.number().int().min(0).default(2),
  heads: posInt.default(4),
  /**
   * Also condition every block's adaLN on the caption as a whole: the mean of the encoded words, through an MLP to
   * the model width, added to the timestep embedding c (Imagen's pooled text embedding, SD3's pooled vector), as a
   * class label is. Cross-attention alone lets each patch read the words; the pooled vector reaches every token
   * through the modulation at once.
   */
  pooled: z.boolean().default(false),
});
export type TextEncoderConfig = z.infer<typeof TextEncoderConfig>;

export function textEncoder(ids: Sym, mask: Sym, cfg: TextEncoderConfig, name: string): Sym {
  const { width, maxLength } = cfg;
  const emb = tfl.layers.embedding({
    inputDim: cfg.vocab.length + 3,
    outputDim: width,
    embeddingsInitializer: tfl.initializers.randomNormal({ stddev: 0.02, seed: normalSeed(nextSeed()) }),
    name: `${name}.token_embedding`,
  });
  let x = sym(emb, ids); // (B, M, Dt)
  x = sym(tfl.layers.reshape({ targetShape: [maxLength, 1, 1, width], name: `${name}.as_grid` }), x); // (B, M, 1, 1, Dt)
  x = sym(new LearnedPosEmbed({ grid: [maxLength, 1, 1], name: `${name}.pos_embed` }), x);
  x = sym(new FlattenGrid({ name: `${name}.flatten` }), x); // (B, M, Dt)
  for (let i = 0; i < cfg.depth; i++) {
    x = encoderBlock(x, { heads: cfg.heads, mlpRatio: 4, axes: ['joint'] }, `${name}.blocks.${i}`, mask);
  }
  return sym(new LayerNorm({ epsilon: 1e-6, name: `${name}.norm` }), x); // (B, M, Dt)
}

/** The encoder's count: token and position tables, the blocks over M tokens, the final norm. */
export function textEncoderCost(cfg: TextEncoderConfig): Cost {
  const { maxLength: m, width: d } = cfg;
  return add(
    { ...table((cfg.vocab.length + 3) * d + m * d), acts: m * d },
    times(encoderBlockCost(m, d, cfg.heads, 4, branchSets(['joint'], [m, 1, 1])), cfg.depth),
    layerNorm(m, d, true),
  );
}
