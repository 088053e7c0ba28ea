/**
 * U-ViT's long skip connections (Bao et al. 2023, 'All are Worth Words: A ViT Backbone for Diffusion Models', §3.1,
 * Fig. 2a; baofff/U-ViT libs/uvit.py `Block.skip_linear`), for a stack of L transformer blocks: the output of block i
 * in the first half is concatenated with the input of block L - 1 - i in the second half and projected back to the
 * width by a linear layer ('concatenate then linear', the paper's best combination):
 *   for i < k:       skip_i = x after block i                                   (…, D)
 *   for j >= L - k:  x = skip_linear_j(concat(x, skip_{L-1-j}))                 (…, 2D) -> (…, D), then block j
 * with k = floor((L - 1) / 2) pairs: at odd depth U-ViT's in-blocks, mid-block and out-blocks; at even depth the two
 * middle blocks take none (the one pair more would join a block's input to itself). The projection is initialised
 * like every DiT linear (Xavier, zero bias), so skips are live from the start; U-ViT adds no norm to them.
 */
import * as tfl from '@tensorflow/tfjs-layers';
import { Linear, sym, type Sym } from '@vtx/core';
import { add, linear, times, type Cost } from '../costs/count.js';

/** The number of skip pairs k of a stack of `depth` blocks. */
export const longSkipPairs = (depth: number): number => Math.max(0, Math.floor((depth - 1) / 2));

/**
 * Blocks 0 … depth - 1 over x, `block(x, i)` building block i, with long skips when `on`: x (…, D) -> (…, D). The
 * projection before block j is named `blocks.{j}.skip_linear` (U-ViT's `out_blocks.{i}.skip_linear`).
 */
export function blockStack(x: Sym, depth: number, on: boolean, block: (x: Sym, i: number) => Sym): Sym {
  const k = on ? longSkipPairs(depth) : 0;
  const skips: Sym[] = [];
  for (let i = 0; i < depth; i++) {
    if (i >= depth - k) {
      const name = `blocks.${i}`;
      const width = x.shape[x.shape.length - 1]!;
      const both = sym(tfl.layers.concatenate({ axis: -1, name: `${name}.skip_concat` }), x, skips.pop()!); // (…, 2D)
      x = sym(new Linear({ units: width, name: `${name}.skip_linear` }), both); // (…, D)
    }
    x = block(x, i);
    if (i < k) skips.push(x);
  }
  return x;
}

/** The skip projections' count over n tokens of width d: k linears 2d -> d (none when off). */
export function longSkipsCost(n: number, d: number, depth: number, on: boolean): Cost {
  return on ? times(linear(n, 2 * d, d), longSkipPairs(depth)) : add();
}
