/** The ViT family: image classification (Dosovitskiy et al. 2021), timm's weight layout. */
import { defineFamily } from '../family.js';
import { imagePatch } from '../types.js';
import { ViTConfig, VIT_PRESETS, vitName } from './config.js';
import { vitCost } from './cost.js';
import { buildViT } from './vit.js';

export const vitFamily = defineFamily({
  kind: 'vit',
  schema: ViTConfig,
  task: 'classify',
  build: buildViT,
  cost: vitCost,
  name: vitName,
  patch: (cfg) => imagePatch(cfg.patch),
  presets: VIT_PRESETS,
  pytorch: {
    reference: 'timm',
    unsupported: (cfg) =>
      cfg.pool === 'cls' && cfg.posEmbed === 'learned'
        ? null
        : `${vitName(cfg)} needs pool 'cls' and posEmbed 'learned' (timm's layout)`,
    inputs: ['x'],
  },
});
