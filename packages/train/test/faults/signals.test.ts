/**
 * SIGINT / SIGTERM stop `vtx train` gracefully at any step, not only at evaluations: the signal goes at a seeded
 * random step far from any evaluation or periodic checkpoint; the step in flight finishes, the process stops within
 * a bounded number of steps (counted in metrics lines, never in wall time), a final checkpoint of the stopping step is
 * written, the summary says 'stopped', the exit code is 0, no step is recorded twice, and `vtx train --resume`
 * continues to the losses of a run that was never stopped. On wasm and on the native backend, with the data read in
 * this thread and in the loader's worker.
 */
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { mulberry32 } from '@vtx/core';
import { describe, expect, it } from 'vitest';
import { readMetrics } from '@vtx/runs';
import { train } from '@vtx/train';
import { loadCheckpoint } from '@vtx/checkpoint';
import { recordFault, runVtx } from './lib/index.js';
import { CHILD_ENV, LONG, toYaml, trainCurve } from './helpers.js';
import { tinyClassifier, tinyShapes, wasmRunsDir } from '../helpers/tiny.js';

const dir = wasmRunsDir('faults-signals');

const lines = (file: string) => (existsSync(file) ? readFileSync(file, 'utf8').split('\n').length - 1 : 0);

const quiet = { write: () => true } as unknown as NodeJS.WritableStream;

/** Whether @vtx/backend-native's addon loads here (it is built at install; a machine without a compiler lacks it). */
const nativeMissing = await import('@vtx/backend-native').then(
  () => '',
  (e: unknown) => (e as Error).message,
);
if (nativeMissing)
  console.warn(`signals.test: SKIPPING the native-backend cases: ${nativeMissing.split('\n')[0]}`);

interface Case {
  backend: 'wasm' | 'native';
  signal: NodeJS.Signals;
  worker: boolean;
  seed: number;
}

// Short form (`pnpm test`): wasm, data in this thread. Long form (`pnpm test:faults`): both signals, both
// backends, the loader's worker.
const cases: Case[] = [
  { backend: 'wasm', signal: 'SIGINT', worker: false, seed: 1 },
  ...(LONG
    ? ([
        { backend: 'wasm', signal: 'SIGTERM', worker: true, seed: 2 },
        { backend: 'native', signal: 'SIGINT', worker: false, seed: 3 },
        { backend: 'native', signal: 'SIGTERM', worker: true, seed: 4 },
      ] as const)
    : []),
];

const STEPS = 40;

describe('graceful stop on signals at any step', () => {
  it.each(cases)(
    '$signal on $backend (worker: $worker) at a random step: stops within 2 steps, checkpoint, exact resume',
    async ({ backend, signal, worker, seed }) => {
      if (backend === 'native' && nativeMissing) return;
      const tag = `${backend}-${signal}-${worker ? 'worker' : 'thread'}`;
      const cfg = tinyClassifier(join(dir, `cache-${tag}`), {
        backend,
        data: tinyShapes(join(dir, `cache-${tag}`), { worker }),
        // no evaluation and no periodic checkpoint before the end: nothing else yields to the event loop
        train: { steps: STEPS, logEvery: 1, evalEvery: 0, checkpointEvery: 1000, ema: { decay: 0.9 } },
      });
      const at = 4 + Math.floor(mulberry32(seed)() * (STEPS - 12)); // a step in 4..31
      const yaml = join(dir, `${tag}.yaml`);
      writeFileSync(yaml, toYaml(cfg));
      const run = join(dir, `${tag}-run`);
      const metrics = join(run, 'metrics.jsonl');
      let sentAfter = -1; // steps recorded when the signal went (read just before it is sent)
      const r = await runVtx(['train', '--config', yaml, '--out', run], {
        env: CHILD_ENV,
        kill: {
          when: () => {
            const n = lines(metrics);
            if (n < at) return false;
            sentAfter = n;
            return true;
          },
          signal,
          pollMs: 2,
        },
        timeoutMs: 300_000,
      });
      expect(r.killed).toBe(true);
      expect(r.code, r.stderr).toBe(0);
      expect(r.stderr).toContain(`${signal}: stopping after this step and writing a checkpoint`);
      const summary = JSON.parse(readFileSync(join(run, 'summary.json'), 'utf8')) as {
        status: string;
        step: number;
        checkpoint: string;
      };
      expect(summary.status).toBe('stopped');
      // The step in flight when the signal arrived finishes, and at most the one a line-write raced with.
      expect(summary.step).toBeGreaterThanOrEqual(sentAfter);
      expect(summary.step).toBeLessThanOrEqual(sentAfter + 2);
      expect((await loadCheckpoint(summary.checkpoint)).step).toBe(summary.step);
      // Every step once, one final evaluation (trainCurve throws on a training record written twice).
      const stopped = await readMetrics(metrics);
      expect([...trainCurve(run).keys()]).toEqual(Array.from({ length: summary.step }, (_, i) => i + 1));
      expect(stopped.filter((m) => m.step === summary.step && !('loss' in m))).toHaveLength(1);

      const done = await runVtx(['train', '--resume', run], { env: CHILD_ENV, timeoutMs: 300_000 });
      expect(done.code, done.stderr).toBe(0);
      const whole = join(dir, `${tag}-whole`);
      await train(cfg, { out: whole, terminal: quiet });
      expect([...trainCurve(run).entries()]).toEqual([...trainCurve(whole).entries()]);
      recordFault({
        area: 'signals',
        fault: `${signal} to 'vtx train' on ${backend}${worker ? ' with the data worker' : ''} after step ${sentAfter} (seeded, no evaluation or checkpoint near)`,
        outcome: `stopped at step ${summary.step} with a verified checkpoint, exit 0; resumed to ${STEPS} steps with losses identical to an unstopped run`,
      });
    },
  );
});
