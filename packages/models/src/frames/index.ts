export * from './config.js';
export * from './masks.js';
export * from './given-channel.js';
