/**
 * Fused kernels (issues 18 and 21): a backend may provide one pass forward and one pass backward for the
 * ops of a block (the dense layer with its bias and activation, layer norm, adaLN modulate and gated residual,
 * GELU / SiLU, self-attention over a token grid), the classifier's softmax cross-entropy and the U-Net's group
 * norm; `@vtx/backend-native` does. The ops in `linear.ts`, `layer-norm.ts`, `modulate.ts`, `gelu.ts`,
 * `grid-attention.ts`, `softmax-cross-entropy.ts` and `group-norm.ts` run the fused kernel when the current backend has it and compose stock tfjs ops otherwise (wasm, cpu, webgl, webgpu), so the layers get the fused path for free and
 * every backend computes the same function. Their tfjs gradients (registered beside each op) call the
 * backward kernels, which only a backend with the forward kernel is asked for.
 *
 * `setFusedOps(false)` forces the composed path everywhere (A/B runs and the parity tests);
 * `setFusedOps(true, { attention: false })` keeps the layers' attention on the composed path (see below).
 */
import * as tf from '@tensorflow/tfjs-core';

/** The kernel names a backend registers to provide the fused ops (inputs and attributes in each op's file). */
export const FUSED_KERNELS = {
  layerNorm: 'VtxLayerNorm',
  layerNormAffine: 'VtxLayerNormAffine',
  layerNormGrad: 'VtxLayerNormGrad',
  modulate: 'VtxModulate',
  modulateGrad: 'VtxModulateGrad',
  gatedResidual: 'VtxGatedResidual',
  gatedResidualGrad: 'VtxGatedResidualGrad',
  activation: 'VtxActivation',
  activationGrad: 'VtxActivationGrad',
  attention: 'VtxAttention',
  attentionMasked: 'VtxAttentionMasked',
  attentionGrad: 'VtxAttentionGrad',
  softmaxCrossEntropy: 'VtxSoftmaxCrossEntropy',
  softmaxCrossEntropyGrad: 'VtxSoftmaxCrossEntropyGrad',
  linear: 'VtxLinear',
  linearAct: 'VtxLinearAct',
  linearGrad: 'VtxLinearGrad',
  groupNorm: 'VtxGroupNorm',
  groupNormAffine: 'VtxGroupNormAffine',
  groupNormGrad: 'VtxGroupNormGrad',
} as const;

let enabled = true;
let attention = true;

export interface FusedOpsOptions {
  /**
   * Let `SelfAttention` use the fused grid attention (default true): exact, 40% fewer kernels on the default
   * step and 10% less memory; with its AVX-512 inner loops 16% faster per default step in a quiet A/B and never
   * slower on the larger workloads (docs/performance.md, "Per-op overhead"). `false` keeps the composed path.
   * `gridAttention` called directly always takes the fused kernel where the backend has it.
   */
  attention?: boolean;
}

/** Use the fused kernels where the backend has them (default), or compose stock ops everywhere. */
export function setFusedOps(on: boolean, options: FusedOpsOptions = {}): void {
  enabled = on;
  attention = on && (options.attention ?? true);
}

export function fusedOpsEnabled(): boolean {
  return enabled;
}

/** Whether `SelfAttention` runs the fused grid attention (see FusedOpsOptions.attention). */
export function fusedAttentionEnabled(): boolean {
  return attention;
}

/** Whether `kernel` runs fused for these (float32) tensors on the current backend. */
export function useFused(kernel: string, ...tensors: (tf.Tensor | null | undefined)[]): boolean {
  return (
    enabled &&
    tensors.every((t) => !t || t.dtype === 'float32') &&
    tf.getKernel(kernel, tf.getBackend()) !== undefined
  );
}

/** Run a fused kernel through the engine (recorded on the gradient tape like any op). */
export function runFused<T extends tf.Tensor | tf.Tensor[]>(
  kernel: string,
  inputs: Record<string, tf.Tensor>,
  attrs: tf.NamedAttrMap = {},
): T {
  return tf.engine().runKernel<T>(kernel, inputs, attrs);
}
