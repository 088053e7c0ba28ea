/** Sweeps: expand a sweep file into validated runs, launch them locally or on Slurm, report and fit power laws. */
export * from './schema.js';
export * from './naming.js';
export * from './expand.js';
export * from './plan.js';
export * from './local.js';
export * from './slurm.js';
export * from './run.js';
export * from './caption-stage.js';
export * from './power-law.js';
export * from './report.js';
