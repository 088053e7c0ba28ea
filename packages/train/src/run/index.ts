/** The run directory (its file format is @vtx/runs'): TensorBoard event files, pino logs, progress bar. */
export * from './crc32c.js';
export * from './tensorboard.js';
export * from './log-route.js';
export * from './logger.js';
export * from './progress.js';
