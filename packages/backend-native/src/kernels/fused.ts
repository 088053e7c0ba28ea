/**
 * The fused transformer kernels @vtx/core calls when the backend has them (`packages/core/src/ops/fused.ts`
 * holds the names, the switch and the tfjs gradients that call the `…Grad` kernels): layer norm, adaLN
 * modulate and gated residual, GELU (exact / tanh) and SiLU, each forward and backward in one pass of the addon
 * (`native/fused.cc`), and self-attention over a token grid read straight from the qkv projection
 * (`native/attention.cc`, flash-attention style). Shapes: layer norm over the last axis of any rank; adaLN tokens (B, …, D) with
 * per-sample vectors (B, D). float32 only: core composes stock ops for any other dtype.
 */
import type * as tf from '@tensorflow/tfjs-core';
import type { NativeAddon } from '../addon.js';
import { alloc, f32, output, size, type KernelArgs, type NativeKernel } from './util.js';

/** Kernel names; the same strings as FUSED_KERNELS in @vtx/core (a test checks). */
export const FUSED = {
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

/** `act` attribute -> the addon's code. */
const ACT: Record<string, number> = { 'gelu-exact': 0, 'gelu-tanh': 1, silu: 2 };

type In = Record<string, tf.TensorInfo | undefined>;

function float32Only(name: string, inputs: In): void {
  for (const [k, t] of Object.entries(inputs))
    if (t && t.dtype !== 'float32') throw new Error(`${name}: input '${k}' must be float32, got ${t.dtype}`);
}

/** (B, …, D) tokens and (B, D) vectors -> [b, n, d], checking the vectors' shape. */
function tokens(name: string, x: tf.TensorInfo, vec: tf.TensorInfo[]): [number, number, number] {
  const b = x.shape[0]!;
  const d = x.shape.at(-1)!;
  if (x.shape.length < 2) throw new Error(`${name}: tokens must have rank >= 2, got [${x.shape.join(', ')}]`);
  for (const v of vec)
    if (v.shape.length !== 2 || v.shape[0] !== b || v.shape[1] !== d)
      throw new Error(`${name}: per-sample vectors must be [${b}, ${d}], got [${v.shape.join(', ')}]`);
  return [b, size(x.shape) / (b * d || 1), d];
}

function activationAct(name: string, attrs: KernelArgs['attrs']): number {
  const name_ = attrs?.['act'];
  const act = typeof name_ === 'string' ? ACT[name_] : undefined;
  if (act === undefined)
    throw new Error(`${name}: act must be gelu-exact, gelu-tanh or silu, got ${JSON.stringify(name_)}`);
  return act;
}

/** The kernels by name, for `registerNativeBackend`. */
export function fusedKernels(addon: NativeAddon): Record<string, NativeKernel> {
  const layerNorm = (name: string) => (args: KernelArgs) => {
    const { x, gamma, beta } = args.inputs;
    float32Only(name, { x, gamma, beta });
    const d = x!.shape.at(-1) ?? 1;
    const y = alloc(size(x!.shape));
    const be = args.backend;
    const g = gamma ? f32(be, gamma) : null;
    const bb = beta ? f32(be, beta) : null;
    if (y.length) addon.layerNorm(f32(be, x!), g, bb, y, y.length / d, d, Number(args.attrs?.['epsilon']));
    return output(be, [...x!.shape], y);
  };
  return {
    [FUSED.layerNorm]: layerNorm(FUSED.layerNorm),
    [FUSED.layerNormAffine]: layerNorm(FUSED.layerNormAffine),
    [FUSED.layerNormGrad]: (args) => {
      const { dy, x, gamma } = args.inputs;
      float32Only(FUSED.layerNormGrad, { dy, x, gamma });
      const be = args.backend;
      const d = x!.shape.at(-1) ?? 1;
      const dx = alloc(size(x!.shape));
      const dg = gamma ? alloc(d) : null;
      const db = gamma ? alloc(d) : null;
      const rows = d ? dx.length / d : 0;
      if (gamma && !rows) {
        dg!.fill(0);
        db!.fill(0);
      }
      if (rows)
        addon.layerNormGrad(
          f32(be, dy!),
          f32(be, x!),
          gamma ? f32(be, gamma) : null,
          dx,
          dg,
          db,
          rows,
          d,
          Number(args.attrs?.['epsilon']),
        );
      const out = output(be, [...x!.shape], dx);
      return gamma ? [out, output(be, [d], dg!), output(be, [d], db!)] : [out];
    },
    [FUSED.modulate]: (args) => {
      const { x, shift, scale } = args.inputs;
      float32Only(FUSED.modulate, { x, shift, scale });
      const [b, n, d] = tokens(FUSED.modulate, x!, [shift!, scale!]);
      const be = args.backend;
      const y = alloc(size(x!.shape));
      if (y.length)
        addon.adaLN('modulate', f32(be, x!), f32(be, shift!), f32(be, scale!), y, null, null, b, n, d);
      return output(be, [...x!.shape], y);
    },
    [FUSED.modulateGrad]: (args) => {
      const { dy, x, scale } = args.inputs;
      float32Only(FUSED.modulateGrad, { dy, x, scale });
      const [b, n, d] = tokens(FUSED.modulateGrad, x!, [scale!]);
      const be = args.backend;
      const [dx, ds, dc] = [alloc(size(x!.shape)), alloc(b * d), alloc(b * d)];
      if (dx.length)
        addon.adaLN('modulateGrad', f32(be, dy!), f32(be, x!), f32(be, scale!), dx, ds, dc, b, n, d);
      else {
        ds.fill(0);
        dc.fill(0);
      }
      return [output(be, [...x!.shape], dx), output(be, [b, d], ds), output(be, [b, d], dc)];
    },
    [FUSED.gatedResidual]: (args) => {
      const { x, h, gate } = args.inputs;
      float32Only(FUSED.gatedResidual, { x, h, gate });
      const [b, n, d] = tokens(FUSED.gatedResidual, x!, [gate!]);
      if (h!.shape.join() !== x!.shape.join())
        throw new Error(
          `${FUSED.gatedResidual}: x [${x!.shape.join(', ')}] and h [${h!.shape.join(', ')}] differ`,
        );
      const be = args.backend;
      const y = alloc(size(x!.shape));
      if (y.length)
        addon.adaLN('gatedResidual', f32(be, x!), f32(be, h!), f32(be, gate!), y, null, null, b, n, d);
      return output(be, [...x!.shape], y);
    },
    [FUSED.gatedResidualGrad]: (args) => {
      const { dy, h, gate } = args.inputs;
      float32Only(FUSED.gatedResidualGrad, { dy, h, gate });
      const [b, n, d] = tokens(FUSED.gatedResidualGrad, h!, [gate!]);
      const be = args.backend;
      const [dh, dg] = [alloc(size(h!.shape)), alloc(b * d)];
      if (dh.length)
        addon.adaLN('gatedResidualGrad', f32(be, dy!), f32(be, h!), f32(be, gate!), dh, dg, null, b, n, d);
      else dg.fill(0);
      return [output(be, [...h!.shape], dh), output(be, [b, d], dg)];
    },
    [FUSED.activation]: (args) => {
      const { x } = args.inputs;
      float32Only(FUSED.activation, { x });
      const act = activationAct(FUSED.activation, args.attrs);
      const y = alloc(size(x!.shape));
      if (y.length) addon.activation(act, f32(args.backend, x!), y);
      return output(args.backend, [...x!.shape], y);
    },
    [FUSED.activationGrad]: (args) => {
      const { dy, x } = args.inputs;
      float32Only(FUSED.activationGrad, { dy, x });
      const act = activationAct(FUSED.activationGrad, args.attrs);
      const dx = alloc(size(x!.shape));
      if (dx.length) addon.activationGrad(act, f32(args.backend, dy!), f32(args.backend, x!), dx);
      return output(args.backend, [...x!.shape], dx);
    },
  };
}

/** `axis` attribute -> the addon's code (native/attention.h). */
const AXIS: Record<string, number> = { joint: 0, space: 1, time: 2, split: 3 };

interface AttnAttrs {
  b: number;
  t: number;
  hw: number;
  heads: number;
  dh: number;
  axis: number;
}

/** qkv (B, N, 3·D) and the attributes heads, axis, t, hw (N = t·hw) -> the addon's geometry. */
function attnGeometry(name: string, qkv: tf.TensorInfo, attrs: KernelArgs['attrs']): AttnAttrs {
  const [heads, t, hw] = ['heads', 't', 'hw'].map((k) => Number(attrs?.[k]));
  const axisName = attrs?.['axis'];
  const axis = typeof axisName === 'string' ? AXIS[axisName] : undefined;
  if (axis === undefined)
    throw new Error(`${name}: axis must be joint, space, time or split, got ${JSON.stringify(axisName)}`);
  const [b, n, d3] = qkv.shape as [number, number, number];
  if (qkv.shape.length !== 3 || n !== t! * hw! || d3 % (3 * heads!) !== 0)
    throw new Error(
      `${name}: qkv must be [B, t·hw = ${t! * hw!}, 3·heads·dh], got [${qkv.shape.join(', ')}]`,
    );
  return { b, t: t!, hw: hw!, heads: heads!, dh: d3 / (3 * heads!), axis };
}

/** The fused self-attention kernels (forward with and without a key-padding mask, and the backward). */
export function attentionKernels(addon: NativeAddon): Record<string, NativeKernel> {
  const forward = (name: string) => (args: KernelArgs) => {
    const { qkv, mask } = args.inputs;
    float32Only(name, { qkv, mask });
    const g = attnGeometry(name, qkv!, args.attrs);
    const be = args.backend;
    const n = g.t * g.hw;
    const [o, lse] = [alloc(g.b * n * g.heads * g.dh), alloc(g.b * n * g.heads)];
    if (o.length)
      addon.attention(
        f32(be, qkv!),
        mask ? f32(be, mask) : null,
        o,
        lse,
        g.b,
        g.t,
        g.hw,
        g.heads,
        g.dh,
        g.axis,
      );
    return [output(be, [g.b, n, g.heads * g.dh], o), output(be, [g.b, n, g.heads], lse)];
  };
  return {
    [FUSED.attention]: forward(FUSED.attention),
    [FUSED.attentionMasked]: forward(FUSED.attentionMasked),
    [FUSED.attentionGrad]: (args) => {
      const { dy, qkv, o, lse, mask } = args.inputs;
      float32Only(FUSED.attentionGrad, { dy, qkv, o, lse, mask });
      const g = attnGeometry(FUSED.attentionGrad, qkv!, args.attrs);
      const be = args.backend;
      const dqkv = alloc(size(qkv!.shape));
      if (dqkv.length)
        addon.attentionGrad(
          f32(be, dy!),
          f32(be, qkv!),
          f32(be, o!),
          f32(be, lse!),
          mask ? f32(be, mask) : null,
          dqkv,
          g.b,
          g.t,
          g.hw,
          g.heads,
          g.dh,
          g.axis,
        );
      return output(be, [...qkv!.shape], dqkv);
    },
  };
}
