/**
 * Video VAE: a KL-regularised autoencoder over spacetime tubelets (the compression network of the Sora recipe).
 *   encoder: x (B, T, H, W, C) -> tubelets (B, t, h, w, D) -> blocks -> LN -> moments (B, t, h, w, 2c) = [μ, log σ²]
 *   sample:  z = μ + σ·ε, ε (B, t, h, w, c) an input (so training noise is seeded by the objective)
 *   decoder: z (B, t, h, w, c) -> Linear -> (B, t, h, w, D) -> blocks -> LN -> (B, t, h, w, ft·fh·fw·C) -> unpatchify
 *            -> x̂ (B, T, H, W, C)
 * Every latent cell is one token: the tubelet embedding (a strided Conv3D as one matmul) compresses by
 * ft·fh·fw·C / c, and transformer blocks (joint or space-then-time attention) mix information across cells. 3-D
 * sin-cos positions follow the run-time grid, so one set of weights encodes and decodes any clip size divisible by
 * the factors. The trainable model has inputs [x, ε] and outputs [x̂, moments]; `vaeParts` returns its encoder
 * (x -> moments) and decoder (z -> x̂) as the nested models they are.
 */
import * as tfl from '@tensorflow/tfjs-layers';
import { LayerNorm, Linear, PatchEmbed, SinCosPosEmbed, Unpatchify, sym, type Sym } from '@vtx/core';
import { encoderBlock } from '../blocks/encoder-block.js';
import type { ClipShape } from '../types.js';
import { latentShape, vaeAxes, vaeDecoderDepth, vaeName, type VaeConfig } from './config.js';
import { GaussianSample } from './gaussian.js';

function blocks(x: Sym, cfg: VaeConfig, n: number, prefix: string): Sym {
  const axes = vaeAxes(cfg);
  for (let i = 0; i < n; i++)
    x = encoderBlock(x, { heads: cfg.heads, mlpRatio: cfg.mlpRatio, axes }, `${prefix}.blocks.${i}`);
  return sym(new LayerNorm({ epsilon: 1e-6, name: `${prefix}.norm` }), x);
}

/** x (B, T, H, W, C) -> moments (B, t, h, w, 2c). */
export function buildVaeEncoder(cfg: VaeConfig, channels: number): tfl.LayersModel {
  const x = tfl.input({ shape: [null, null, null, channels], name: 'encoder.x' }); // (B, T, H, W, C)
  let h = sym(new PatchEmbed({ patch: cfg.factors, width: cfg.width, name: 'encoder.patch_embed' }), x); // (B, t, h, w, D)
  h = sym(new SinCosPosEmbed({ dims: '3d', name: 'encoder.pos_embed' }), h);
  h = blocks(h, cfg, cfg.depth, 'encoder');
  const moments = sym(new Linear({ units: 2 * cfg.latentChannels, name: 'encoder.moments' }), h); // (B, t, h, w, 2c)
  return tfl.model({ inputs: x, outputs: moments, name: 'encoder' });
}

/** z (B, t, h, w, c) -> x̂ (B, T, H, W, C). */
export function buildVaeDecoder(cfg: VaeConfig, channels: number): tfl.LayersModel {
  const z = tfl.input({ shape: [null, null, null, cfg.latentChannels], name: 'decoder.z' }); // (B, t, h, w, c)
  let h = sym(new Linear({ units: cfg.width, name: 'decoder.proj_in' }), z); // (B, t, h, w, D)
  h = sym(new SinCosPosEmbed({ dims: '3d', name: 'decoder.pos_embed' }), h);
  h = blocks(h, cfg, vaeDecoderDepth(cfg), 'decoder');
  const [ft, fh, fw] = cfg.factors;
  h = sym(new Linear({ units: ft * fh * fw * channels, name: 'decoder.proj_out' }), h); // (B, t, h, w, ft·fh·fw·C)
  const out = sym(new Unpatchify({ patch: cfg.factors, channels, name: 'decoder.unpatchify' }), h); // (B, T, H, W, C)
  return tfl.model({ inputs: z, outputs: out, name: 'decoder' });
}

/** The trainable VAE: [x (B, T, H, W, C), ε (B, t, h, w, c)] -> [x̂ (B, T, H, W, C), moments (B, t, h, w, 2c)]. */
export function buildVae(cfg: VaeConfig, clip: ClipShape): tfl.LayersModel {
  latentShape(cfg, clip); // fail early on a clip the factors do not divide
  const channels = clip[3];
  const encoder = buildVaeEncoder(cfg, channels);
  const decoder = buildVaeDecoder(cfg, channels);
  const x = tfl.input({ shape: [null, null, null, channels], name: 'x' });
  const eps = tfl.input({ shape: [null, null, null, cfg.latentChannels], name: 'eps' });
  const moments = encoder.apply(x) as Sym; // (B, t, h, w, 2c)
  const z = sym(new GaussianSample({ name: 'sample' }), moments, eps); // (B, t, h, w, c)
  const recon = decoder.apply(z) as Sym; // (B, T, H, W, C)
  return tfl.model({ inputs: [x, eps], outputs: [recon, moments], name: vaeName(cfg) });
}

/** The encoder (x -> moments) and decoder (z -> x̂) of a model built by `buildVae`, sharing its weights. */
export function vaeParts(model: tfl.LayersModel): { encoder: tfl.LayersModel; decoder: tfl.LayersModel } {
  const get = (name: string) => {
    const layer = model.getLayer(name);
    if (!(layer instanceof tfl.LayersModel))
      throw new Error(`${model.name}: no nested '${name}' model (not a VAE?)`);
    return layer;
  };
  return { encoder: get('encoder'), decoder: get('decoder') };
}
