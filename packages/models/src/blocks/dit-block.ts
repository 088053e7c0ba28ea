/**
 * DiT's block (Peebles & Xie 2023, §3.2, Fig. 3; facebookresearch/DiT `DiTBlock`, `FinalLayer`): adaLN-Zero.
 *   shift, scale, gate = adaLN_modulation(c)        per branch; zero-initialised, so the block starts as identity
 *   x = x + gate_msa · attn(modulate(norm_attn(x), shift_msa, scale_msa))
 *   x = x + gate_mlp · mlp(modulate(norm_mlp(x), shift_mlp, scale_mlp))
 * Video DiTs give it several self-attention branches (Latte's space then time) and a cross-attention branch over
 * a caption before the MLP (PixArt-α). The other conditionings of the paper's ablation are in
 * `dit-ablation-blocks.ts`.
 */
import { GatedResidual, Linear, sym, type Sym } from '@vtx/core';
import { add, layerNorm, linear, type Cost } from '../costs/count.js';
import {
  adaLNChunks,
  adaLNCost,
  branchCosts,
  branches,
  crossAttentionBranch,
  modulate,
  norm,
  type Context,
  type CostSpec,
  type DiTBlockSpec,
} from './dit-branches.js';

/** x (B, T', H', W', D) or (B, N, D), c (B, D) -> same shape as x. `context` (B, M, Dc) adds cross-attention. */
export function adaLNZeroBlock(
  x: Sym,
  c: Sym,
  spec: DiTBlockSpec,
  name: string,
  context?: Context | null,
): Sym {
  const parts = branches(spec, name);
  const mods = adaLNChunks(c, 3 * parts.length, true, name); // (shift, scale, gate) per branch, each (B, D)
  parts.forEach((branch, i) => {
    if (branch.key === 'mlp' && context)
      x = crossAttentionBranch(x, context, spec.heads, `${name}.cross_attn`);
    const [shift, scale, gate] = mods.slice(3 * i, 3 * i + 3) as [Sym, Sym, Sym];
    const b = `${name}.${branch.key}`;
    const h = branch.apply(
      modulate(norm(x, false, `${name}.norm_${branch.key}`), shift, scale, `${b}.modulate`),
    );
    x = sym(new GatedResidual({ name: `${b}.gated_residual` }), x, h, gate);
  });
  return x;
}

export function adaLNZeroBlockCost(n: number, d: number, spec: CostSpec): Cost {
  return add(...branchCosts(n, d, spec, false), adaLNCost(d, 3 * (spec.sets.length + 1)));
}

/** DiT's `FinalLayer`: x (…, D), c (B, D) -> linear(modulate(norm(x), shift, scale)) (…, outDim), zero-initialised. */
export function finalLayer(x: Sym, c: Sym, outDim: number, name: string): Sym {
  const [shift, scale] = adaLNChunks(c, 2, true, name) as [Sym, Sym];
  const h = modulate(norm(x, false, `${name}.norm_final`), shift, scale, `${name}.modulate`);
  return sym(new Linear({ units: outDim, init: 'zeros', name: `${name}.linear` }), h);
}

export function finalLayerCost(n: number, d: number, outDim: number): Cost {
  return add(adaLNCost(d, 2), layerNorm(n, d, false), linear(n, d, outDim));
}
