/**
 * The other block designs of DiT's conditioning ablation (Peebles & Xie 2023, §3.2, Fig. 3 and 5), beside
 * adaLN-Zero (`dit-block.ts`):
 *   adaLN:            x = x + branch(modulate(norm(x), shift, scale))   per branch (shift, scale) from c, no gate
 *   cross-attention:  x = x + attn(norm(x));  x = x + cross_attn(norm(x), [t, y]);  x = x + mlp(norm(x))
 *   in-context:       x = x + attn(norm(x));  x = x + mlp(norm(x))       over [t, y, tokens] (a plain ViT block)
 * and the final layer of the designs whose condition enters as tokens (a plain norm, then the linear).
 */
import { Linear, sym, type Sym } from '@vtx/core';
import { add, layerNorm, linear, type Cost } from '../costs/count.js';
import {
  adaLNChunks,
  adaLNCost,
  branchCosts,
  branches,
  crossAttentionBranch,
  modulate,
  norm,
  addResidual,
  type Context,
  type CostSpec,
  type DiTBlockSpec,
} from './dit-branches.js';

/** adaLN: c (B, D) regresses each branch's shift and scale; x (…, D) -> same shape. */
export function adaLNBlock(x: Sym, c: Sym, spec: DiTBlockSpec, name: string): Sym {
  const parts = branches(spec, name);
  const mods = adaLNChunks(c, 2 * parts.length, false, name); // (shift, scale) per branch
  parts.forEach((branch, i) => {
    const [shift, scale] = mods.slice(2 * i, 2 * i + 2) as [Sym, Sym];
    const b = `${name}.${branch.key}`;
    const h = branch.apply(
      modulate(norm(x, false, `${name}.norm_${branch.key}`), shift, scale, `${b}.modulate`),
    );
    x = addResidual(x, h, `${b}.residual`);
  });
  return x;
}

export function adaLNBlockCost(n: number, d: number, spec: CostSpec): Cost {
  return add(...branchCosts(n, d, spec, false), adaLNCost(d, 2 * (spec.sets.length + 1)));
}

/** A pre-LN block (the in-context design; its condition is among the tokens): x (…, D) -> same shape. */
export function plainBlock(x: Sym, spec: DiTBlockSpec, name: string, context?: Context | null): Sym {
  for (const branch of branches(spec, name)) {
    if (branch.key === 'mlp' && context)
      x = crossAttentionBranch(x, context, spec.heads, `${name}.cross_attn`);
    const h = branch.apply(norm(x, true, `${name}.norm_${branch.key}`));
    x = addResidual(x, h, `${name}.${branch.key}.residual`);
  }
  return x;
}

/** The cross-attention design: a pre-LN block that attends to the condition tokens `context` before its MLP. */
export const crossAttentionBlock = (x: Sym, context: Context, spec: DiTBlockSpec, name: string): Sym =>
  plainBlock(x, spec, name, context);

/** The count of `plainBlock` and `crossAttentionBlock` (with `spec.cross`). */
export const plainBlockCost = (n: number, d: number, spec: CostSpec): Cost =>
  add(...branchCosts(n, d, spec, true));

/** The final layer when c is not a vector the blocks are modulated by: x (…, D) -> linear(norm(x)) (…, outDim). */
export function plainFinalLayer(x: Sym, outDim: number, name: string): Sym {
  const h = norm(x, true, `${name}.norm_final`);
  return sym(new Linear({ units: outDim, init: 'zeros', name: `${name}.linear` }), h);
}

export const plainFinalLayerCost = (n: number, d: number, outDim: number): Cost =>
  add(layerNorm(n, d, true), linear(n, d, outDim));
