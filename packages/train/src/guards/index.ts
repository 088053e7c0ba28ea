/** Training-loop guards: tensor leaks, non-finite losses/gradients, gradient-norm spikes. */
export * from './leak.js';
export * from './non-finite.js';
export * from './grad-spike.js';
