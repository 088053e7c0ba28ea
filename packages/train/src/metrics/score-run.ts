/**
 * Score a generative run with a judge: sample clips for the captions (or classes) of reference rows, decode them
 * through the VAE when the run is latent, and report
 *   acc/<attribute>, acc/mean — the judge reads the attributes the reference rows (the prompts) ask for;
 *   frechet — Fréchet distance between judge features of the samples and of the reference clips;
 *   framing — fraction of samples whose subject is fully in frame (see sora/framing.ts).
 * Held-out attribute combinations: pass reference data from a synthetic `split: holdout`.
 */
import * as tf from '@tensorflow/tfjs-core';
import { MOTION_CLASSES, type DataConfigInput } from '@vtx/data';
import type { ClipShape } from '@vtx/models';
import { loadRun } from '../load-run.js';
import { writeGifGrid, writePngSheet, type ClipArray } from '../media/clip-grid.js';
import { sampleClips } from '@vtx/models';
import { framingRate } from '../sora/framing.js';
import { decodeLatents, latentSourceOf } from '../sora/latent-cache.js';
import { expandPrompt } from '../sora/prompt-expansion.js';
import type { AttributeClassifier } from './attribute-run.js';
import { attributeAccuracy, judgeClips, judgeFrechet, realFeatures } from './judge.js';

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
  seed?: number;
  /** Write `<stem>.gif|png` of the samples. */
  stem?: string;
}

export interface RunScore {
  accuracy: Record<string, number>;
  frechet: number;
  /** Fréchet distance of the reference clips to a second, disjoint real set would be the floor; not computed. */
  framing: number;
  count: number;
  prompts: string[];
  samples: string[];
}

export async function scoreRun(
  runDir: string,
  judge: AttributeClassifier,
  opts: ScoreOptions,
): Promise<RunScore> {
  const run = await loadRun(runDir);
  if (!run.condition) throw new Error(`${runDir} is not a diffusion run`);
  const ref = await realFeatures(judge, opts.data, opts.count);
  const refRows = await referencePrompts(opts.data, ref.n, opts.caption ?? run.cfg.data.caption);
  const prompts = opts.expand ? refRows.map((c) => expandPrompt(c).caption) : refRows;
  const wanted = ref.attributes;
  const clip: ClipShape = opts.size ? [...opts.size, run.clip[3]] : run.clip;
  const classes =
    run.condition.kind === 'class'
      ? wanted.map((a) => Math.max(0, MOTION_CLASSES.indexOf(a['direction'] ?? '')))
      : [];
  let x = await sampleClips(run.model, run.cfg.diffusion, run.condition, {
    count: ref.n,
    clip,
    captions: prompts,
    classes,
    seed: opts.seed ?? 0,
    ...(opts.steps ? { steps: opts.steps } : {}),
    ...(opts.cfgScale !== undefined ? { cfgScale: opts.cfgScale } : {}),
  });
  const source = await latentSourceOf(run.cfg);
  if (source) {
    const pixels = await decodeLatents(source, x);
    x.dispose();
    x = pixels;
  } else {
    const c = tf.clipByValue(x, -1, 1);
    x.dispose();
    x = c;
  }
  const out = await judgeClips(judge, x);
  const data = (await x.data()) as Float32Array;
  const samples: string[] = [];
  if (opts.stem) {
    const k = Math.min(16, x.shape[0]);
    const clips: ClipArray = {
      data: data.slice(0, (k * data.length) / x.shape[0]),
      shape: [k, ...x.shape.slice(1)] as ClipArray['shape'],
    };
    await writeGifGrid(`${opts.stem}.gif`, clips);
    await writePngSheet(`${opts.stem}.png`, clips);
    samples.push(`${opts.stem}.gif`, `${opts.stem}.png`);
  }
  const framing = framingRate(data, x.shape);
  x.dispose();
  const names = run.condition.kind === 'class' ? ['direction'] : Object.keys(out.predictions);
  return {
    accuracy: attributeAccuracy(out.predictions, wanted, names),
    frechet: judgeFrechet(out, ref),
    framing,
    count: ref.n,
    prompts,
    samples,
  };
}

/** The caption column of the first `n` reference rows, in loader order (unshuffled). */
async function referencePrompts(
  data: DataConfigInput,
  n: number,
  column: 'descriptive' | 'terse',
): Promise<string[]> {
  const { createLoader } = await import('@vtx/data');
  const loader = await createLoader({
    batchSize: 16,
    ...data,
    caption: column,
    shuffle: false,
    worker: false,
  });
  const out: string[] = [];
  try {
    while (out.length < n) {
      const b = await loader.next();
      if (b.epoch > 0) break;
      out.push(...(b.captions ?? new Array<string>(b.shape[0]!).fill('')));
    }
  } finally {
    await loader.close();
  }
  return out.slice(0, n);
}
