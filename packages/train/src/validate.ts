/**
 * The one setup stage: every check that can fail before training, run before a run directory exists.
 *   - the config's schema (plugins imported first: they register the model kinds it may name);
 *   - pairings across sections: the sampler of the process (the `diffusion` schema's own checks, with the rest of
 *     the schema), a Gaussian run's sampling steps within its diffusion steps;
 *   - the objective the trainer has for the model's task; `train.repa`'s encoder run (a diffusion model's only);
 *   - an attribute classifier's vocabulary: filled from the training dataset's index where `model.attributes` leaves
 *     it to the data (the returned config, and so the run's config.yaml, holds it), and the dataset must have one;
 *   - `eval.judge` (`checkSampleScoring`: the scoring @vtx/eval provides is given, and its own check of the judge
 *     run: it exists and reads the model's classes);
 *   - the data against the model: the dataset's classes within the model's, and every size the training data,
 *     the evaluation data and `sample.sizes` declare divisible by the model's patch (`checkRunSizes`);
 *   - what is valid but likely not meant (`experimentWarnings`), returned for the run's log.
 * `train()` and `Trainer.create` both start here; a bad config throws a ConfigError naming every bad key.
 */
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { latestCheckpoint } from '@vtx/checkpoint';
import { openDataset, resolveDataset } from '@vtx/data';
import {
  attributeHeadsOf,
  conditionOf,
  modelTask,
  numClassesOf,
  spaceTimesteps,
  withDataAttributes,
} from '@vtx/models';
import { ConfigError, isPlainObject, validateConfig } from '@vtx/config';
import { experimentWarnings, ExperimentConfig, type ExperimentConfigInput } from './experiment.js';
import { checkSampleScoring, type SampleScoring } from './sample-scoring.js';
import { importConfigPlugins } from './plugins.js';
import { checkRunSizes, type DeclaredSize } from './sizes.js';

/** A config that passed every check before training. */
export interface ValidRun {
  cfg: ExperimentConfig;
  /** Every size the training data declares, each by the key that declares it (all divisible by the patch). */
  sizes: DeclaredSize[];
  /** What is valid but likely not meant, each naming its key: logged at the start of the run. */
  warnings: { path: string; message: string }[];
}

export function isValidRun(v: unknown): v is ValidRun {
  return isPlainObject(v) && 'cfg' in v && 'sizes' in v && 'warnings' in v;
}

/** Check `input` for everything that can fail before training; nothing is written (a built-in dataset is built). */
export async function validate(
  input: ExperimentConfigInput | ExperimentConfig,
  /** Scores samples with `eval.judge` (@vtx/eval's `sampleScoring`); required when the config sets `eval.judge`. */
  samples?: SampleScoring,
): Promise<ValidRun> {
  // plugins first: they register the model kinds the config may name (relative paths: the working directory)
  const ready = isPlainObject(input) ? await importConfigPlugins(input) : input;
  let cfg: ExperimentConfig = validateConfig(ready, ExperimentConfig);
  checkSampling(cfg);
  if (modelTask(cfg.model) === 'reconstruct' && cfg.model.kind !== 'vae')
    throw new Error(
      `model kind '${cfg.model.kind}' is a registered 'reconstruct' model: the trainer's reconstruction objective is the VAE's only`,
    );
  await checkSampleScoring(cfg, samples); // a bad eval.judge fails here, not at the first evaluation
  await checkRepa(cfg);
  const dir = await resolveDataset(cfg.data.dataset, cfg.data.cacheDir);
  const { index } = await openDataset(dir, { verify: false }); // the loader verifies the shards when it reads them
  checkClasses(cfg, index.labels?.names ?? [], join(dir, 'index.json'));
  if (modelTask(cfg.model) === 'attributes') {
    if (!index.attributes)
      throw new ConfigError([
        {
          file: join(dir, 'index.json'),
          path: 'data.dataset',
          message: `an attribute classifier trains on a dataset with an attributes column, and this one has none`,
        },
      ]);
    const model = withDataAttributes(cfg.model, index.attributes);
    // the loaders number values by the model's vocabulary, so an evaluation set (`eval.data`) with other or fewer
    // values is read as the model was trained, and a value the model lacks is an error naming its index.json
    const vocabulary = Object.fromEntries(attributeHeadsOf(model)!.map((h) => [h.name, [...h.values]]));
    cfg = { ...cfg, model, data: { ...cfg.data, attributes: cfg.data.attributes ?? vocabulary } };
  }
  const labelNames = index.labels ? (cfg.data.labels ?? index.labels.names) : null; // as the loader numbers them
  const sizes = await checkRunSizes(cfg, { index, dir, labelNames });
  return { cfg, sizes, warnings: experimentWarnings(cfg) };
}

/** A Gaussian run's sampling respacing must fit its diffusion steps (samples are drawn during and after training). */
function checkSampling(cfg: ExperimentConfig): void {
  const d = cfg.diffusion;
  if (modelTask(cfg.model) !== 'diffuse' || d.process !== 'gaussian') return;
  try {
    spaceTimesteps(d.steps, d.samplingSteps);
  } catch (e) {
    throw new ConfigError([
      {
        file: '<config>',
        path: 'diffusion.samplingSteps',
        message: `${(e as Error).message} (diffusion.steps is ${d.steps}): choose at most that many sampling steps`,
      },
    ]);
  }
}

/** `train.repa` is a diffusion model's, and its encoder a run directory with a checkpoint (./objectives/repa.ts checks the rest). */
async function checkRepa(cfg: ExperimentConfig): Promise<void> {
  const repa = cfg.train.repa;
  if (!repa) return;
  const fail = (path: string, message: string) => new ConfigError([{ file: '<config>', path, message }]);
  if (modelTask(cfg.model) !== 'diffuse')
    throw fail(
      'train.repa',
      `REPA aligns a diffusion model's hidden tokens; a ${cfg.model.kind} model has none to align`,
    );
  if (!existsSync(join(repa.encoder, 'config.yaml')))
    throw fail('train.repa.encoder', `${repa.encoder} is not a vtx run directory (no config.yaml)`);
  if (!(await latestCheckpoint(join(repa.encoder, 'checkpoints'))))
    throw fail('train.repa.encoder', `${repa.encoder} has no complete checkpoint`);
}

/** Labels past the model's classes would fail only at the first batch that holds one. */
function checkClasses(cfg: ExperimentConfig, names: readonly string[], indexFile: string): void {
  const cond = modelTask(cfg.model) === 'diffuse' ? conditionOf(cfg.model) : null;
  const modelClasses = cond?.kind === 'class' ? cond.numClasses : numClassesOf(cfg.model);
  if (modelClasses !== null && names.length > modelClasses)
    throw new ConfigError([
      {
        file: indexFile,
        path: 'model.numClasses',
        message: `${modelClasses}, but the dataset has ${names.length} classes (${names.join(', ')})`,
      },
    ]);
}
