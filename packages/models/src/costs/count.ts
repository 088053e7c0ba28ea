/**
 * Closed-form parameter and multiply-add counts of the building blocks. One multiply-add counts as one flop,
 * the convention of DiT's Gflops (Table 4) and Scenic's `fuse_multiply_add=True`; norms, softmax and
 * activations are not counted (they are O(N·D), negligible next to the matmuls).
 * A "sequence set" is S sequences of length L attending within themselves (S·L = tokens).
 */
import type { AttentionAxis } from '@vtx/core';

export interface Cost {
  /** Trainable parameters. */
  params: number;
  /** Forward multiply-adds for one sample. */
  macs: number;
  /** Floats of activations kept for the backward pass, for one sample (an estimate). */
  acts: number;
}

export const zero = (): Cost => ({ params: 0, macs: 0, acts: 0 });

export function add(...cs: Cost[]): Cost {
  return cs.reduce(
    (a, c) => ({ params: a.params + c.params, macs: a.macs + c.macs, acts: a.acts + c.acts }),
    zero(),
  );
}

export function times(c: Cost, k: number): Cost {
  return { params: c.params * k, macs: c.macs * k, acts: c.acts * k };
}

/** A dense layer applied to n vectors: (n, din) -> (n, dout). */
export function linear(n: number, din: number, dout: number, bias = true): Cost {
  return { params: din * dout + (bias ? dout : 0), macs: n * din * dout, acts: n * din };
}

/** A k×k convolution from cin to cout channels producing n positions (per sample), reading `inputs` positions. */
export function convCost(n: number, k: number, cin: number, cout: number, inputs = n): Cost {
  return { params: k * k * cin * cout + cout, macs: n * k * k * cin * cout, acts: inputs * cin };
}

export function layerNorm(n: number, d: number, affine: boolean): Cost {
  return { params: affine ? 2 * d : 0, macs: 0, acts: n * d };
}

export function mlp(n: number, d: number, hidden: number, out = d): Cost {
  return add(linear(n, d, hidden), linear(n, hidden, out), { params: 0, macs: 0, acts: n * hidden });
}

/**
 * Multi-head self-attention of width d over sequence sets [S, L] (one set, or two for the head-split
 * variant, each with its share `frac` of the heads): qkv + proj + QKᵀ and AV.
 */
export function selfAttention(n: number, d: number, heads: number, sets: Sets): Cost {
  const matmuls = sets.reduce((m, { s, l, frac }) => m + 2 * s * l * l * d * frac, 0);
  const probs = sets.reduce((m, { s, l, frac }) => m + s * heads * frac * l * l, 0);
  return add(linear(n, d, 3 * d), linear(n, d, d), { params: 0, macs: matmuls, acts: 3 * n * d + probs });
}

/** Cross-attention: n queries of width d over m context vectors of width dc. */
export function crossAttention(n: number, m: number, d: number, dc: number, heads: number): Cost {
  return add(linear(n, d, d), linear(m, dc, 2 * d), linear(n, d, d), {
    params: 0,
    macs: 2 * n * m * d,
    acts: 2 * n * d + heads * n * m,
  });
}

/** A token grid [T', H', W']. */
export type Grid = readonly [number, number, number];

/** S sequences of length L attending within themselves, with their share `frac` of the heads. */
export type Sets = { s: number; l: number; frac: number }[];

/** The sequence sets attention along `axis` forms on a [T', H', W'] token grid (`prefix` tokens join 'joint'). */
export function attentionSets(axis: AttentionAxis, [t, h, w]: Grid, prefix = 0): Sets {
  switch (axis) {
    case 'joint':
      return [{ s: 1, l: t * h * w + prefix, frac: 1 }];
    case 'space':
      return [{ s: t, l: h * w, frac: 1 }];
    case 'time':
      return [{ s: h * w, l: t, frac: 1 }];
    case 'split':
      return [
        { s: t, l: h * w, frac: 0.5 },
        { s: h * w, l: t, frac: 0.5 },
      ];
  }
}

/** One list of sequence sets per attention branch of a block. */
export const branchSets = (axes: readonly AttentionAxis[], grid: Grid, prefix = 0): Sets[] =>
  axes.map((a) => attentionSets(a, grid, prefix));

/** Parameters only (a class token, a learned position table, an embedding table): no multiply-adds. */
export const table = (params: number): Cost => ({ params, macs: 0, acts: 0 });

/** DiT's TimestepEmbedder: 256 sinusoidal features -> D -> D. */
export function timestepEmbedder(d: number, freq = 256): Cost {
  return add(linear(1, freq, d), linear(1, d, d));
}
