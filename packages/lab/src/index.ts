/**
 * @vtx/lab — research orchestration on top of the trainer and evaluation: sweeps (a sweep file expanded into
 * validated runs, launched locally or on Slurm, reported with power-law fits), paper ablations (a registry of
 * sweeps with the finding each tests and its verdict), and plots of runs.
 */
export * from './sweep/index.js';
export * from './ablate/index.js';
export { plotRun, type PlotOptions } from './plot/run-plot.js';
