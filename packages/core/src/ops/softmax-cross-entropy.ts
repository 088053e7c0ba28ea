/**
 * Softmax cross-entropy per row with label smoothing (Szegedy et al. 2016): for logits x (…, K) and target
 * distributions t (…, K), t' = t·(1 − ε) + ε/K and loss = −Σ_k t'_k·log softmax(x)_k, shape (…). Targets may be
 * soft (mixup) or one-hot; ε = 0 leaves them as they are. Fused (`VtxSoftmaxCrossEntropy`: inputs logits,
 * targets, attribute `labelSmoothing`; outputs loss and the row log-sum-exp, kept for `VtxSoftmaxCrossEntropyGrad`:
 * dy, logits, targets, lse -> dlogits) where the backend has the kernels; tfjs ops otherwise. The gradient to the
 * targets, −dy·(1 − ε)·log softmax(x), is composed (targets are rarely trained).
 */
import * as tf from '@tensorflow/tfjs-core';
import { FUSED_KERNELS as K, runFused, useFused } from './fused.js';

export interface SoftmaxCrossEntropyOptions {
  /** ε in [0, 1): the weight moved from the targets to the uniform distribution. Default 0. */
  labelSmoothing?: number;
}

/** Per-row loss (…) of logits and targets of the same shape (…, K). */
export function softmaxCrossEntropy(
  logits: tf.Tensor,
  targets: tf.Tensor,
  options: SoftmaxCrossEntropyOptions = {},
): tf.Tensor {
  const eps = options.labelSmoothing ?? 0;
  if (!(eps >= 0 && eps < 1))
    throw new Error(`softmaxCrossEntropy: labelSmoothing must be in [0, 1), got ${eps}`);
  if (logits.rank < 1 || logits.shape.join() !== targets.shape.join())
    throw new Error(
      `softmaxCrossEntropy: logits [${logits.shape.join(', ')}] and targets [${targets.shape.join(', ')}] must have the same shape (…, K)`,
    );
  if (useFused(K.softmaxCrossEntropy, logits, targets)) {
    const [loss] = runFused<tf.Tensor[]>(K.softmaxCrossEntropy, { logits, targets }, { labelSmoothing: eps });
    return loss!;
  }
  return tf.tidy(() => {
    const k = logits.shape.at(-1)!;
    const t = eps ? tf.add(tf.mul(targets, 1 - eps), eps / k) : targets;
    const logp = tf.sub(logits, tf.logSumExp(logits, -1, true));
    return tf.neg(tf.sum(tf.mul(t, logp), -1));
  });
}

tf.registerGradient({
  kernelName: K.softmaxCrossEntropy,
  inputsToSave: ['logits', 'targets'],
  outputsToSave: [false, true],
  gradFunc: (dys, saved, attrs) => {
    const dy = (Array.isArray(dys) ? dys[0] : dys)!;
    const [logits, targets, lse] = saved as [tf.Tensor, tf.Tensor, tf.Tensor];
    const eps = attrs['labelSmoothing'] as number;
    return {
      logits: () => runFused<tf.Tensor>(K.softmaxCrossEntropyGrad, { dy, logits, targets, lse }, attrs),
      targets: () =>
        tf.mul(tf.mul(tf.expandDims(dy, -1), tf.sub(logits, tf.expandDims(lse, -1))), -(1 - eps)),
    };
  },
});
