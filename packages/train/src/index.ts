/**
 * @vtx/train — the config-driven trainer and the `vtx` command line: experiment configs, the training loop,
 * checkpoints, sampling, run directories.
 */
export * from './experiment.js';
export * from './trainer.js';
export * from './sizes.js';
export * from './objectives/objective.js';
export * from './objectives/classify.js';
export * from './objectives/diffuse.js';
export * from './objectives/conditioning.js';
export * from './media/clip-grid.js';
export * from './metrics/motion.js';
export * from './optim/index.js';
export * from './checkpoint/index.js';
export * from './config/index.js';
export * from './run/index.js';
export * from './guards/index.js';
export * from './train.js';
export * from './validate.js';
export * from './resume.js';
export * from './stop.js';
export * from './load-run.js';
export * from './captions.js';
export * from './backend.js';
export * from './sweep/index.js';
export * from './ablate/index.js';
export * from './export/index.js';
