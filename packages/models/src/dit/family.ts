/** The DiT family: class-conditional image diffusion (Peebles & Xie 2023), facebookresearch/DiT's weight layout. */
import { sincos2d } from '@vtx/core';
import { defineFamily } from '../family.js';
import { gridOf, imagePatch } from '../types.js';
import { DiTConfig, DIT_PRESETS_AT_256, ditDims, ditName } from './config.js';
import { ditCost } from './cost.js';
import { buildDiT } from './dit.js';

export const ditFamily = defineFamily({
  kind: 'dit',
  schema: DiTConfig,
  task: 'diffuse',
  build: buildDiT,
  cost: ditCost,
  name: ditName,
  patch: (cfg) => imagePatch(cfg.patch),
  condition: (cfg) => ({ kind: 'class', numClasses: cfg.numClasses }),
  presets: DIT_PRESETS_AT_256,
  pytorch: {
    reference: 'facebookresearch/DiT',
    unsupported: (cfg) =>
      cfg.longSkips || cfg.finalConv
        ? `${ditName(cfg)} with ${cfg.longSkips ? 'longSkips' : 'finalConv'} has no official checkpoint layout (DiT has neither)`
        : cfg.conditioning === 'adaLN-Zero'
          ? null
          : `${ditName(cfg)} with ${cfg.conditioning} has no official checkpoint layout (adaLN-Zero only)`,
    inputs: ['x', 't', 'y'],
    fixed(cfg, clip) {
      const [, h, w] = gridOf(clip, imagePatch(cfg.patch));
      const { width } = ditDims(cfg);
      return { pos_embed: { shape: [1, h * w, width], data: sincos2d(width, h, w) } };
    },
  },
});
