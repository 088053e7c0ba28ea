/**
 * @vtx/core — the layers a video transformer is made of, as tfjs-layers leaf layers that own their weights,
 * serialise (`vtx>ClassName`) and accept any token grid at run time. Browser-safe: no Node modules.
 */
export * from './types.js';
export * from './rng.js';
export * from './backend/select.js';
export * from './backend/wasm-fixes.js';
export * from './backend/webgpu.js';
export * from './backend/webgpu-fixes.js';
export * from './ops/fused.js';
export * from './ops/gelu.js';
export * from './ops/layer-norm.js';
export * from './ops/group-norm.js';
export * from './ops/modulate.js';
export * from './ops/pos-embed.js';
export * from './ops/patchify.js';
export * from './ops/attention.js';
export * from './ops/grid-attention.js';
export * from './ops/tubelet-init.js';
export * from './ops/softmax-cross-entropy.js';
export * from './ops/variable-grads.js';
export * from './layers/norm.js';
export * from './layers/group-norm.js';
export * from './layers/silu.js';
export * from './layers/conv.js';
export * from './layers/resample.js';
export * from './layers/linear.js';
export * from './layers/mlp.js';
export * from './layers/attention.js';
export * from './layers/cross-attention.js';
export * from './layers/adaln.js';
export * from './layers/patch-embed.js';
export * from './layers/pos-embed.js';
export * from './layers/tokens.js';
export * from './layers/conditioning.js';
export * from './layers/drop-path.js';
export * from './layers/unflatten-grid.js';
export * from './io/safetensors.js';
export * from './backend/wasm-slice.js';
