/** Optimizers, schedules, clipping, EMA and gradient accumulation for custom tfjs training loops. */
export * from './params.js';
export * from './adamw.js';
export { assertKnown, importSlots, importStep, type Optimizer } from './slots.js';
export * from './sgd.js';
export * from './schedule.js';
export * from './clip.js';
export * from './ema.js';
export * from './accumulate.js';
export * from './build.js';
