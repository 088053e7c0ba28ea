/**
 * The zoo: one schema for every model (a discriminated union on `kind`), one exhaustive builder switch, the
 * cost counter, and the papers' presets by name (`ViT-B/16`, `ViViT-B/16x2`, `DiT-XL/2`, …).
 */
import type * as tfl from '@tensorflow/tfjs-layers';
import { assertNever } from '@vtx/core';
import { z } from 'zod';
import { ditCost, videoDitCost, vitCost, vivitCost, type ModelCost } from './costs/model-cost.js';
import { DiTConfig, DIT_PRESETS, ditName } from './dit/config.js';
import { buildDiT } from './dit/dit.js';
import type { ClipShape } from './types.js';
import { VideoDiTConfig, videoDitName } from './video-dit/config.js';
import { buildVideoDiT } from './video-dit/video-dit.js';
import { ViTConfig, vitName } from './vit/config.js';
import { buildViT } from './vit/vit.js';
import { ViViTConfig, vivitName } from './vivit/config.js';
import { buildViViT } from './vivit/vivit.js';
import { VaeConfig, vaeName } from './vae/config.js';
import { vaeCost } from './vae/cost.js';
import { buildVae } from './vae/vae.js';

export const ModelConfig = z.discriminatedUnion('kind', [
  ViTConfig,
  ViViTConfig,
  DiTConfig,
  VideoDiTConfig,
  VaeConfig,
]);
export type ModelConfig = z.infer<typeof ModelConfig>;
export type ModelKind = ModelConfig['kind'];

/** What a model is trained for: 'classify' (ViT, ViViT), 'diffuse' (DiT, video DiT) or 'reconstruct' (VAE). */
export function modelTask(cfg: ModelConfig): 'classify' | 'diffuse' | 'reconstruct' {
  if (cfg.kind === 'vae') return 'reconstruct';
  return cfg.kind === 'vit' || cfg.kind === 'vivit' ? 'classify' : 'diffuse';
}

export function buildModel(cfg: ModelConfig, clip: ClipShape): tfl.LayersModel {
  switch (cfg.kind) {
    case 'vit':
      return buildViT(cfg, clip);
    case 'vivit':
      return buildViViT(cfg, clip);
    case 'dit':
      return buildDiT(cfg, clip);
    case 'video-dit':
      return buildVideoDiT(cfg, clip);
    case 'vae':
      return buildVae(cfg, clip);
    default:
      return assertNever(cfg, 'model kind');
  }
}

/** Parameters, tokens, Gflops and activation memory for a clip size, without allocating weights. */
export function modelCost(cfg: ModelConfig, clip: ClipShape): ModelCost {
  switch (cfg.kind) {
    case 'vit':
      return vitCost(cfg, clip);
    case 'vivit':
      return vivitCost(cfg, clip);
    case 'dit':
      return ditCost(cfg, clip);
    case 'video-dit':
      return videoDitCost(cfg, clip);
    case 'vae':
      return vaeCost(cfg, clip);
    default:
      return assertNever(cfg, 'model kind');
  }
}

export function modelName(cfg: ModelConfig): string {
  switch (cfg.kind) {
    case 'vit':
      return vitName(cfg);
    case 'vivit':
      return vivitName(cfg);
    case 'dit':
      return ditName(cfg);
    case 'video-dit':
      return videoDitName(cfg);
    case 'vae':
      return vaeName(cfg);
    default:
      return assertNever(cfg, 'model kind');
  }
}

/** A named preset: the model config and the clip the paper uses it at. */
export interface Preset {
  model: Record<string, unknown> & { kind: ModelKind };
  clip: ClipShape;
}

const VIT_PRESETS: Record<string, Preset> = Object.fromEntries(
  (['Ti', 'S', 'B', 'L', 'H'] as const).flatMap((size) =>
    [8, 14, 16, 32].map((patch) => [
      `ViT-${size}/${patch}`,
      { model: { kind: 'vit', size, patch, numClasses: 1000 }, clip: [1, 224, 224, 3] as ClipShape },
    ]),
  ),
);

const VIVIT_PRESETS: Record<string, Preset> = Object.fromEntries(
  (['B', 'L', 'H'] as const).flatMap((size) => {
    const patch = size === 'H' ? 14 : 16;
    return [
      ['', 'spatio-temporal'],
      ['-FE', 'factorised-encoder'],
      ['-FSA', 'factorised-self-attention'],
      ['-FDP', 'factorised-dot-product'],
    ].map(([suffix, variant]) => [
      `ViViT-${size}/${patch}x2${suffix}`,
      {
        model: { kind: 'vivit', size, variant, patch: [2, patch, patch], numClasses: 400 },
        clip: [32, size === 'H' ? 224 : 224, 224, 3] as ClipShape,
      },
    ]);
  }),
);

const DIT_PRESETS_AT_256: Record<string, Preset> = Object.fromEntries(
  Object.entries(DIT_PRESETS).map(([name, m]) => [
    name,
    { model: { ...m }, clip: [1, 32, 32, 4] as ClipShape },
  ]),
);

/** Every named preset: ViT-{Ti,S,B,L,H}/{8,14,16,32} at 224 px, ViViT-{B,L}/16x2[-FE|-FSA|-FDP] and ViViT-H/14x2 at 32x224x224, DiT-{S,B,L,XL}/{2,4,8} on 32x32x4 latents (256 px). */
export const PRESETS: Record<string, Preset> = { ...VIT_PRESETS, ...VIVIT_PRESETS, ...DIT_PRESETS_AT_256 };

/** A preset by name, parsed into a full config, with a clear error listing close names. */
export function preset(name: string): { model: ModelConfig; clip: ClipShape } {
  const p = PRESETS[name];
  if (!p) {
    const family = name.split('-')[0] ?? '';
    const close = Object.keys(PRESETS)
      .filter((k) => k.startsWith(family))
      .slice(0, 12);
    throw new Error(`unknown model preset '${name}'${close.length ? `; known: ${close.join(', ')}, …` : ''}`);
  }
  return { model: ModelConfig.parse(p.model), clip: p.clip };
}
