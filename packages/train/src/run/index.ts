/** The run directory: metrics.jsonl, TensorBoard event files, pino logs, progress bar. */
export * from './metrics.js';
export * from './crc32c.js';
export * from './tensorboard.js';
export * from './log-route.js';
export * from './logger.js';
export * from './progress.js';
