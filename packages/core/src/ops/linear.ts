/**
 * The dense layer y = act(x·W + b): x (…, Din), W (Din, Dout), b (Dout) or none, act none | GELU exact | GELU
 * tanh | SiLU. Fused (`VtxLinear`, or `VtxLinearAct` with attribute `act`, which also outputs the pre-activation
 * for the backward; `VtxLinearGrad`: dy, x, kernel[, pre] -> dx, dkernel[, dbias]) where the backend has the
 * kernels: one call each way instead of the reshapes, matmul, broadcast add, activation and their gradients.
 * Composed otherwise, as one 2-D matmul (the fast path on wasm; see tfjs#8721).
 */
import * as tf from '@tensorflow/tfjs-core';
import { FUSED_KERNELS as K, runFused, useFused } from './fused.js';
import { geluExact, geluTanh, silu } from './gelu.js';

export type LinearActivation = 'none' | 'gelu-exact' | 'gelu-tanh' | 'silu';

/** x (…, Din) @ W (Din, Dout) + b -> act(…) (…, Dout). */
export function linear(
  x: tf.Tensor,
  kernel: tf.Tensor,
  bias?: tf.Tensor | null,
  act: LinearActivation = 'none',
): tf.Tensor {
  const kernelName = act === 'none' ? K.linear : K.linearAct;
  if (useFused(kernelName, x, kernel, bias) && x.rank >= 1 && kernel.rank === 2) {
    const inputs: Record<string, tf.Tensor> = bias ? { x, kernel, bias } : { x, kernel };
    const attrs = { act, bias: !!bias };
    if (act === 'none') return runFused<tf.Tensor>(kernelName, inputs, attrs);
    return runFused<tf.Tensor[]>(kernelName, inputs, attrs)[0]!;
  }
  const din = x.shape.at(-1)!;
  const dout = kernel.shape[1]!;
  const y = tf.tidy(() => {
    const y2 = tf.matMul(x.reshape([-1, din]), kernel);
    return (bias ? tf.add(y2, bias) : y2).reshape([...x.shape.slice(0, -1), dout]);
  });
  if (act === 'none') return y;
  const out = act === 'silu' ? silu(y) : act === 'gelu-exact' ? geluExact(y) : geluTanh(y);
  y.dispose();
  return out;
}

for (const [kernelName, withAct] of [
  [K.linear, false],
  [K.linearAct, true],
] as const)
  tf.registerGradient({
    kernelName,
    inputsToSave: ['x', 'kernel'],
    outputsToSave: withAct ? [false, true] : [false],
    gradFunc: (dys, saved, attrs) => {
      const dy = (Array.isArray(dys) ? dys[0] : dys)!;
      const [x, kernel, pre] = saved;
      const hasBias = attrs['bias'] === true;
      const inputs: Record<string, tf.Tensor> = { dy, x: x!, kernel: kernel! };
      if (pre) inputs['pre'] = pre;
      const [dx, dk, db] = runFused<tf.Tensor[]>(K.linearGrad, inputs, {
        act: attrs['act'] ?? 'none',
        bias: hasBias,
      });
      return { x: () => dx!, kernel: () => dk!, ...(hasBias ? { bias: () => db! } : {}) };
    },
  });
