/**
 * The parts DiT's blocks are made of (Peebles & Xie 2023, §3.2; facebookresearch/DiT `DiTBlock`), shared by the
 * adaLN-Zero block (`dit-block.ts`) and the other conditionings of the paper's ablation (`dit-ablation-blocks.ts`).
 * A block's residual branches are its self-attention branches — one ('attn'), or several in order
 * ('attn_space', 'attn_time': Latte's "space then time inside a block") — then the MLP ('mlp'); an optional
 * cross-attention branch over a context sequence runs before the MLP. Every layer gets a reference-mirroring name.
 */
import * as tfl from '@tensorflow/tfjs-layers';
import {
  AdaLNModulation,
  CrossAttention,
  LayerNorm,
  Mlp,
  Modulate,
  SelfAttention,
  sym,
  syms,
  type AttentionAxis,
  type Sym,
} from '@vtx/core';
import {
  add,
  crossAttention,
  layerNorm,
  linear,
  mlp,
  selfAttention,
  type Cost,
  type Sets,
} from '../costs/count.js';

export interface DiTBlockSpec {
  heads: number;
  mlpRatio: number;
  /** Self-attention branches in order: ['joint'] or ['space', 'time']. */
  axes: readonly AttentionAxis[];
}

/** A context sequence (B, M, Dc) to cross-attend to, with its padding mask (B, M) if any. */
export interface Context {
  ctx: Sym;
  mask?: Sym;
}

export interface Branch {
  /** 'attn', 'attn_<axis>' or 'mlp': the branch's layer name after the block's. */
  key: string;
  apply(h: Sym): Sym;
}

/** The block's residual branches in order: self-attention (one per axis), then the MLP. */
export function branches(spec: DiTBlockSpec, name: string): Branch[] {
  const single = spec.axes.length === 1;
  const attns = spec.axes.map((axis): Branch => {
    const key = single ? 'attn' : `attn_${axis}`;
    const attn = new SelfAttention({ heads: spec.heads, axis, name: `${name}.${key}` });
    return { key, apply: (h) => sym(attn, h) };
  });
  const mlpBranch: Branch = {
    key: 'mlp',
    apply: (h) => sym(new Mlp({ ratio: spec.mlpRatio, gelu: 'tanh', name: `${name}.mlp` }), h),
  };
  return [...attns, mlpBranch];
}

/** `norm_<branch>`: affine for plain pre-LN blocks, without γ and β where adaLN modulates it. */
export const norm = (x: Sym, affine: boolean, name: string): Sym =>
  sym(new LayerNorm({ affine, epsilon: 1e-6, name }), x);

/** c (B, D) -> `chunks` vectors (B, D): the per-branch shift, scale (and gate) regressed from the condition. */
export const adaLNChunks = (c: Sym, chunks: number, zeroInit: boolean, name: string): Sym[] =>
  syms(new AdaLNModulation({ chunks, zeroInit, name: `${name}.adaLN_modulation` }), c);

/** norm(x) · (1 + scale) + shift. */
export const modulate = (h: Sym, shift: Sym, scale: Sym, name: string): Sym =>
  sym(new Modulate({ name }), h, shift, scale);

/** x + h. */
export const addResidual = (x: Sym, h: Sym, name: string): Sym => sym(tfl.layers.add({ name }), x, h);

/** x + cross_attn(norm(x), ctx): PixArt-α / Latte text conditioning, and DiT's cross-attention ablation. */
export function crossAttentionBranch(x: Sym, context: Context, heads: number, name: string): Sym {
  const h = sym(new LayerNorm({ epsilon: 1e-6, name: `${name}.norm` }), x);
  const cross = new CrossAttention({ heads, name });
  const out = context.mask ? sym(cross, h, context.ctx, context.mask) : sym(cross, h, context.ctx);
  return addResidual(x, out, `${name}.residual`);
}

/** Counts of a block's branches over n tokens: a norm (affine or not) and the branch, per `branches` entry. */
export function branchCosts(n: number, d: number, spec: CostSpec, affine: boolean): Cost[] {
  const attns = spec.sets.map((s) => add(layerNorm(n, d, affine), selfAttention(n, d, spec.heads, s)));
  const cross = spec.cross
    ? [add(layerNorm(n, d, true), crossAttention(n, spec.cross.m, d, spec.cross.dc, spec.heads))]
    : [];
  return [...attns, ...cross, add(layerNorm(n, d, affine), mlp(n, d, Math.round(d * spec.mlpRatio)))];
}

/** What a block's count needs: heads, MLP ratio, one list of sequence sets per attention branch, the context. */
export interface CostSpec {
  heads: number;
  mlpRatio: number;
  sets: Sets[];
  /** Cross-attention over m context vectors of width dc. */
  cross?: { m: number; dc: number } | null;
}

/** The adaLN modulation's count: one linear D -> chunks·D on the condition vector. */
export const adaLNCost = (d: number, chunks: number): Cost => linear(1, d, chunks * d);
