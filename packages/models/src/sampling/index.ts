export * from './condition.js';
export * from './sample.js';
