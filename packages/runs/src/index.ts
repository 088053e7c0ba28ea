/**
 * @vtx/runs — the run directory's file format, read and written by the trainer, sweeps and the dashboard alike:
 * `metrics.jsonl` records and their codec (MetricsWriter, readMetrics, parseMetrics), run names and step names
 * (`step-000120`), TensorBoard event files (`EventWriter`), the power-law fit of sweep results, and the atomic file
 * writer every package writes through. Node fs only: no tfjs, no yargs.
 */
export { nodeIO, tempSibling, writeFileAtomic, type DurableIO } from './atomic.js';
export * from './metrics.js';
export { RUN_NAME, RUN_NAME_RULE, isRunName, stepName, stepOfFile, stepOfName } from './names.js';
export { fitPowerLaw, type PowerLaw } from './power-law.js';
export { EventWriter } from './tensorboard.js';
