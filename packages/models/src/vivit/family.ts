/** The ViViT family: video classification (Arnab et al. 2021), its four space-time variants. */
import { defineFamily } from '../family.js';
import { ViViTConfig, VIVIT_PRESETS, vivitName } from './config.js';
import { vivitCost } from './cost.js';
import { initViViTFromViT } from './init-from-vit.js';
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
  initFrom: {
    vit(model, source, opts) {
      const r = initViViTFromViT(model, source, opts.tubelet, { head: opts.head });
      return r.copied.length + r.adapted.length;
    },
  },
});
