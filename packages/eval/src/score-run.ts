/**
 * Score a generative run with a judge: sample clips for the captions (or classes) of reference rows, decode them
 * through the VAE when the run is latent, and report
 *   acc/<attribute>, acc/mean — the judge reads the attributes the reference rows (the prompts) ask for;
 *   frechet — Fréchet distance between judge features of the samples and of the reference clips;
 *   frechetFloor, frechetRatio — the same distance from the reference to a second, disjoint set of as many real
 *     clips (./frechet-floor.ts), and frechet / frechetFloor;
 *   framing — fraction of samples whose subject is fully in frame (see sora/framing.ts).
 * Held-out attribute combinations: pass reference data from a synthetic `split: holdout`. Sampling, judging and
 * accuracy are ./sample-quality.ts, shared with evaluation (`eval.judge`); this adds the prompts (reference rows,
 * optionally expanded), other sample sizes, the GIF and framing.
 */
import type { DataConfigInput } from '@vtx/data';
import type { ClipShape, GuidanceInterval } from '@vtx/models';
import { loadRun } from '@vtx/train';
import { writeGifGrid, writePngSheet, type ClipArray } from '@vtx/media';
import { framingRate } from './framing.js';
import { expandPrompt } from './prompt-expansion.js';
import { frechetFloor, frechetRatio } from './frechet-floor.js';
import { realFeatures, type Judge } from './judge.js';
import { generateSamples, requestsOf, scoreSamples } from './sample-quality.js';

export interface ScoreOptions {
  /** Reference rows: their captions are the prompts, their attributes the truth, their clips the Fréchet reference. */
  data: DataConfigInput;
  count: number;
  /** Which caption column is the prompt ('terse' for a terse-caption run); default the run's `data.caption`. */
  caption?: 'descriptive' | 'terse';
  /** Expand each prompt with `expandPrompt` before sampling. */
  expand?: boolean;
  /** Sample at this (T, H, W) of the model's input (latent size for latent runs); default the training clip. */
  size?: [number, number, number];
  steps?: string;
  cfgScale?: number;
  /** Guide only at noise levels t / T in [lo, hi]; default the run's diffusion.guidanceInterval. */
  guidanceInterval?: GuidanceInterval;
  seed?: number;
  /** Write `<stem>.gif|png` of the samples. */
  stem?: string;
}

export interface RunScore {
  accuracy: Record<string, number>;
  frechet: number;
  /**
   * Fréchet distance of the reference clips to a second real set of `count` clips sharing no row with them (null
   * when the reference data has fewer than 2 x count rows).
   */
  frechetFloor: number | null;
  /** frechet / frechetFloor (null without a floor). */
  frechetRatio: number | null;
  framing: number;
  count: number;
  prompts: string[];
  samples: string[];
}

export async function scoreRun(runDir: string, judge: Judge, opts: ScoreOptions): Promise<RunScore> {
  const run = await loadRun(runDir);
  if (!run.condition) throw new Error(`${runDir} is not a diffusion run`);
  const data = { ...opts.data, caption: opts.caption ?? run.cfg.data.caption };
  const ref = await realFeatures(judge, data, opts.count);
  const floor = (await frechetFloor(judge, data, ref))?.floor ?? null;
  const prompts = opts.expand ? ref.captions.map((c) => expandPrompt(c).caption) : ref.captions;
  const clip: ClipShape = opts.size ? [...opts.size, run.clip[3]] : run.clip;
  // a class-conditional run is asked for the class of each reference row
  const classes = run.condition.kind === 'class' ? ref.labels.map((l) => Math.max(0, l)) : [];
  const x = await generateSamples(
    { model: run.model, cfg: run.cfg, clip: run.clip, condition: run.condition, process: run.process! },
    {
      count: ref.n,
      clip,
      captions: prompts,
      classes,
      seed: opts.seed ?? 0,
      ...(opts.steps ? { steps: opts.steps } : {}),
      ...(opts.cfgScale !== undefined ? { cfgScale: opts.cfgScale } : {}),
      ...(opts.guidanceInterval ? { guidanceInterval: opts.guidanceInterval } : {}),
    },
  );
  try {
    const score = await scoreSamples(judge, x, requestsOf(judge, run.condition, classes, ref), ref);
    const pixels = (await x.data()) as Float32Array;
    const samples: string[] = [];
    if (opts.stem) {
      const k = Math.min(16, x.shape[0]);
      const clips: ClipArray = {
        data: pixels.slice(0, (k * pixels.length) / x.shape[0]),
        shape: [k, ...x.shape.slice(1)] as ClipArray['shape'],
      };
      await writeGifGrid(`${opts.stem}.gif`, clips);
      await writePngSheet(`${opts.stem}.png`, clips);
      samples.push(`${opts.stem}.gif`, `${opts.stem}.png`);
    }
    return {
      accuracy: score.accuracy,
      frechet: score.frechet,
      frechetFloor: floor,
      frechetRatio: frechetRatio(score.frechet, floor),
      framing: framingRate(pixels, x.shape),
      count: ref.n,
      prompts,
      samples,
    };
  } finally {
    x.dispose();
  }
}
