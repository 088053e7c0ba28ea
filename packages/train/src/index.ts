/**
 * @vtx/train — the config-driven trainer: experiment configs (load, merge, override, validate), train() and the
 * Trainer, objectives, optimizers and EMA, checkpoints, guards, run logging (logger, progress, TensorBoard), model
 * sizes, loadRun, backend start-up, plugins, captions, latent caches, the media writer and export.
 * The run directory's file format is @vtx/runs'; evaluation is @vtx/eval, sweeps and ablations @vtx/lab, the
 * `vtx` command line @vtx/cli.
 */
export * from './experiment.js';
export * from './trainer.js';
export * from './sizes.js';
export * from './objectives/objective.js';
export * from './objectives/classify.js';
export * from './objectives/diffuse.js';
export * from './objectives/conditioning.js';
export * from './media/clip-grid.js';
export * from './media/records.js';
export * from './latent-cache.js';
export * from './sample-scoring.js';
export * from './optim/index.js';
export * from './checkpoint/index.js';
export * from './config/index.js';
export * from './run/index.js';
export * from './guards/index.js';
export * from './train.js';
export { launched, mpirunCommand, mpiUnavailable, startRanks, type Ranks } from './ranks.js';
export { DataParallel } from './parallel.js';
export * from './validate.js';
export * from './resume.js';
export * from './stop.js';
export * from './load-run.js';
export * from './captions.js';
export * from './backend.js';
export * from './plugins.js';
export * from './export/index.js';
