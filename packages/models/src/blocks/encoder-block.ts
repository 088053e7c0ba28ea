/**
 * The pre-LN transformer encoder block of ViT (Dosovitskiy et al. 2021, eq. 2-3) and its space-time
 * factorisations (ViViT, Arnab et al. 2021, §3.3), as a function over symbolic tensors that creates named
 * leaf layers (keras.applications style).
 *   one axis (joint | split):  x = x + attn(norm1(x));  x = x + mlp(norm2(x))          timm names
 *   several axes (space, time): x = x + attn_space(norm_space(x)); x = x + attn_time(norm_time(x)); x = x + mlp(norm2(x))
 * Residual branches pass through DropPath (stochastic depth) when `dropPath > 0`.
 */
import * as tfl from '@tensorflow/tfjs-layers';
import {
  DropPath,
  LayerNorm,
  Mlp,
  SelfAttention,
  sym,
  type AttentionAxis,
  type GeluKind,
  type KernelInit,
  type Sym,
} from '@vtx/core';
import { add, layerNorm, mlp, selfAttention, type Cost, type Sets } from '../costs/count.js';

export interface EncoderBlockSpec {
  heads: number;
  mlpRatio: number;
  /** Attention branches in order: ['joint'], ['split'] or ['space', 'time']. */
  axes: readonly AttentionAxis[];
  gelu?: GeluKind;
  dropPath?: number;
  /** Initialiser of each attention's output projection, by axis ('zeros' for ViViT model 3's temporal MSA). */
  projInit?: Partial<Record<AttentionAxis, KernelInit>>;
}

/** x (B, T', H', W', D) or (B, N, D) -> same shape. */
export function encoderBlock(x: Sym, spec: EncoderBlockSpec, name: string, mask?: Sym): Sym {
  const single = spec.axes.length === 1;
  spec.axes.forEach((axis) => {
    const suffix = single ? '' : `_${axis}`;
    const norm = new LayerNorm({ epsilon: 1e-6, name: `${name}.${single ? 'norm1' : `norm${suffix}`}` });
    const attn = new SelfAttention({
      heads: spec.heads,
      axis,
      projInit: spec.projInit?.[axis] ?? 'xavier',
      name: `${name}.attn${suffix}`,
    });
    const h = mask ? sym(attn, sym(norm, x), mask) : sym(attn, sym(norm, x));
    x = residual(x, h, spec.dropPath ?? 0, `${name}.attn${suffix}`);
  });
  const mlp = new Mlp({ ratio: spec.mlpRatio, gelu: spec.gelu ?? 'exact', name: `${name}.mlp` });
  return residual(
    x,
    sym(mlp, sym(new LayerNorm({ epsilon: 1e-6, name: `${name}.norm2` }), x)),
    spec.dropPath ?? 0,
    `${name}.mlp`,
  );
}

/** x + DropPath(h). */
export function residual(x: Sym, h: Sym, dropPath: number, name: string): Sym {
  const branch = dropPath > 0 ? sym(new DropPath({ rate: dropPath, name: `${name}.drop_path` }), h) : h;
  return sym(tfl.layers.add({ name: `${name}.residual` }), x, branch);
}

/** The block's count over n tokens of width d: one list of sequence sets per attention branch (`branchSets`). */
export function encoderBlockCost(n: number, d: number, heads: number, ratio: number, branches: Sets[]): Cost {
  const attns = branches.map((b) => add(layerNorm(n, d, true), selfAttention(n, d, heads, b)));
  return add(...attns, layerNorm(n, d, true), mlp(n, d, Math.round(d * ratio)));
}
