/** Shared pieces of the fault tests: tiny configs, the short/long switch, metrics comparison. */
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import YAML from 'yaml';
import type { ExperimentConfigInput } from '@vtx/train';

/** `pnpm test:faults` sets VTX_FAULTS=long: more faults, more kill points, bigger runs. */
export const LONG = process.env['VTX_FAULTS'] === 'long';

/** Environment of CLI children: the fast wasm backend, no progress bar. */
export const CHILD_ENV = { VTX_BACKEND: 'wasm' };

export function tempDir(tag: string): string {
  return mkdtempSync(join(tmpdir(), `vtx-faults-${tag}-`));
}

/** A tiny ViViT classifier on 32 synthetic 4x16x16 clips: ~20 ms per step on wasm. */
export function tinyClassifier(
  cacheDir: string,
  over: Partial<Record<string, unknown>> = {},
): ExperimentConfigInput {
  return {
    name: 'tiny',
    seed: 3,
    backend: 'wasm', // train() picks the fastest backend that starts; tests pin the fast deterministic one
    data: {
      dataset: { kind: 'synthetic', count: 32, frames: 4, height: 16, width: 16 },
      cacheDir,
      batchSize: 4,
      worker: false,
    },
    model: {
      kind: 'vivit',
      size: 'Ti',
      depth: 1,
      width: 16,
      heads: 2,
      patch: [2, 8, 8],
      numClasses: 4,
      variant: 'spatio-temporal',
    },
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

/** The training records of a run's metrics.jsonl, by step: loss and grad norm (the numbers resume must reproduce). */
export function trainCurve(runDir: string): Map<number, { loss: number; gradNorm: number }> {
  const out = new Map<number, { loss: number; gradNorm: number }>();
  for (const line of readFileSync(join(runDir, 'metrics.jsonl'), 'utf8').split('\n')) {
    if (!line.trim()) continue;
    const r = JSON.parse(line) as { step: number; loss?: number; gradNorm?: number };
    if (r.loss === undefined) continue;
    if (out.has(r.step)) throw new Error(`${runDir}/metrics.jsonl: step ${r.step} logged twice`);
    out.set(r.step, { loss: r.loss, gradNorm: r.gradNorm! });
  }
  return out;
}

export const toYaml = (v: unknown): string => YAML.stringify(v);
