/** Checkpoints: safetensors tensor groups + manifest, atomic writes, verification, keep-last/best. */
export * from './errors.js';
export * from './host-tensor.js';
export * from './safetensors.js';
export * from './checkpoint.js';
export * from './recover.js';
