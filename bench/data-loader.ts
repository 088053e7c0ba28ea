/**
 * Loader benchmark: clips/s and MB/s of the @vtx/data loader on a generated synthetic dataset, peak
 * RSS, and whether the loader keeps up with a trainer whose step blocks the main thread for
 * `--train-step-ms` (the tfjs cpu backend's steps do): the wait in `next()` per step should be ~0.
 * Prints one JSON object.
 *
 *   node --conditions=@vtx/source --import tsx bench/data-loader.ts [--count 2048] [--batch 16]
 *        [--steps 100] [--train-step-ms 50] [--frames 8] [--size 32] [--inline]
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { parseArgs } from 'node:util';

import { buildSynthetic, createLoader, type DataConfigInput } from '@vtx/data';

const { values: a } = parseArgs({
  options: {
    count: { type: 'string', default: '2048' },
    batch: { type: 'string', default: '16' },
    steps: { type: 'string', default: '100' },
    'train-step-ms': { type: 'string', default: '50' },
    frames: { type: 'string', default: '8' },
    size: { type: 'string', default: '32' },
    inline: { type: 'boolean', default: false },
  },
});
const [count, batchSize, steps, stepMs, frames, size] = [
  'count',
  'batch',
  'steps',
  'train-step-ms',
  'frames',
  'size',
].map((k) => Number(a[k as keyof typeof a]));

const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'vtx-bench-data-'));
try {
  const t0 = performance.now();
  await buildSynthetic(path.join(dir, 'shapes'), {
    kind: 'synthetic',
    count,
    frames,
    height: size,
    width: size,
  });
  const buildS = (performance.now() - t0) / 1000;

  // The README's default data config (DataConfig defaults) on this dataset.
  const cfg: DataConfigInput = { dataset: path.join(dir, 'shapes'), batchSize, worker: !a.inline };
  const clipBytes = frames! * size! * size! * 3;

  // 1. Throughput: consume as fast as possible.
  let loader = await createLoader(cfg);
  for (let i = 0; i < 2; i++) await loader.next(); // warm-up (worker start, first reads)
  let clips = 0;
  const t1 = performance.now();
  for (let i = 0; i < steps!; i++) clips += (await loader.next()).rows.length;
  const s = (performance.now() - t1) / 1000;
  await loader.close();

  // 2. A trainer that blocks the main thread for stepMs per step: how long does next() make it wait?
  loader = await createLoader(cfg);
  await loader.next();
  const waits: number[] = [];
  const trainSteps = Math.min(steps!, 60);
  for (let i = 0; i < trainSteps; i++) {
    const w0 = performance.now();
    await loader.next();
    waits.push(performance.now() - w0);
    const until = performance.now() + stepMs!;
    while (performance.now() < until); // a synchronous "train step"
  }
  await loader.close();
  const waitMsPerStep = waits.reduce((x, y) => x + y, 0) / trainSteps;
  const medianWaitMs = [...waits].sort((x, y) => x - y)[Math.floor(trainSteps / 2)]!;

  console.log(
    JSON.stringify({
      bench: 'data-loader',
      dataset: { clips: count, clipShape: [frames, size, size, 3], buildSeconds: +buildS.toFixed(2) },
      config: { batchSize, worker: !a.inline, prefetch: 4, shuffleBuffer: 1024 },
      clipsPerSec: +(clips / s).toFixed(1),
      stepsPerSec: +(steps! / s).toFixed(1),
      mbPerSecRead: +((clips * clipBytes) / s / 2 ** 20).toFixed(1),
      mbPerSecFloat32Out: +((clips * clipBytes * 4) / s / 2 ** 20).toFixed(1),
      trainer: {
        stepMs,
        waitMsPerStep: +waitMsPerStep.toFixed(2),
        medianWaitMs: +medianWaitMs.toFixed(2),
        maxWaitMs: +Math.max(...waits).toFixed(2),
        keepsUp: waitMsPerStep < 0.05 * stepMs!,
      },
      peakRssMB: +(process.resourceUsage().maxRSS / 1024).toFixed(1),
      node: process.version,
    }),
  );
} finally {
  fs.rmSync(dir, { recursive: true, force: true });
}
