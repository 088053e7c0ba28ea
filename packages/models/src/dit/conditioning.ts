/**
 * DiT's four ways for t and the class y to reach the blocks (Peebles & Xie 2023, §3.2, Fig. 5), each as the
 * blocks it builds and their count side by side, so the model (`dit.ts`) and its cost (`cost.ts`) read one table:
 *   adaLN-Zero, adaLN:  c = t + y regresses every block's modulation (`adaLNZeroBlock`, `adaLNBlock`)
 *   cross-attention:    every block attends to the 2-token sequence [t, y]
 *   in-context:         [t, y] are two extra tokens in front of the patches, dropped after the last block
 * With `longSkips` each runs its blocks as U-ViT's stack (`blocks/long-skips.ts`).
 */
import * as tfl from '@tensorflow/tfjs-layers';
import { FlattenGrid, SliceTokens, UnflattenGrid, sym, type Sym } from '@vtx/core';
import {
  adaLNBlock,
  adaLNBlockCost,
  crossAttentionBlock,
  plainBlock,
  plainBlockCost,
  plainFinalLayer,
  plainFinalLayerCost,
} from '../blocks/dit-ablation-blocks.js';
import { adaLNZeroBlock, adaLNZeroBlockCost, finalLayer, finalLayerCost } from '../blocks/dit-block.js';
import { blockStack, longSkipsCost } from '../blocks/long-skips.js';
import type { CostSpec, DiTBlockSpec } from '../blocks/dit-branches.js';
import { branchSets, times, add, type Cost, type Grid } from '../costs/count.js';
import type { DiTConditioning } from './config.js';

/** The stem's outputs: patch tokens with positions x (B, 1, H', W', D), t and y embeddings (B, D). */
export interface DiTStem {
  x: Sym;
  tEmb: Sym;
  yEmb: Sym;
}

/** The sizes a conditioning's blocks need: `out` is the final layer's width p·p·C'. */
export interface DiTBody {
  depth: number;
  width: number;
  heads: number;
  mlpRatio: number;
  out: number;
  /** U-ViT's long skips between the first and second half of the blocks (`blocks/long-skips.ts`). */
  longSkips: boolean;
}

interface Conditioning {
  /** The blocks and the final layer: -> (B, 1, H', W', p·p·C'). */
  build(s: DiTStem, b: DiTBody): Sym;
  /** Their count for n patch tokens on `grid`, and the tokens the blocks process. */
  cost(n: number, grid: Grid, b: DiTBody): { cost: Cost; tokens: number };
}

const spec = (b: DiTBody): DiTBlockSpec => ({ heads: b.heads, mlpRatio: b.mlpRatio, axes: ['joint'] });
const costSpec = (
  b: DiTBody,
  grid: Grid,
  prefix = 0,
  cross: { m: number; dc: number } | null = null,
): CostSpec => ({
  heads: b.heads,
  mlpRatio: b.mlpRatio,
  sets: branchSets(['joint'], grid, prefix),
  cross,
});

/** c = t + y (B, D), the vector adaLN regresses the modulation from. */
const tPlusY = (s: DiTStem): Sym => sym(tfl.layers.add({ name: 'c' }), s.tEmb, s.yEmb);

/** [t, y] embeddings (B, D) each -> a 2-token sequence (B, 2, D). */
function conditionTokens(s: DiTStem, width: number): Sym {
  const tok = (e: Sym, name: string) => sym(tfl.layers.reshape({ targetShape: [1, width], name }), e);
  return sym(
    tfl.layers.concatenate({ axis: 1, name: 'condition_tokens' }),
    tok(s.tEmb, 't_token'),
    tok(s.yEmb, 'y_token'),
  );
}

/** adaLN-Zero and adaLN: blocks modulated by c = t + y, and DiT's modulated final layer. */
function modulated(
  block: (x: Sym, c: Sym, spec: DiTBlockSpec, name: string) => Sym,
  blockCost: (n: number, d: number, spec: CostSpec) => Cost,
): Conditioning {
  return {
    build(s, b) {
      const c = tPlusY(s); // (B, D)
      const x = blockStack(s.x, b.depth, b.longSkips, (h, i) => block(h, c, spec(b), `blocks.${i}`)); // (B, 1, H', W', D)
      return finalLayer(x, c, b.out, 'final_layer');
    },
    cost: (n, grid, b) => {
      const blocks = times(blockCost(n, b.width, costSpec(b, grid)), b.depth);
      const skips = longSkipsCost(n, b.width, b.depth, b.longSkips);
      return { cost: add(blocks, skips, finalLayerCost(n, b.width, b.out)), tokens: n };
    },
  };
}

export const DIT_CONDITIONING: Record<DiTConditioning, Conditioning> = {
  'adaLN-Zero': modulated(adaLNZeroBlock, adaLNZeroBlockCost),
  adaLN: modulated(adaLNBlock, adaLNBlockCost),
  'cross-attention': {
    build(s, b) {
      const ctx = conditionTokens(s, b.width); // (B, 2, D)
      const block = (h: Sym, i: number) => crossAttentionBlock(h, { ctx }, spec(b), `blocks.${i}`);
      const x = blockStack(s.x, b.depth, b.longSkips, block); // (B, 1, H', W', D)
      return plainFinalLayer(x, b.out, 'final_layer');
    },
    cost: (n, grid, b) => {
      const block = plainBlockCost(n, b.width, costSpec(b, grid, 0, { m: 2, dc: b.width }));
      const skips = longSkipsCost(n, b.width, b.depth, b.longSkips);
      return { cost: add(times(block, b.depth), skips, plainFinalLayerCost(n, b.width, b.out)), tokens: n };
    },
  },
  'in-context': {
    build(s, b) {
      const tokens = sym(new FlattenGrid({ name: 'flatten' }), s.x); // (B, N, D)
      const concat = tfl.layers.concatenate({ axis: 1, name: 'in_context' });
      let seq = sym(concat, conditionTokens(s, b.width), tokens); // (B, 2 + N, D)
      seq = blockStack(seq, b.depth, b.longSkips, (h, i) => plainBlock(h, spec(b), `blocks.${i}`));
      seq = sym(new SliceTokens({ start: 2, name: 'drop_condition_tokens' }), seq); // (B, N, D)
      const grid = sym(new UnflattenGrid({ name: 'unflatten' }), seq, s.x); // (B, 1, H', W', D)
      return plainFinalLayer(grid, b.out, 'final_layer');
    },
    cost: (n, grid, b) => {
      const block = plainBlockCost(n + 2, b.width, costSpec(b, grid, 2));
      const skips = longSkipsCost(n + 2, b.width, b.depth, b.longSkips);
      return {
        cost: add(times(block, b.depth), skips, plainFinalLayerCost(n, b.width, b.out)),
        tokens: n + 2,
      };
    },
  },
};
