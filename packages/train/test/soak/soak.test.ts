/**
 * Long runs stay flat: a tiny ViViT trained through `train()` (metrics, evaluations, checkpoints with pruning)
 * keeps the live tensor count, the wasm heap, open file descriptors and RSS flat. `pnpm test` runs 240 steps;
 * `pnpm test:soak` (VTX_SOAK=long) runs 3000.
 */
import { readdirSync } from 'node:fs';
import { join } from 'node:path';
import * as tf from '@tensorflow/tfjs-core';
import { expect, it } from 'vitest';
import { train } from '@vtx/train';
import { tinyClassifier, tinyShapes, wasmRunsDir } from '../helpers/tiny.js';

const LONG = process.env['VTX_SOAK'] === 'long';
const STEPS = LONG ? 3000 : 240;
const dir = wasmRunsDir('soak');

const wasmHeap = () =>
  (tf.findBackend('wasm') as unknown as { wasm?: { HEAPU8: Uint8Array } } | undefined)?.wasm?.HEAPU8
    .byteLength ?? 0;
const openFds = () => readdirSync('/proc/self/fd').length;
const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[xs.length >> 1]!;

it(`${STEPS} steps: tensors, wasm heap, file descriptors and RSS stay flat`, async () => {
  const samples: { step: number; tensors: number; heap: number; fds: number; rss: number }[] = [];
  const every = Math.max(1, Math.floor(STEPS / 60));
  const cacheDir = join(dir, 'cache');
  const summary = await train(
    tinyClassifier(cacheDir, {
      name: 'soak',
      seed: 1,
      data: tinyShapes(cacheDir, { count: 64 }),
      train: {
        steps: STEPS,
        logEvery: 20,
        evalEvery: Math.floor(STEPS / 4),
        checkpointEvery: Math.floor(STEPS / 8),
        keepLast: 2,
      },
      eval: { batches: 2 },
      log: { tensorboard: true, progress: 'off' },
    }),
    {
      out: join(dir, 'run'),
      terminal: { write: () => true } as unknown as NodeJS.WritableStream,
      onStep: (r) => {
        if (r.step % every === 0)
          samples.push({
            step: r.step,
            tensors: tf.memory().numTensors,
            heap: wasmHeap(),
            fds: openFds(),
            rss: process.memoryUsage().rss,
          });
      },
    },
  );
  expect(summary.status).toBe('completed');
  // After a warm-up quarter (first evaluation and checkpoint, heap growth to its working size) nothing grows.
  const warm = samples.filter((s) => s.step >= STEPS / 4);
  const first = warm[0]!;
  for (const s of warm) {
    expect(s.tensors, `tensors at step ${s.step}`).toBe(first.tensors);
    expect(s.fds, `open fds at step ${s.step}`).toBeLessThanOrEqual(first.fds + 2);
  }
  expect(warm.at(-1)!.heap).toBe(first.heap);
  // RSS: the median of the last third vs the median of the first third of the warm samples (GC noise tolerated).
  const third = Math.floor(warm.length / 3);
  const early = median(warm.slice(0, third).map((s) => s.rss));
  const late = median(warm.slice(-third).map((s) => s.rss));
  expect((late - early) / 2 ** 20).toBeLessThan(LONG ? 64 : 48);
});
