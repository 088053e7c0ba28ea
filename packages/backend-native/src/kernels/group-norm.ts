/**
 * The fused group norm @vtx/core's `groupNorm` calls when the backend has it (`packages/core/src/ops/group-norm.ts`
 * holds the op and its tfjs gradient): x (S, N, C) normalised per (sample, group of C / G channels) over its N
 * positions, then scaled and shifted per channel; one addon pass forward and one backward (`native/group_norm.cc`)
 * instead of the reshapes, means, broadcasts and their gradients. float32 only: core composes stock ops otherwise.
 */
import type * as tf from '@tensorflow/tfjs-core';
import type { NativeAddon } from '../addon.js';
import { FUSED } from './fused.js';
import { alloc, f32, output, type KernelArgs, type NativeKernel } from './util.js';

/** x (S, N, C) and the `groups` / `epsilon` attributes, checked. */
function geometry(name: string, args: KernelArgs, names: string[]) {
  const x = args.inputs['x']!;
  for (const k of names) {
    const t = args.inputs[k];
    if (t && t.dtype !== 'float32') throw new Error(`${name}: input '${k}' must be float32, got ${t.dtype}`);
  }
  if (x.shape.length !== 3)
    throw new Error(`${name}: x must be (samples, positions, channels), got [${x.shape.join(', ')}]`);
  const [s, n, c] = x.shape as [number, number, number];
  const groups = Number(args.attrs?.['groups']);
  if (!Number.isInteger(groups) || groups < 1 || c % groups)
    throw new Error(`${name}: groups must be a positive integer dividing ${c} channels, got ${groups}`);
  for (const k of ['gamma', 'beta', 'dy']) {
    const t = args.inputs[k];
    const want = k === 'dy' ? x.shape : [c];
    if (t && t.shape.join() !== want.join())
      throw new Error(`${name}: '${k}' must be [${want.join(', ')}], got [${t.shape.join(', ')}]`);
  }
  return { s, n, c, groups, eps: Number(args.attrs?.['epsilon']) };
}

export function groupNormKernels(addon: NativeAddon): Record<string, NativeKernel> {
  const forward = (name: string) => (args: KernelArgs) => {
    const { x, gamma, beta } = args.inputs as Record<string, tf.TensorInfo | undefined>;
    const { s, n, c, groups, eps } = geometry(name, args, ['x', 'gamma', 'beta']);
    const be = args.backend;
    const y = alloc(s * n * c);
    if (y.length)
      addon.groupNorm(
        f32(be, x!),
        gamma ? f32(be, gamma) : null,
        beta ? f32(be, beta) : null,
        y,
        s,
        n,
        c,
        groups,
        eps,
      );
    return output(be, [s, n, c], y);
  };
  return {
    [FUSED.groupNorm]: forward(FUSED.groupNorm),
    [FUSED.groupNormAffine]: forward(FUSED.groupNormAffine),
    [FUSED.groupNormGrad]: (args) => {
      const { dy, x, gamma } = args.inputs as Record<string, tf.TensorInfo | undefined>;
      const { s, n, c, groups, eps } = geometry(FUSED.groupNormGrad, args, ['dy', 'x', 'gamma']);
      const be = args.backend;
      const dx = alloc(s * n * c);
      const [dg, db] = gamma ? [alloc(c), alloc(c)] : [null, null];
      if (dx.length)
        addon.groupNormGrad(
          f32(be, dy!),
          f32(be, x!),
          gamma ? f32(be, gamma) : null,
          dx,
          dg,
          db,
          s,
          n,
          c,
          groups,
          eps,
        );
      else {
        dg?.fill(0);
        db?.fill(0);
      }
      const out = output(be, [s, n, c], dx);
      return gamma ? [out, output(be, [c], dg!), output(be, [c], db!)] : [out];
    },
  };
}
