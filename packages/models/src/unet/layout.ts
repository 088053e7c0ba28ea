/**
 * ADM's U-Net layout as data (openai/guided-diffusion `UNetModel.__init__`), read by both the builder (`unet.ts`)
 * and the cost (`cost.ts`), so the two cannot drift apart:
 *   input_blocks:  conv3 stem; per level `resBlocks` x [ResBlock (+ Attention at the attention factors)], then a
 *                  Downsample except after the last level; every input block's output is kept for a skip
 *   middle_block:  ResBlock, Attention, ResBlock
 *   output_blocks: per level from the deepest, `resBlocks + 1` x [concat a skip, ResBlock (+ Attention)], the last
 *                  of each level but the first followed by an Upsample
 *   out:           GroupNorm, SiLU, zero-initialised conv3 to the output channels
 */
import type { UNetConfig, UNetDims } from './config.js';

/** One step of the layout at downsampling factor `ds` (positions T·H/ds·W/ds); `push` keeps its output for a skip. */
export type UNetStep =
  | { op: 'stem'; name: string; out: number; ds: number; push: true }
  | { op: 'res'; name: string; cin: number; out: number; ds: number; pop: boolean; push: boolean }
  | { op: 'attn'; name: string; c: number; ds: number; push: boolean }
  | { op: 'down'; name: string; c: number; ds: number; push: true }
  | { op: 'up'; name: string; c: number; ds: number };

export function unetLayout(cfg: UNetConfig, dims: UNetDims): UNetStep[] {
  const { levels } = dims;
  const attends = (ds: number) => cfg.attentionAt.includes(ds);
  const steps: UNetStep[] = [{ op: 'stem', name: 'input_blocks.0.0', out: levels[0]!, ds: 1, push: true }];
  const skips: number[] = [levels[0]!];
  let ch = levels[0]!;
  let ds = 1;
  let k = 1;
  levels.forEach((width, level) => {
    for (let j = 0; j < cfg.resBlocks; j++, k++) {
      const attn = attends(ds);
      steps.push({
        op: 'res',
        name: `input_blocks.${k}.0`,
        cin: ch,
        out: width,
        ds,
        pop: false,
        push: !attn,
      });
      if (attn) steps.push({ op: 'attn', name: `input_blocks.${k}.1`, c: width, ds, push: true });
      ch = width;
      skips.push(ch);
    }
    if (level < levels.length - 1) {
      steps.push({ op: 'down', name: `input_blocks.${k++}.0`, c: ch, ds: 2 * ds, push: true });
      ds *= 2;
      skips.push(ch);
    }
  });
  steps.push(
    { op: 'res', name: 'middle_block.0', cin: ch, out: ch, ds, pop: false, push: false },
    { op: 'attn', name: 'middle_block.1', c: ch, ds, push: false },
    { op: 'res', name: 'middle_block.2', cin: ch, out: ch, ds, pop: false, push: false },
  );
  k = 0;
  for (let level = levels.length - 1; level >= 0; level--) {
    const width = levels[level]!;
    for (let i = 0; i <= cfg.resBlocks; i++, k++) {
      const cin = ch + skips.pop()!;
      steps.push({ op: 'res', name: `output_blocks.${k}.0`, cin, out: width, ds, pop: true, push: false });
      ch = width;
      let sub = 1;
      if (attends(ds))
        steps.push({ op: 'attn', name: `output_blocks.${k}.${sub++}`, c: ch, ds, push: false });
      if (level > 0 && i === cfg.resBlocks) {
        ds /= 2;
        steps.push({ op: 'up', name: `output_blocks.${k}.${sub}`, c: ch, ds });
      }
    }
  }
  return steps;
}
