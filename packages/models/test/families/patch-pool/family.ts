/** The PatchPool family's descriptor: the same interface the built-in families implement. */
import { defineFamily } from '@vtx/models';
import { PatchPoolConfig, patchPoolName } from './config.js';
import { patchPoolCost } from './cost.js';
import { buildPatchPool } from './patch-pool.js';

export const patchPoolFamily = defineFamily({
  kind: 'patch-pool',
  schema: PatchPoolConfig,
  task: 'classify',
  build: buildPatchPool,
  cost: patchPoolCost,
  name: patchPoolName,
  patch: (cfg) => [...cfg.patch],
  presets: { 'PatchPool-8/1x2x2': { model: { kind: 'patch-pool' }, clip: [2, 4, 4, 3] } },
});
