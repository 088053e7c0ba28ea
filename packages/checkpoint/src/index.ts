/**
 * @vtx/checkpoint — training checkpoints: one `step-NNNNNN` directory of safetensors tensor groups plus a manifest,
 * written atomically, verified (sha256 per file and per tensor) on load, keep-last/keep-best, and recovery of the
 * newest readable one. Host tensors (typed arrays) are the currency; `toHost`/`fromHost` convert to and from tfjs.
 * The safetensors header codec itself is @vtx/core's (browser-safe); what a checkpoint holds is the trainer's.
 */
export * from './errors.js';
export * from './host-tensor.js';
export * from './safetensors.js';
export * from './checkpoint.js';
export * from './recover.js';
