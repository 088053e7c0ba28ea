/**
 * Gaussian diffusion (DDPM / IDDPM as DiT trains and samples it) and rectified flow, for channels-last tensors and
 * any model `(x_t, t, extra?) => output`. Browser-safe.
 */
export * from './config.js';
export * from './schedule.js';
export * from './respace.js';
export * from './gaussian.js';
export * from './gaussian-diffusion.js';
export * from './losses.js';
export * from './samplers.js';
export * from './guidance.js';
export * from './guidance-interval.js';
export * from './timesteps.js';
export * from './timestep-shift.js';
export * from './rectified-flow.js';
export * from './process.js';
export * from './gaussian-process.js';
export * from './flow-process.js';
export * from './generate.js';
