/** The objective the trainer has for a model's task (one per task; see ./objective.ts). */
import type * as tfl from '@tensorflow/tfjs-layers';
import {
  attributeHeadsOf,
  frameConditioningOf,
  modelTask,
  numClassesOf,
  tokenMaskingOf,
  type Condition,
  type NoiseProcess,
} from '@vtx/models';
import type { ExperimentConfig } from '../experiment.js';
import { AttributesObjective } from './attributes.js';
import { ClassifyObjective, classifierViews } from './classify.js';
import { DiffuseObjective } from './diffuse.js';
import type { Objective } from './objective.js';
import type { Repa } from './repa.js';
import { ReconstructObjective } from './reconstruct.js';

/** `process` and `condition`: a diffusion run's (null otherwise). */
export function makeObjective(
  cfg: ExperimentConfig,
  model: tfl.LayersModel,
  process: NoiseProcess | null,
  condition: Condition | null,
  /** A diffusion run's REPA term (`train.repa`), loaded by the caller. */
  repa: Repa | null = null,
): Objective {
  const { labelSmoothing, mixup } = cfg.train;
  switch (modelTask(cfg.model)) {
    case 'classify':
      return new ClassifyObjective(model, {
        numClasses: numClassesOf(cfg.model)!,
        labelSmoothing,
        mixup,
        ...classifierViews(cfg),
        seed: cfg.seed,
      });
    case 'attributes':
      return new AttributesObjective(model, {
        heads: attributeHeadsOf(cfg.model)!,
        labelSmoothing,
        mixup,
        seed: cfg.seed,
      });
    case 'reconstruct':
      if (cfg.model.kind !== 'vae') throw new Error("the reconstruction objective is the VAE's only");
      return new ReconstructObjective(model, cfg.model, cfg.seed);
    case 'diffuse':
      return new DiffuseObjective(
        model,
        process!,
        condition!,
        cfg.seed,
        frameConditioningOf(cfg.model),
        tokenMaskingOf(cfg.model),
        repa,
      );
  }
}
