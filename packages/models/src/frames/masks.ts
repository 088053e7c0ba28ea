/**
 * Given-frame masks: which frames of a clip are given (clean, kept) and which the model generates.
 *   frameMask        the sampling modes' masks: the first n (image-to-video, extension forward), the last n
 *                    (extension backward), or the first a and last b (connecting two clips)
 *   drawFrameMasks   a training batch's masks, one strategy per clip (`./config.ts`), drawn row-wise so
 *                    data-parallel ranks draw what one process draws (@vtx/core `rowValues`)
 *   latentFrames     a pixel-frame mask as the latent frames of a VAE that compresses time by a factor
 */
import { mix32, mulberry32, rowValues } from '@vtx/core';
import { FRAME_MASK_STRATEGIES, type FrameConditioningOf, type FrameMaskStrategy } from './config.js';

/** Where the given frames sit: at the start, at the end, or at both ends. */
export type GivenMode = 'first' | 'last' | 'both';

/**
 * The mask (length `frames`, true = given) of a sampling mode: 'first' / 'last' give `given` frames at that end,
 * 'both' gives [a, b]: the first a and the last b. At least one frame must stay generated.
 */
export function frameMask(
  mode: GivenMode,
  frames: number,
  given: number | readonly [number, number],
): boolean[] {
  const [a, b] =
    mode === 'both'
      ? typeof given === 'number'
        ? [given, given]
        : given
      : mode === 'first'
        ? [given as number, 0]
        : [0, given as number];
  for (const n of [a, b])
    if (!Number.isInteger(n) || n < 0)
      throw new Error(`frameMask: given frame counts must be whole numbers >= 0, got ${n}`);
  if (a + b < 1 || a + b >= frames)
    throw new Error(
      `frameMask: ${mode} gives ${a + b} of ${frames} frames; give at least 1 and leave at least 1 to generate`,
    );
  return Array.from({ length: frames }, (_, f) => f < a || f >= frames - b);
}

/**
 * Masks for `rows` training clips of `frames` model frames: (rows · frames) values, row-major, 1 = given. Whole
 * tubelets of `fc.unit` frames are given or generated; `seed` is the step's, and row i draws the same for the same
 * global row however the batch is split.
 */
export function drawFrameMasks(
  fc: FrameConditioningOf,
  rows: number,
  frames: number,
  seed: number,
): Float32Array {
  const { unit } = fc;
  if (frames % unit)
    throw new Error(`frame conditioning: ${frames} frames are not whole tubelets of ${unit}`);
  const n = frames / unit; // tubelet frames
  const maxEnd = Math.max(0, Math.min(fc.config.maxGiven ?? Math.floor(n / 2), n - 1));
  const maxBoth = Math.min(maxEnd, Math.floor((n - 1) / 2));
  const [pick, u, v] = [0, 1, 2].map((k) => rowValues(rows, mulberry32(mix32(seed, k)))) as [
    number[],
    number[],
    number[],
  ];
  const out = new Float32Array(rows * frames);
  for (let r = 0; r < rows; r++) {
    const count = (x: number, max: number) => 1 + Math.floor(x * max);
    let first = 0;
    let last = 0;
    let single = -1;
    switch (strategyAt(fc, pick[r]!)) {
      case 'first':
        if (maxEnd) first = count(u[r]!, maxEnd);
        break;
      case 'last':
        if (maxEnd) last = count(u[r]!, maxEnd);
        break;
      case 'both':
        if (maxBoth) [first, last] = [count(u[r]!, maxBoth), count(v[r]!, maxBoth)];
        break;
      case 'random':
        if (n > 1) single = Math.floor(u[r]! * n);
        break;
      case 'none':
        break;
    }
    for (let f = 0; f < frames; f++) {
      const k = Math.floor(f / unit);
      out[r * frames + f] = k < first || k >= n - last || k === single ? 1 : 0;
    }
  }
  return out;
}

/** The strategy a uniform draw x in [0, 1) picks from the configured probabilities. */
function strategyAt(fc: FrameConditioningOf, x: number): FrameMaskStrategy {
  let acc = 0;
  for (const s of FRAME_MASK_STRATEGIES) {
    acc += fc.config.strategies[s];
    if (x < acc) return s;
  }
  return 'none';
}

/**
 * A mask over pixel frames as the latent frames of a VAE compressing time by `factor` (latent frame j covers pixel
 * frames j·factor … (j+1)·factor − 1): a latent frame is given when every pixel frame it covers is; a mask that
 * gives part of one is an error (the model cannot keep half a latent frame).
 */
export function latentFrames(frames: readonly boolean[], factor: number): boolean[] {
  if (frames.length % factor)
    throw new Error(`latentFrames: ${frames.length} frames are not whole latent frames of ${factor}`);
  return Array.from({ length: frames.length / factor }, (_, j) => {
    const part = frames.slice(j * factor, (j + 1) * factor);
    if (part.some((g) => g !== part[0]))
      throw new Error(
        `latentFrames: pixel frames ${j * factor}..${(j + 1) * factor - 1} share latent frame ${j} but only some are given`,
      );
    return part[0]!;
  });
}
