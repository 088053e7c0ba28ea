/** The ViViT family: video classification (Arnab et al. 2021), its four space-time variants. */
import { defineFamily } from '../family.js';
import { ViViTConfig, VIVIT_PRESETS, vivitName } from './config.js';
import { vivitCost } from './cost.js';
import { buildViViT } from './vivit.js';

export const vivitFamily = defineFamily({
  kind: 'vivit',
  schema: ViViTConfig,
  task: 'classify',
  build: buildViViT,
  cost: vivitCost,
  name: vivitName,
  patch: (cfg) => [...cfg.patch],
  presets: VIVIT_PRESETS,
});
