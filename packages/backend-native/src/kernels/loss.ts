/**
 * The fused softmax cross-entropy @vtx/core calls when the backend has it (`packages/core/src/ops/
 * softmax-cross-entropy.ts` holds the op and its tfjs gradient): per row of K logits, the loss against target
 * distributions with label smoothing applied in the kernel, and the row log-sum-exp kept for the backward
 * (`native/loss.cc`, one pass each). float32 only: core composes stock ops for any other dtype.
 */
import type * as tf from '@tensorflow/tfjs-core';
import type { NativeAddon } from '../addon.js';
import { FUSED } from './fused.js';
import { alloc, f32, output, size, type KernelArgs, type NativeKernel } from './util.js';

const LOSS = {
  softmaxCrossEntropy: FUSED.softmaxCrossEntropy,
  softmaxCrossEntropyGrad: FUSED.softmaxCrossEntropyGrad,
};

/** Rows and classes of logits (…, K), checking that the other inputs match. */
function geometry(name: string, logits: tf.TensorInfo, same: tf.TensorInfo[], rowwise: tf.TensorInfo[]) {
  const k = logits.shape.at(-1);
  if (k === undefined) throw new Error(`${name}: logits must have rank >= 1`);
  const lead = logits.shape.slice(0, -1);
  for (const t of [logits, ...same, ...rowwise])
    if (t.dtype !== 'float32') throw new Error(`${name}: inputs must be float32, got ${t.dtype}`);
  for (const t of same)
    if (t.shape.join() !== logits.shape.join())
      throw new Error(
        `${name}: targets [${t.shape.join(', ')}] differ from logits [${logits.shape.join(', ')}]`,
      );
  for (const t of rowwise)
    if (t.shape.join() !== lead.join())
      throw new Error(`${name}: per-row input [${t.shape.join(', ')}] must be [${lead.join(', ')}]`);
  return { rows: size(lead), k, lead };
}

function smoothing(name: string, attrs: KernelArgs['attrs']): number {
  const eps = Number(attrs?.['labelSmoothing'] ?? 0);
  if (!(eps >= 0 && eps < 1)) throw new Error(`${name}: labelSmoothing must be in [0, 1), got ${eps}`);
  return eps;
}

export function lossKernels(addon: NativeAddon): Record<string, NativeKernel> {
  return {
    [LOSS.softmaxCrossEntropy]: (args) => {
      const { logits, targets } = args.inputs as Record<string, tf.TensorInfo>;
      const name = LOSS.softmaxCrossEntropy;
      const { rows, k, lead } = geometry(name, logits!, [targets!], []);
      const eps = smoothing(name, args.attrs);
      const be = args.backend;
      const [loss, lse] = [alloc(rows), alloc(rows)];
      if (rows && k) addon.softmaxXent(f32(be, logits!), f32(be, targets!), loss, lse, rows, k, eps);
      else {
        loss.fill(0);
        lse.fill(-Infinity);
      }
      return [output(be, lead, loss), output(be, lead, lse)];
    },
    [LOSS.softmaxCrossEntropyGrad]: (args) => {
      const { dy, logits, targets, lse } = args.inputs as Record<string, tf.TensorInfo>;
      const name = LOSS.softmaxCrossEntropyGrad;
      const { rows, k } = geometry(name, logits!, [targets!], [dy!, lse!]);
      const eps = smoothing(name, args.attrs);
      const be = args.backend;
      const dx = alloc(rows * k);
      if (dx.length)
        addon.softmaxXentGrad(
          f32(be, dy!),
          f32(be, logits!),
          f32(be, targets!),
          f32(be, lse!),
          dx,
          rows,
          k,
          eps,
        );
      return output(be, [...logits!.shape], dx);
    },
  };
}
