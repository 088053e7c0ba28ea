/**
 * The fused dense layer @vtx/core's `linear` calls when the backend has it (`packages/core/src/ops/linear.ts`
 * holds the op and its tfjs gradient): y = act(x·W + b) for x (…, Din), W (Din, Dout), b (Dout), one addon call
 * forward (the GEMM of all rows, then bias and activation) and one backward (activation derivative, both GEMMs,
 * the bias's column sums) instead of the reshapes, matmul, broadcast add and their gradients (`native/linear.cc`).
 */
import type * as tf from '@tensorflow/tfjs-core';
import type { NativeAddon } from '../addon.js';
import { FUSED } from './fused.js';
import { alloc, f32, output, size, type KernelArgs, type NativeKernel } from './util.js';

/** `act` attribute -> the addon's code (-1: none; else fused.h's Act). */
const ACT: Record<string, number> = { none: -1, 'gelu-exact': 0, 'gelu-tanh': 1, silu: 2 };

function actOf(name: string, attrs: KernelArgs['attrs'], fused: boolean): number {
  const a = attrs?.['act'] ?? 'none';
  const code = typeof a === 'string' ? ACT[a] : undefined;
  if (code === undefined || code >= 0 !== fused)
    throw new Error(
      `${name}: act must be ${fused ? 'gelu-exact, gelu-tanh or silu' : 'none'}, got ${JSON.stringify(a)}`,
    );
  return code;
}

/** x (…, Din), W (Din, Dout), b (Dout) -> rows, din, dout; float32 only. */
function geometry(name: string, x: tf.TensorInfo, w: tf.TensorInfo, b: tf.TensorInfo | undefined) {
  for (const t of [x, w, b])
    if (t && t.dtype !== 'float32') throw new Error(`${name}: inputs must be float32`);
  const din = x.shape.at(-1);
  if (din === undefined || w.shape.length !== 2 || w.shape[0] !== din)
    throw new Error(`${name}: x [${x.shape.join(', ')}] and kernel [${w.shape.join(', ')}] do not chain`);
  const dout = w.shape[1]!;
  if (b && (b.shape.length !== 1 || b.shape[0] !== dout))
    throw new Error(`${name}: bias must be [${dout}], got [${b.shape.join(', ')}]`);
  return { rows: size(x.shape.slice(0, -1)), din, dout, out: [...x.shape.slice(0, -1), dout] };
}

export function linearKernels(addon: NativeAddon): Record<string, NativeKernel> {
  const forward = (name: string, fused: boolean) => (args: KernelArgs) => {
    const { x, kernel, bias } = args.inputs;
    const act = actOf(name, args.attrs, fused);
    const g = geometry(name, x!, kernel!, bias);
    const rows = g.rows;
    const be = args.backend;
    const y = alloc(rows * g.dout);
    const pre = fused ? alloc(rows * g.dout) : null;
    const b = bias ? f32(be, bias) : null;
    addon.linear(f32(be, x!), f32(be, kernel!), b, y, pre, rows, g.din, g.dout, act);
    return pre ? [output(be, g.out, y), output(be, g.out, pre)] : output(be, g.out, y);
  };
  return {
    [FUSED.linear]: forward(FUSED.linear, false),
    [FUSED.linearAct]: forward(FUSED.linearAct, true),
    [FUSED.linearGrad]: (args) => {
      const { dy, x, kernel, pre } = args.inputs;
      const name = FUSED.linearGrad;
      const act = actOf(name, args.attrs, pre !== undefined);
      const g = geometry(name, x!, kernel!, undefined);
      const rows = g.rows;
      const be = args.backend;
      const withBias = args.attrs?.['bias'] === true;
      const [dx, dw, db] = [alloc(rows * g.din), alloc(g.din * g.dout), withBias ? alloc(g.dout) : null];
      addon.linearGrad(
        f32(be, dy!),
        f32(be, x!),
        f32(be, kernel!),
        pre ? f32(be, pre) : null,
        dx,
        dw,
        db,
        rows,
        g.din,
        g.dout,
        act,
      );
      const out = [output(be, [...x!.shape], dx), output(be, [...kernel!.shape], dw)];
      return db ? [...out, output(be, [g.dout], db)] : out;
    },
  };
}
