/** Training-loop guards: tensor leaks and non-finite losses/gradients. */
export * from './leak.js';
export * from './non-finite.js';
