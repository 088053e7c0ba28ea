/** The U-Net family: ADM's U-Net for images and its factorised space-time video form, class-, caption- or un-conditioned. */
import { defineFamily } from '../family.js';
import { VIDEO_DIT_CONDITION } from '../video-dit/conditions.js';
import { UNetConfig, UNET_PRESETS, unetDims, unetName } from './config.js';
import { unetCost } from './cost.js';
import { buildUNet } from './unet.js';

export const unetFamily = defineFamily({
  kind: 'unet',
  schema: UNetConfig,
  task: 'diffuse',
  build: buildUNet,
  cost: unetCost,
  name: unetName,
  patch: (cfg) => unetDims(cfg).step,
  patchKey: 'channelMult',
  condition: (cfg) => VIDEO_DIT_CONDITION[cfg.condition].condition(cfg),
  presets: UNET_PRESETS,
});
