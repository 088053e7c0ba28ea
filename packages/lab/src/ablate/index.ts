/** Paper ablations: a registry of sweeps with the finding each tests, verdict functions, and the runner. */
export * from './types.js';
export * from './statistics.js';
export * from './verdicts.js';
export * from './tubelet-verdict.js';
export * from './captions-verdict.js';
export * from './registry.js';
export * from './run.js';
export * from './report-summary.js';
