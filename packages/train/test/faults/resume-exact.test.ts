/**
 * Resume is exact: a run stopped part-way and resumed gives the losses and gradient norms of the same run
 * uninterrupted, bit for bit, and ends on the same weights, optimizer state and EMA (same checkpoint sha256s).
 * In process, with graceful stops (AbortSignal) at several steps; SIGKILL'd CLI runs are in kill-resume.test.ts.
 */
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { train, type ExperimentConfigInput } from '@vtx/train';
import { readManifest } from '@vtx/checkpoint';
import { recordFault } from './lib/index.js';
import { LONG, trainCurve } from './helpers.js';
import { tinyClassifier, tinyDiT, tinyShapes, wasmRunsDir } from '../helpers/tiny.js';

const dir = wasmRunsDir('faults-resume');

const quiet = { write: () => true } as unknown as NodeJS.WritableStream;

/** Train `cfg` to the end, stopping gracefully after each step in `stops` and resuming. Returns the run dir. */
async function runWithStops(cfg: ExperimentConfigInput, out: string, stops: number[]): Promise<string> {
  let resume = false;
  for (const stop of [...stops, Infinity]) {
    const ctl = new AbortController();
    const s = await train(cfg, {
      out,
      resume,
      signal: ctl.signal,
      terminal: quiet,
      onStep: (r) => (r.step + 1 >= stop ? ctl.abort() : undefined),
    });
    expect(s.status).toBe(stop === Infinity ? 'completed' : 'stopped');
    resume = true;
  }
  return out;
}

/** sha256 of each tensor file of the final checkpoint. */
async function finalState(runDir: string, step: number) {
  const m = await readManifest(join(runDir, 'checkpoints', `step-${String(step).padStart(6, '0')}`));
  return Object.fromEntries(Object.entries(m.files).map(([f, e]) => [f, e.sha256]));
}

const cases: { name: string; cfg: (cache: string) => ExperimentConfigInput; stops: number[] }[] = [
  { name: 'ViViT classifier (AdamW, EMA, shuffled data)', cfg: (c) => tinyClassifier(c), stops: [7] },
  {
    name: 'video DiT (diffusion noise and timesteps from the RNG, EMA, grad accumulation 2)',
    cfg: (c) => tinyDiT(c, { train: { steps: 12, gradAccum: 2, logEvery: 1, checkpointEvery: 4 } }),
    stops: LONG ? [1, 5, 9] : [5],
  },
  ...(LONG
    ? [
        {
          name: 'ViViT with mixup and label smoothing, data worker thread, stop every 3 steps',
          cfg: (c: string) =>
            tinyClassifier(c, {
              data: tinyShapes(c, { worker: true }),
              train: { steps: 16, logEvery: 1, checkpointEvery: 5, mixup: 0.4, labelSmoothing: 0.1 },
            }),
          stops: [3, 6, 9, 12, 15],
        },
      ]
    : []),
];

describe('resume is exact', () => {
  it.each(cases)('$name', async ({ name, cfg, stops }) => {
    const tag = name
      .split(' ')[0]!
      .toLowerCase()
      .replace(/[^a-z]/g, '');
    const c = cfg(join(dir, 'cache'));
    const whole = await runWithStops(c, join(dir, `${tag}-whole-${stops.length}`), []);
    const parts = await runWithStops(c, join(dir, `${tag}-parts-${stops.length}`), stops);
    const a = trainCurve(whole);
    const b = trainCurve(parts);
    const steps = (c.train as { steps: number }).steps;
    expect([...a.keys()]).toEqual(Array.from({ length: steps }, (_, i) => i + 1));
    expect([...b.entries()]).toEqual([...a.entries()]); // bit-for-bit, every step
    expect(await finalState(parts, steps)).toEqual(await finalState(whole, steps));
    recordFault({
      area: 'resume-exact',
      fault: `${name}: graceful stop after step(s) ${stops.join(', ')}, then resume`,
      outcome: `${steps} losses and grad norms identical to the uninterrupted run; final weights/optimizer/EMA sha256 equal`,
    });
  });
});
