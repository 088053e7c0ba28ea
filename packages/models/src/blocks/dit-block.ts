/**
 * DiT blocks (Peebles & Xie 2023, §3.2, Fig. 3; facebookresearch/DiT `DiTBlock`, `FinalLayer`), generalised
 * to several attention branches so video DiTs can factorise space and time (Latte's variant "space then time
 * inside a block"). Functions over symbolic tensors; every layer gets a reference-mirroring name.
 *   adaLN-Zero: per branch (shift, scale, gate) from c:  x = x + gate · branch(modulate(norm(x), shift, scale))
 *   adaLN:      per branch (shift, scale), no gate:      x = x + branch(modulate(norm(x), shift, scale))
 *   plain:      pre-LN residuals (in-context and cross-attention conditioning, where c enters as tokens)
 * An optional cross-attention branch over a context sequence (captions, or [t, y] for the cross-attention
 * ablation) follows the self-attention branches: x = x + cross(norm(x), ctx).
 */
import * as tfl from '@tensorflow/tfjs-layers';
import {
  AdaLNModulation,
  CrossAttention,
  GatedResidual,
  LayerNorm,
  Linear,
  Mlp,
  Modulate,
  SelfAttention,
  sym,
  syms,
  type AttentionAxis,
  type Sym,
} from '@vtx/core';

export type BlockModulation = 'adaLN-Zero' | 'adaLN' | 'none';

export interface DiTBlockSpec {
  heads: number;
  mlpRatio: number;
  /** Self-attention branches in order: ['joint'] or ['space', 'time']. */
  axes: readonly AttentionAxis[];
  modulation: BlockModulation;
}

/** x (B, T', H', W', D) or (B, N, D), c (B, D) -> same shape as x. `context` (B, M, Dc) adds cross-attention. */
export function ditBlock(
  x: Sym,
  c: Sym | null,
  spec: DiTBlockSpec,
  name: string,
  context?: { ctx: Sym; mask?: Sym } | null,
): Sym {
  const single = spec.axes.length === 1;
  const branches: { key: string; apply: (h: Sym) => Sym }[] = spec.axes.map((axis) => {
    const key = single ? 'attn' : `attn_${axis}`;
    const attn = new SelfAttention({ heads: spec.heads, axis, name: `${name}.${key}` });
    return { key, apply: (h: Sym) => sym(attn, h) };
  });
  branches.push({
    key: 'mlp',
    apply: (h) => sym(new Mlp({ ratio: spec.mlpRatio, gelu: 'tanh', name: `${name}.mlp` }), h),
  });

  const perBranch = spec.modulation === 'adaLN-Zero' ? 3 : spec.modulation === 'adaLN' ? 2 : 0;
  let mods: Sym[] = [];
  if (perBranch > 0) {
    if (!c) throw new Error(`${name}: ${spec.modulation} needs a conditioning vector`);
    const adaLN = new AdaLNModulation({
      chunks: perBranch * branches.length,
      zeroInit: spec.modulation === 'adaLN-Zero',
      name: `${name}.adaLN_modulation`,
    });
    mods = syms(adaLN, c); // perBranch·branches × (B, D)
  }

  branches.forEach((branch, i) => {
    if (branch.key === 'mlp' && context) x = crossBranch(x, context, spec.heads, `${name}.cross_attn`);
    const affine = perBranch === 0;
    const norm = sym(new LayerNorm({ affine, epsilon: 1e-6, name: `${name}.norm_${branch.key}` }), x);
    if (perBranch === 0) {
      x = sym(tfl.layers.add({ name: `${name}.${branch.key}.residual` }), x, branch.apply(norm));
      return;
    }
    const [shift, scale, gate] = mods.slice(perBranch * i, perBranch * (i + 1)) as [Sym, Sym, Sym?];
    const h = branch.apply(sym(new Modulate({ name: `${name}.${branch.key}.modulate` }), norm, shift, scale));
    x = gate
      ? sym(new GatedResidual({ name: `${name}.${branch.key}.gated_residual` }), x, h, gate)
      : sym(tfl.layers.add({ name: `${name}.${branch.key}.residual` }), x, h);
  });
  return x;
}

/** x + cross_attn(norm(x), ctx): PixArt-α / Latte text conditioning, and DiT's cross-attention ablation. */
function crossBranch(x: Sym, context: { ctx: Sym; mask?: Sym }, heads: number, name: string): Sym {
  const norm = sym(new LayerNorm({ epsilon: 1e-6, name: `${name}.norm` }), x);
  const cross = new CrossAttention({ heads, name });
  const h = context.mask ? sym(cross, norm, context.ctx, context.mask) : sym(cross, norm, context.ctx);
  return sym(tfl.layers.add({ name: `${name}.residual` }), x, h);
}

/**
 * DiT's `FinalLayer`: norm (modulated by c when `modulation` is adaLN-*) then a zero-initialised linear to
 * patch pixels.  x (…, D), c (B, D) -> (…, outDim)
 */
export function finalLayer(
  x: Sym,
  c: Sym | null,
  outDim: number,
  modulation: BlockModulation,
  name: string,
): Sym {
  let h: Sym;
  if (modulation === 'none') {
    h = sym(new LayerNorm({ epsilon: 1e-6, name: `${name}.norm_final` }), x);
  } else {
    if (!c) throw new Error(`${name}: modulation needs a conditioning vector`);
    const [shift, scale] = syms(new AdaLNModulation({ chunks: 2, name: `${name}.adaLN_modulation` }), c) as [
      Sym,
      Sym,
    ];
    const norm = sym(new LayerNorm({ affine: false, epsilon: 1e-6, name: `${name}.norm_final` }), x);
    h = sym(new Modulate({ name: `${name}.modulate` }), norm, shift, scale);
  }
  return sym(new Linear({ units: outDim, init: 'zeros', name: `${name}.linear` }), h);
}
