/**
 * Tiny runs for the train tests: the built-in bouncing shapes at 4 frames of 16x16 and one-block models that train
 * in seconds on wasm (the fault, soak, export, sample-quality and `train()` tests).
 */
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PassThrough } from 'node:stream';
import { selectBackend } from '@vtx/core';
import { afterAll, beforeAll } from 'vitest';
import { train, type ExperimentConfigInput } from '@vtx/train';

/**
 * A temporary directory (`vtx-<tag>-…`) for a test file's runs, which run on wasm (the fast CPU path, the same
 * numbers on every machine): selects wasm before the file's tests; removes the directory and selects cpu after them.
 */
export function wasmRunsDir(tag: string): string {
  const dir = mkdtempSync(join(tmpdir(), `vtx-${tag}-`));
  beforeAll(async () => {
    await selectBackend({ override: 'wasm' });
  });
  afterAll(async () => {
    rmSync(dir, { recursive: true, force: true });
    await selectBackend({ override: 'cpu' });
  });
  return dir;
}

/**
 * Whether @vtx/backend-native's addon loads here (it is built at install; a machine without a compiler lacks it):
 * the threaded native backend trains the statistical tests' tiny models in about a third of wasm's CPU time, but
 * its numbers are not wasm's, so only tests that assert a threshold (never exact numbers) may use it.
 */
export function nativeAvailable(): Promise<boolean> {
  return import('@vtx/backend-native').then(
    () => true,
    () => false,
  );
}

type ModelInput<K> = Extract<ExperimentConfigInput['model'], { kind: K }>;

export interface TinyShapesOptions {
  /** Clips in the dataset (default 32). */
  count?: number;
  /** The dataset's seed (default: the builder's). */
  seed?: number;
  /** Default 4. */
  batchSize?: number;
  /** Read in a worker thread (default false: in this thread). */
  worker?: boolean;
}

/** `data:` for the built-in bouncing shapes, 4 frames of 16x16, cached under `cacheDir`. */
export function tinyShapes(
  cacheDir: string,
  { count = 32, seed, batchSize = 4, worker = false }: TinyShapesOptions = {},
) {
  return {
    dataset: {
      kind: 'synthetic' as const,
      count,
      frames: 4,
      height: 16,
      width: 16,
      ...(seed === undefined ? {} : { seed }),
    },
    cacheDir,
    batchSize,
    worker,
  };
}

/** A one-block video DiT-S of 4 classes, 2x4x4 patches (32 tokens of a 4x16x16 clip), width 32. */
export const tinyVideoDiT = {
  kind: 'video-dit',
  size: 'S',
  depth: 1,
  width: 32,
  heads: 2,
  patch: [2, 4, 4],
  numClasses: 4,
} satisfies ModelInput<'video-dit'>;

/** A one-block spatio-temporal ViViT-Ti classifier of 4 classes, 2x8x8 tubelets, width 16. */
export const tinyViViT = {
  kind: 'vivit',
  size: 'Ti',
  depth: 1,
  width: 16,
  heads: 2,
  patch: [2, 8, 8],
  numClasses: 4,
  variant: 'spatio-temporal',
} satisfies ModelInput<'vivit'>;

/** The tiny ViViT on 32 clips (EMA on, checkpoints every 2 of 20 steps, keep 2): ~20 ms per step on wasm. */
export function tinyClassifier(
  cacheDir: string,
  over: Partial<Record<string, unknown>> = {},
): ExperimentConfigInput {
  return {
    name: 'tiny',
    seed: 3,
    backend: 'wasm', // train() picks the fastest backend that starts; tests pin the fast deterministic one
    data: tinyShapes(cacheDir),
    model: tinyViViT,
    optim: { kind: 'adamw', lr: 1e-3 },
    train: { steps: 20, logEvery: 1, checkpointEvery: 2, keepLast: 2, ema: { enabled: true, decay: 0.9 } },
    eval: { batches: 1 },
    log: { tensorboard: false, progress: 'off' },
    ...over,
  };
}

/** A tiny class-conditional video DiT (diffusion: noise and timesteps from the RNG stream, EMA, sampling off). */
export function tinyDiT(
  cacheDir: string,
  over: Partial<Record<string, unknown>> = {},
): ExperimentConfigInput {
  return {
    ...tinyClassifier(cacheDir),
    name: 'tiny-dit',
    model: { kind: 'video-dit', size: 'S', depth: 1, width: 16, heads: 2, patch: [2, 8, 8], numClasses: 4 },
    diffusion: { steps: 50, samplingSteps: '5' },
    sample: { count: 0 },
    ...over,
  };
}

/**
 * A tiny class-conditional video DiT with factorised attention, DDIM-4 sampling with guidance, 4 steps, for the
 * export and browser tests.
 */
export const tinyConfig = (
  cacheDir: string,
  over: Partial<ExperimentConfigInput> = {},
): ExperimentConfigInput => ({
  name: 'tiny-video-dit',
  seed: 3,
  backend: 'wasm',
  data: tinyShapes(cacheDir),
  model: { ...tinyVideoDiT, attention: 'factorised', condition: 'class' },
  diffusion: { samplingSteps: 'ddim4', sampler: 'ddim', cfgScale: 2, clipDenoised: true },
  optim: { kind: 'adamw', lr: 1e-3, weightDecay: 0 },
  schedule: { decay: 'constant' },
  train: { steps: 4, logEvery: 1, checkpointEvery: 4, ema: { decay: 0.5 } },
  eval: { batches: 1 },
  sample: { count: 0 },
  ...over,
});

/** Train `tinyConfig` into `<dir>/run` unless it is already there (~5-10 s on wasm); returns the run directory. */
export async function tinyRun(dir: string, over: Partial<ExperimentConfigInput> = {}): Promise<string> {
  const out = join(dir, 'run');
  if (!existsSync(join(out, 'summary.json'))) {
    await train(tinyConfig(join(dir, 'cache'), over), { out, terminal: new PassThrough() });
  }
  return out;
}

/**
 * A tiny attribute-classifier run config (YAML, an ordinary experiment) on 16 bouncing-shapes clips of 4x16x16
 * (seeded, a few steps on wasm), for sweeps with a judge stage; `evalData` adds a separate evaluation set of 8 clips.
 */
export function tinyJudgeYaml(evalData = false): string {
  return `name: tiny-judge
seed: 1
backend: wasm
data:
  dataset: { kind: synthetic, count: 16, frames: 4, height: 16, width: 16, seed: 10 }
  batchSize: 8
  worker: false
model: { kind: attribute-classifier, depth: 1, width: 16, heads: 2, temporalDepth: 1 }
train: { steps: 2, logEvery: 1 }
eval:
${evalData ? '  data: { dataset: { kind: synthetic, count: 8, frames: 4, height: 16, width: 16, seed: 11 } }\n' : ''}  batches: 1
log: { tensorboard: false, progress: 'off' }
`;
}
