/** The video VAE family: the compression network of the Sora recipe (a KL-regularised tubelet autoencoder). */
import { defineFamily } from '../family.js';
import { VaeConfig, vaeName } from './config.js';
import { vaeCost } from './cost.js';
import { buildVae } from './vae.js';

export const vaeFamily = defineFamily({
  kind: 'vae',
  schema: VaeConfig,
  task: 'reconstruct',
  build: buildVae,
  cost: vaeCost,
  name: vaeName,
  patch: (cfg) => [...cfg.factors],
  patchKey: 'factors',
});
