/**
 * @vtx/train — the config-driven trainer. What its users (the CLI, @vtx/eval, @vtx/lab, examples, bench) need:
 *   - experiment configs: the schema, its warnings and plugins (reading YAML with extends/--set and the errors
 *     that name file, line and key are @vtx/config's);
 *   - `validate`, `train()` and the `Trainer`; stopping on a signal; resume overrides; loading a finished run;
 *   - what the trainer's neighbours plug in or read back: sample scoring (`SampleScoring`), declared sizes, latent
 *     caches, clips from dataset records, export, backend start-up, plugins;
 *   - a few optimizer pieces the benches and `vtx predict` use.
 * Everything else (objectives, optimizer internals, guards, run logging) is internal: the package's own tests import
 * it from its module. The run directory's file format is @vtx/runs', checkpoints are @vtx/checkpoint's, YAML
 * loading @vtx/config's, GIF/PNG sheets @vtx/media's; evaluation is @vtx/eval, sweeps and ablations @vtx/lab, the
 * `vtx` command line @vtx/cli.
 */

// experiment configs
export {
  ExperimentConfig,
  experimentWarnings,
  type EvalJudgeSection,
  type ExperimentConfigInput,
} from './experiment.js';
export { importPlugins, withPlugins } from './plugins.js';
export {
  experimentPathsRelativeTo,
  resolveExperimentPathKeys,
  typedPathsAbsolute,
} from './experiment-paths.js';

// training
export { validate, type ValidRun } from './validate.js';
export { train, type RunSummary, type TrainOptions } from './train.js';
export { Trainer, type StepRecord } from './trainer.js';
export { GracefulStop } from './stop.js';
export { checkResumeOverrides } from './resume.js';
export { NonFiniteError } from './guards/index.js';
export { startBackend, setMatmulPrecision, MATMUL_PRECISIONS } from './backend.js';
export type { MatmulPrecision } from './backend.js';
export { launched, mpirunCommand, mpiUnavailable, startRanks, type Ranks } from './ranks.js';
export { humanNumber } from './run/index.js';

// what neighbours plug in or read back
export type { Generator, SampleScorer, SampleScoring } from './sample-scoring.js';
export { declaredSizes, distinctClips, evalDataInput, patchProblem } from './sizes.js';
export { loadRun, type LoadedRun } from './load-run.js';
export { decodeLatents, encodeDataset, latentSourceOf, toPixels, LatentSource } from './latent-cache.js';
export { recordsToClips } from './media/records.js';
export { exportRun } from './export/index.js';

// classifier evaluation: the views of ViViT's multi-view test, the per-class report (`vtx predict`, `vtx eval`)
export { classifierViews, classReportFile, type ClassReport } from './objectives/classify.js';
export { multiViewLogits, viewPlan } from './objectives/views.js';

// optimizer pieces (benches, `vtx predict`)
export { AdamW, makeSchedule, namedParams } from './optim/index.js';
