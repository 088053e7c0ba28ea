/** A run's console and log output: pino logs, the progress bar (the run directory's files are @vtx/runs'). */
export * from './log-route.js';
export * from './logger.js';
export * from './progress.js';
