/**
 * The blocks ADM's U-Net is made of (openai/guided-diffusion unet.py), each beside its closed-form count, with
 * reference-mirroring names:
 *   ResBlock:   h = conv3(SiLU(GN(x))) (GN and conv per frame); h = GN(h)·(1 + scale) + shift with [scale, shift] = Linear(SiLU(emb))
 *               (`use_scale_shift_norm`: adaptive GroupNorm); out = skip(x) + zero-conv3(SiLU(h)), skip a 1x1
 *               conv when the width changes
 *   Attention:  x + SelfAttention_space(GN(x)) (within each frame); with `temporal`, then
 *               x + SelfAttention_time(GN(x) + frame positions) (across frames at each position, Video Diffusion
 *               Models' factorised space-time); with a caption, then x + CrossAttention(GN(x), words)
 *   Down / Up:  stride-2 conv3 or 2x2 average pool; nearest 2x then conv3
 * Every output projection is zero-initialised (ADM's `zero_module`), so each block starts as its skip path.
 */
import * as tfl from '@tensorflow/tfjs-layers';
import {
  AdaLNModulation,
  AvgPool2x,
  Conv2D,
  CrossAttention,
  GroupNorm,
  Modulate,
  SelfAttention,
  SiLU,
  SinCosPosEmbed,
  Upsample2x,
  sym,
  syms,
  type Sym,
} from '@vtx/core';
import type { Context } from '../blocks/dit-branches.js';
import {
  add,
  attentionSets,
  convCost,
  crossAttention,
  layerNorm,
  linear,
  selfAttention,
  zero,
  type Cost,
  type Grid,
} from '../costs/count.js';

const silu = (x: Sym, name: string): Sym => sym(new SiLU({ name }), x);
const conv = (
  x: Sym,
  filters: number,
  kernelSize: number,
  name: string,
  init: 'xavier' | 'zeros' = 'xavier',
) => sym(new Conv2D({ filters, kernelSize, init, name }), x);
/** GroupNorm frame by frame: frames meet only in the video form's temporal attention. */
const norm = (x: Sym, groups: number, name: string): Sym =>
  sym(new GroupNorm({ groups, perFrame: true, name }), x);

/** GroupNorm over n positions of c channels (with its affine scale and shift). */
export const groupNormCost = (n: number, c: number): Cost => layerNorm(n, c, true);

/** ADM's ResBlock with scale-shift norm: x (B, T, H, W, Cin), emb (B, E) -> (B, T, H, W, out). */
export function resBlock(x: Sym, emb: Sym, out: number, groups: number, name: string): Sym {
  const cin = x.shape.at(-1)!;
  let h = norm(x, groups, `${name}.in_layers.0`);
  h = conv(silu(h, `${name}.in_layers.1`), out, 3, `${name}.in_layers.2`); // (B, T, H, W, out)
  const modulation = new AdaLNModulation({
    chunks: 2,
    units: out,
    zeroInit: false,
    name: `${name}.emb_layers.1`,
  });
  const [scale, shift] = syms(modulation, emb) as [Sym, Sym]; // (B, out) each
  h = norm(h, groups, `${name}.out_layers.0`);
  h = sym(new Modulate({ name: `${name}.scale_shift` }), h, shift, scale); // GN(h)·(1 + scale) + shift
  h = conv(silu(h, `${name}.out_layers.2`), out, 3, `${name}.out_layers.3`, 'zeros');
  const skip = cin === out ? x : conv(x, out, 1, `${name}.skip_connection`);
  return sym(tfl.layers.add({ name: `${name}.residual` }), skip, h);
}

export function resBlockCost(n: number, cin: number, out: number, emb: number): Cost {
  return add(
    groupNormCost(n, cin),
    convCost(n, 3, cin, out),
    linear(1, emb, 2 * out),
    groupNormCost(n, out),
    convCost(n, 3, out, out),
    cin === out ? zero() : convCost(n, 1, cin, out),
  );
}

export interface AttentionSpec {
  heads: number;
  groups: number;
  temporal: boolean;
  context: Context | null;
}

/** A pre-norm residual branch: x + f(GN(x)). */
function branch(x: Sym, groups: number, name: string, f: (h: Sym) => Sym): Sym {
  const h = f(norm(x, groups, `${name}_norm`));
  return sym(tfl.layers.add({ name: `${name}_residual` }), x, h);
}

/** ADM's AttentionBlock, then VDM's temporal attention and the caption's cross-attention: (B, T, H, W, C) -> same. */
export function attentionBlock(x: Sym, s: AttentionSpec, name: string): Sym {
  const attention = (axis: 'space' | 'time', n: string) =>
    new SelfAttention({ heads: s.heads, axis, projInit: 'zeros', name: n });
  let h = branch(x, s.groups, `${name}.attn`, (v) => sym(attention('space', `${name}.attn`), v));
  if (s.temporal) {
    h = branch(h, s.groups, `${name}.temporal_attn`, (v) => {
      const positioned = sym(new SinCosPosEmbed({ dims: 'time', name: `${name}.frame_pos` }), v);
      return sym(attention('time', `${name}.temporal_attn`), positioned);
    });
  }
  const context = s.context;
  if (context) {
    h = branch(h, s.groups, `${name}.cross_attn`, (v) => {
      const cross = new CrossAttention({ heads: s.heads, projInit: 'zeros', name: `${name}.cross_attn` });
      return context.mask ? sym(cross, v, context.ctx, context.mask) : sym(cross, v, context.ctx);
    });
  }
  return h;
}

/** The attention block's count on a [T, H, W] grid of width c; `cross` the caption it reads, if any. */
export function attentionBlockCost(
  grid: Grid,
  c: number,
  heads: number,
  temporal: boolean,
  cross: { m: number; dc: number } | null,
): Cost {
  const n = grid[0] * grid[1] * grid[2];
  const parts = [groupNormCost(n, c), selfAttention(n, c, heads, attentionSets('space', grid))];
  if (temporal) parts.push(groupNormCost(n, c), selfAttention(n, c, heads, attentionSets('time', grid)));
  if (cross) parts.push(groupNormCost(n, c), crossAttention(n, cross.m, c, cross.dc, heads));
  return add(...parts);
}

/** ADM's Downsample: (B, T, H, W, C) -> (B, T, H/2, W/2, C) by a stride-2 conv3 or a 2x2 average. */
export function downsample(x: Sym, resample: 'conv' | 'pool', name: string): Sym {
  if (resample === 'pool') return sym(new AvgPool2x({ name: `${name}.op` }), x);
  const c = x.shape.at(-1)!;
  return sym(new Conv2D({ filters: c, kernelSize: 3, strides: 2, name: `${name}.op` }), x);
}

/** Its count for n output positions of c channels. */
export const downsampleCost = (n: number, c: number, resample: 'conv' | 'pool'): Cost =>
  resample === 'conv' ? convCost(n, 3, c, c, 4 * n) : { ...zero(), acts: 4 * n * c };

/** ADM's Upsample: (B, T, H, W, C) -> nearest (B, T, 2H, 2W, C) -> conv3. */
export function upsample(x: Sym, name: string): Sym {
  const up = sym(new Upsample2x({ name: `${name}.nearest` }), x);
  return conv(up, x.shape.at(-1)!, 3, `${name}.conv`);
}

/** Its count for n output positions (after the 2x) of c channels. */
export const upsampleCost = (n: number, c: number): Cost => convCost(n, 3, c, c);
