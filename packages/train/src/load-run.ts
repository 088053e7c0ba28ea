/** A finished (or running) run as a model ready for inference: its resolved config, the weights of a checkpoint. */
import { join } from 'node:path';
import type * as tfl from '@tensorflow/tfjs-layers';
import {
  buildModel,
  conditionOf,
  makeProcess,
  modelTask,
  type ClipShape,
  type Condition,
  type NoiseProcess,
} from '@vtx/models';
import { z } from 'zod';
import { latestCheckpoint, loadCheckpoint } from '@vtx/checkpoint';
import { loadConfigFile } from '@vtx/config';
import { ExperimentConfig } from './experiment.js';
import { withoutRepa } from './objectives/repa-config.js';
import { assignParams, namedParams } from './optim/index.js';
import { TrainerState } from './state.js';

export interface LoadedRun {
  cfg: ExperimentConfig;
  model: tfl.LayersModel;
  clip: ClipShape;
  condition: Condition | null;
  /** A diffusion run's noise process; null for other runs. */
  process: NoiseProcess | null;
  checkpoint: string;
  step: number;
}

/**
 * Build the run's model and load a checkpoint's weights: the EMA weights by default (what DiT samples with),
 * or the live ones. `checkpoint` defaults to the newest complete one under `<run>/checkpoints`.
 */
export async function loadRun(
  runDir: string,
  opts: { weights?: 'ema' | 'live'; checkpoint?: string } = {},
): Promise<LoadedRun> {
  const cfg = await loadConfigFile(join(runDir, 'config.yaml'), ExperimentConfig);
  const checkpoint = opts.checkpoint ?? (await latestCheckpoint(join(runDir, 'checkpoints')));
  if (!checkpoint) throw new Error(`${runDir}: no complete checkpoint (is this a run directory?)`);
  const want = opts.weights ?? (cfg.train.ema.enabled ? 'ema' : 'live');
  const ckpt = await loadCheckpoint(checkpoint, { groups: [want === 'ema' ? 'ema' : 'weights'] });
  // only the clip the model was built for: attribute classifiers written by `vtx judge train` before judges were
  // ordinary runs saved that alone
  const clip = z.object({ clip: TrainerState.shape.clip }).parse(ckpt.state).clip;
  const diffuse = modelTask(cfg.model) === 'diffuse';
  const noiseProcess = diffuse ? makeProcess(cfg.diffusion) : null;
  const model = buildModel(cfg.model, clip, noiseProcess ?? undefined);
  assignParams(namedParams(model), withoutRepa(ckpt.groups[want === 'ema' ? 'ema' : 'weights']!)); // REPA's projector trains only
  return {
    cfg,
    model,
    clip,
    condition: diffuse ? conditionOf(cfg.model) : null,
    process: noiseProcess,
    checkpoint,
    step: ckpt.step,
  };
}
