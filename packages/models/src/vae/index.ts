/** The video VAE (compression network): config, builder, Gaussian posterior, cost, family. */
export * from './config.js';
export * from './gaussian.js';
export * from './vae.js';
export * from './cost.js';
export * from './family.js';
