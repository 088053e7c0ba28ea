/** The video DiT family: class-, caption- or un-conditioned diffusion over spacetime patches. */
import { defineFamily } from '../family.js';
import { VIDEO_DIT_CONDITION } from './conditions.js';
import { VideoDiTConfig, videoDitName } from './config.js';
import { videoDitCost } from './cost.js';
import { buildVideoDiT } from './video-dit.js';

export const videoDitFamily = defineFamily({
  kind: 'video-dit',
  schema: VideoDiTConfig,
  task: 'diffuse',
  build: buildVideoDiT,
  cost: videoDitCost,
  name: videoDitName,
  patch: (cfg) => [...cfg.patch],
  condition: (cfg) => VIDEO_DIT_CONDITION[cfg.condition].condition(cfg),
});
