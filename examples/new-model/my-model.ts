/**
 * A new model in the zoo: a video MLP-Mixer (after Tolstikhin et al. 2021, "MLP-Mixer: An all-MLP Architecture for
 * Vision") with the token mixing factorised over time and space, as ViViT factorises attention. No attention at
 * all: every block mixes the tubelet tokens with three MLPs, each on one axis of the (T', H'·W', D) token grid,
 *
 *   x = x + MLP_time(LN(x))      over T'       (B, H'·W', D, T')   hidden `timeHidden`
 *   x = x + MLP_space(LN(x))     over H'·W'    (B, T', D, H'·W')   hidden `spaceHidden`
 *   x = x + MLP_channel(LN(x))   over D        (B, T', H'·W', D)   hidden `mlpRatio`·D
 *
 * then LayerNorm, the mean over all tokens and a linear head. Built from @vtx/core layers (PatchEmbed, LayerNorm,
 * Mlp, PoolTokens, Linear) and tfjs-layers' Permute / Reshape / Add. Like Mixer, the token-mixing MLPs have one
 * weight per grid position, so a model runs on the clip size it was built for (the zoo's attention models accept
 * any size divisible by their patch).
 *
 * Importing this module registers `kind: video-mixer`; an experiment YAML lists it under `plugins:` (see
 * my-model.yaml), or `vtx train --plugin examples/new-model/my-model.ts` imports it.
 */
import * as tfl from '@tensorflow/tfjs-layers';
import { LayerNorm, Linear, Mlp, PatchEmbed, PoolTokens, sym, type Sym } from '@vtx/core';
import { Patch, gridOf, posInt, registerModel, type ClipShape, type ModelCost } from '@vtx/models';
import { z } from 'zod';

export const VideoMixerConfig = z.strictObject({
  kind: z.literal('video-mixer'),
  /** Tubelet [pt, ph, pw]. */
  patch: Patch.default([2, 4, 4]),
  depth: posInt.default(4),
  /** Channels D of every token. */
  width: posInt.default(64),
  /** Hidden width of the time-mixing MLP (over the T' tokens of one position). */
  timeHidden: posInt.default(16),
  /** Hidden width of the space-mixing MLP (over the H'·W' tokens of one frame). */
  spaceHidden: posInt.default(64),
  /** Hidden width of the channel MLP as a multiple of D. */
  mlpRatio: z.number().positive().default(4),
  numClasses: posInt.default(4),
});
export type VideoMixerConfig = z.infer<typeof VideoMixerConfig>;

export const videoMixerName = (cfg: VideoMixerConfig): string =>
  `VideoMixer-${cfg.depth}x${cfg.width}/${cfg.patch.join('x')}`;

/** x + MLP(LN(x)) over one axis of (B, T', S, D): the axis is moved last by `to` and back by `from` (1-based). */
function mixAxis(x: Sym, to: number[], from: number[], hidden: number, name: string): Sym {
  const h = sym(new LayerNorm({ name: `${name}.norm` }), x);
  const moved = sym(tfl.layers.permute({ dims: to, name: `${name}.to` }), h);
  const mixed = sym(new Mlp({ hidden, name: `${name}.mlp` }), moved);
  const back = sym(tfl.layers.permute({ dims: from, name: `${name}.from` }), mixed);
  return sym(tfl.layers.add({ name: `${name}.residual` }), x, back);
}

export function buildVideoMixer(cfg: VideoMixerConfig, clip: ClipShape): tfl.LayersModel {
  const [t, h, w] = gridOf(clip, cfg.patch, videoMixerName(cfg));
  const d = cfg.width;
  const video = tfl.input({ shape: [...clip], name: 'x' }); // (B, T, H, W, C): fixed, the mixing MLPs need it
  let x = sym(new PatchEmbed({ patch: cfg.patch, width: d, name: 'patch_embed' }), video); // (B, T', H', W', D)
  x = sym(tfl.layers.reshape({ targetShape: [t, h * w, d], name: 'tokens' }), x); // (B, T', S, D), S = H'·W'
  for (let i = 0; i < cfg.depth; i++) {
    const b = `blocks.${i}`;
    x = mixAxis(x, [2, 3, 1], [3, 1, 2], cfg.timeHidden, `${b}.time`); // via (B, S, D, T'): mixes T'
    x = mixAxis(x, [1, 3, 2], [1, 3, 2], cfg.spaceHidden, `${b}.space`); // via (B, T', D, S): mixes S
    const n = sym(new LayerNorm({ name: `${b}.channel.norm` }), x);
    const m = sym(new Mlp({ ratio: cfg.mlpRatio, name: `${b}.channel.mlp` }), n); // over D
    x = sym(tfl.layers.add({ name: `${b}.channel.residual` }), x, m);
  }
  x = sym(new LayerNorm({ name: 'norm' }), x);
  const pooled = sym(new PoolTokens({ mode: 'mean', name: 'pool' }), x); // (B, D)
  const logits = sym(new Linear({ units: cfg.numClasses, init: 'normal02', name: 'head' }), pooled);
  return tfl.model({ inputs: video, outputs: logits, name: videoMixerName(cfg) });
}

/**
 * Closed form: parameters, multiply-adds (one per weight use, DiT's convention) and float32 activations kept for
 * backward, for n = T'·H'·W' tokens of width D. A dense (din -> dout) on k vectors: din·dout + dout parameters,
 * k·din·dout multiply-adds.
 */
export function videoMixerCost(cfg: VideoMixerConfig, clip: ClipShape): ModelCost {
  const [t, h, w] = gridOf(clip, cfg.patch, videoMixerName(cfg));
  const s = h * w;
  const n = t * s;
  const d = cfg.width;
  const hc = Math.round(d * cfg.mlpRatio);
  const patchIn = cfg.patch[0] * cfg.patch[1] * cfg.patch[2] * clip[3];
  // an MLP len -> hid -> len applied to n·d/len vectors: 2·len·hid + hid + len params, 2·n·d·hid MACs
  const mlp = (len: number, hid: number) => ({
    params: 2 * len * hid + hid + len,
    macs: 2 * n * d * hid,
    acts: n * d + (n * d * hid) / len, // its input, and the hidden activations
  });
  const parts = [mlp(t, cfg.timeHidden), mlp(s, cfg.spaceHidden), mlp(d, hc)];
  const block = {
    params: 3 * 2 * d + parts.reduce((a, p) => a + p.params, 0), // three LayerNorms (γ, β) and three MLPs
    macs: parts.reduce((a, p) => a + p.macs, 0),
    acts: 3 * n * d + parts.reduce((a, p) => a + p.acts, 0),
  };
  const params = patchIn * d + d + cfg.depth * block.params + 2 * d + d * cfg.numClasses + cfg.numClasses;
  const macs = n * patchIn * d + cfg.depth * block.macs + d * cfg.numClasses;
  const acts = n * patchIn + cfg.depth * block.acts + n * d + d;
  return {
    params,
    fixedParams: 0,
    tokens: n,
    gflops: macs / 1e9,
    trainGflops: (3 * macs) / 1e9,
    activationBytes: 4 * acts,
  };
}

registerModel({
  kind: 'video-mixer',
  schema: VideoMixerConfig,
  task: 'classify',
  build: buildVideoMixer,
  cost: videoMixerCost,
  name: videoMixerName,
  numClasses: (cfg) => cfg.numClasses,
});
