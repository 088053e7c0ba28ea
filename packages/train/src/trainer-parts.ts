/**
 * What a `Trainer` is made of, built from a validated config: the data loader, the model built for the first batch's
 * clip (initialised from `init.from`), its parameters, the optimizer, the EMA, the noise process and condition of a
 * diffusion run, and the objective of the model's task (`makeObjective`).
 */
import type * as tfl from '@tensorflow/tfjs-layers';
import { setSeed, type BackendChoice } from '@vtx/core';
import { createLoader, type Batch, type DataLoader } from '@vtx/data';
import {
  buildModel,
  conditionOf,
  makeProcess,
  modelCost,
  modelTask,
  type ClipShape,
  type Condition,
  type ModelCost,
  type NoiseProcess,
} from '@vtx/models';
import type { ExperimentConfig } from './experiment.js';
import { initFromRun } from './init.js';
import { makeObjective } from './objectives/make.js';
import { Repa } from './objectives/repa.js';
import type { Objective } from './objectives/objective.js';
import { Ema, buildOptimizer, namedParams, type NamedParam, type Optimizer } from './optim/index.js';
import type { DeclaredSize } from './sizes.js';
import type { ValidRun } from './validate.js';

export interface TrainerParts {
  cfg: ExperimentConfig;
  model: tfl.LayersModel;
  /** The first batch's clip (the model is built for it and takes the other declared sizes at run time). */
  clip: ClipShape;
  /** The cost at `clip`; per-batch costs come from `Trainer.costOf`. */
  cost: ModelCost;
  /** Every size the training data declares (checked against the model's patch before training). */
  sizes: DeclaredSize[];
  objective: Objective;
  condition: Condition | null;
  /** A diffusion run's noise process (made once from `cfg.diffusion`): its losses, samplers, output channels. */
  process: NoiseProcess | null;
  loader: DataLoader;
  params: NamedParam[];
  optimizer: Optimizer;
  ema: Ema | null;
  backend: BackendChoice | null;
}

/**
 * Open the data, build the model for the data's clip shape, the optimizer, EMA and objective. The clip shape comes
 * from the first batch (the model still accepts other sizes at run time).
 */
export async function buildTrainerParts(
  valid: ValidRun,
  backend: BackendChoice | null,
): Promise<TrainerParts> {
  const { cfg, sizes } = valid;
  setSeed(cfg.seed);
  const loader = await createLoader(cfg.data);
  const task = modelTask(cfg.model);
  const noiseProcess = task === 'diffuse' ? makeProcess(cfg.diffusion) : null;
  const start = loader.state();
  let first: Batch;
  let model: tfl.LayersModel;
  try {
    first = await loader.next();
    model = buildModel(cfg.model, first.clipShape, noiseProcess ?? undefined); // throws on a clip/patch mismatch
  } catch (e) {
    await loader.close(); // no worker thread or open shard left behind by a failed setup
    throw e;
  }
  loader.restore(start);
  const clip = first.clipShape;
  if (cfg.init) await initFromRun(model, cfg.model, cfg.init); // before the EMA copies the weights
  // REPA: the model with its projector trains (and checkpoints) as one; the model alone samples
  const repa =
    cfg.train.repa && task === 'diffuse' ? await Repa.create(cfg.train.repa, model, cfg.model, clip) : null;
  const params = namedParams(repa ? repa.training : model);
  const optimizer = buildOptimizer(params, cfg.optim);
  const ema = cfg.train.ema.enabled
    ? new Ema(params, { decay: cfg.train.ema.decay, warmup: cfg.train.ema.warmup })
    : null;
  const condition = task === 'diffuse' ? conditionOf(cfg.model) : null;
  const objective = makeObjective(cfg, model, noiseProcess, condition, repa);
  return {
    cfg,
    model,
    clip,
    cost: modelCost(cfg.model, clip, noiseProcess ?? undefined),
    sizes,
    objective,
    condition,
    process: noiseProcess,
    loader,
    params,
    optimizer,
    ema,
    backend,
  };
}
