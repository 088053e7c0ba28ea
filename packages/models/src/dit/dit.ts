/**
 * DiT — Scalable Diffusion Models with Transformers (Peebles & Xie 2023).
 * Reference: facebookresearch/DiT models.py (names mirror its state dict: x_embedder.proj, pos_embed,
 * t_embedder.mlp.{0,2}, y_embedder.embedding_table, blocks.{i}.{attn,mlp,adaLN_modulation}, final_layer.*).
 *   inputs:  x (B, 1, H, W, C) noisy latents (an image is a 1-frame clip) · t (B, 1) timesteps · y (B, 1) labels
 *   output:  (B, 1, H, W, C') with C' = outChannels, what the noise process reads (2C with a learned variance: ε
 *            and the variance interpolation v)
 * Conditioning (§3.2): adaLN-Zero (default) or adaLN regress per-block shift/scale(/gate) from c = t + y;
 * cross-attention attends to the 2-token sequence [t, y]; in-context appends [t, y] as two tokens that are
 * dropped after the last block.
 */
import * as tfl from '@tensorflow/tfjs-layers';
import {
  FlattenGrid,
  LabelEmbedder,
  PatchEmbed,
  SinCosPosEmbed,
  SliceTokens,
  TimestepEmbedder,
  UnflattenGrid,
  Unpatchify,
  sym,
  type Sym,
} from '@vtx/core';
import { ditBlock, finalLayer, type BlockModulation } from '../blocks/dit-block.js';
import { gridOf, type ClipShape } from '../types.js';
import { ditDims, ditName, type DiTConfig } from './config.js';

export function buildDiT(cfg: DiTConfig, clip: ClipShape, outChannels: number): tfl.LayersModel {
  const { depth, width, heads } = ditDims(cfg);
  const patch: [number, number, number] = [1, cfg.patch, cfg.patch];
  gridOf(clip, patch, ditName(cfg));
  const [t, , , channels] = clip;

  const xIn = tfl.input({ shape: [t, null, null, channels], name: 'x' });
  const tIn = tfl.input({ shape: [1], name: 't' });
  const yIn = tfl.input({ shape: [1], name: 'y' });

  const xEmb = sym(new PatchEmbed({ patch, width, name: 'x_embedder.proj' }), xIn); // (B, 1, H', W', D)
  let x = sym(new SinCosPosEmbed({ dims: '2d', name: 'pos_embed' }), xEmb); // (B, 1, H', W', D)
  const tEmb = sym(new TimestepEmbedder({ width, name: 't_embedder' }), tIn); // (B, D)
  const yEmb = sym(
    new LabelEmbedder({ numClasses: cfg.numClasses, width, dropProb: cfg.classDropProb, name: 'y_embedder' }),
    yIn,
  ); // (B, D)

  const spec = { heads, mlpRatio: cfg.mlpRatio, axes: ['joint'] as const };
  const out = pt(cfg.patch) * outChannels;
  switch (cfg.conditioning) {
    case 'adaLN-Zero':
    case 'adaLN': {
      const c = sym(tfl.layers.add({ name: 'c' }), tEmb, yEmb); // (B, D)
      const modulation: BlockModulation = cfg.conditioning;
      for (let i = 0; i < depth; i++) x = ditBlock(x, c, { ...spec, modulation }, `blocks.${i}`);
      x = finalLayer(x, c, out, modulation, 'final_layer'); // (B, 1, H', W', p·p·C')
      break;
    }
    case 'cross-attention': {
      const ctx = conditionTokens(tEmb, yEmb, width); // (B, 2, D)
      for (let i = 0; i < depth; i++)
        x = ditBlock(x, null, { ...spec, modulation: 'none' }, `blocks.${i}`, { ctx });
      x = finalLayer(x, null, out, 'none', 'final_layer');
      break;
    }
    case 'in-context': {
      const tokens = sym(new FlattenGrid({ name: 'flatten' }), x); // (B, N, D)
      let seq = sym(
        tfl.layers.concatenate({ axis: 1, name: 'in_context' }),
        conditionTokens(tEmb, yEmb, width),
        tokens,
      ); // (B, 2 + N, D)
      for (let i = 0; i < depth; i++)
        seq = ditBlock(seq, null, { ...spec, modulation: 'none' }, `blocks.${i}`);
      seq = sym(new SliceTokens({ start: 2, name: 'drop_condition_tokens' }), seq); // (B, N, D)
      x = finalLayer(
        sym(new UnflattenGrid({ name: 'unflatten' }), seq, xEmb),
        null,
        out,
        'none',
        'final_layer',
      );
      break;
    }
  }
  const y = sym(new Unpatchify({ patch, channels: outChannels, name: 'unpatchify' }), x); // (B, 1, H, W, C')
  return tfl.model({ inputs: [xIn, tIn, yIn], outputs: y, name: ditName(cfg) });
}

/** [t, y] embeddings (B, D) each -> a 2-token sequence (B, 2, D). */
function conditionTokens(tEmb: Sym, yEmb: Sym, width: number): Sym {
  const tok = (s: Sym, name: string) => sym(tfl.layers.reshape({ targetShape: [1, width], name }), s);
  return sym(
    tfl.layers.concatenate({ axis: 1, name: 'condition_tokens' }),
    tok(tEmb, 't_token'),
    tok(yEmb, 'y_token'),
  );
}

const pt = (p: number) => p * p;
