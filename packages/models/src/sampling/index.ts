export * from './condition.js';
export * from './sample.js';
export * from './extend.js';
