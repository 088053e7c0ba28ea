/**
 * SIGINT / SIGTERM stop `vtx train` gracefully: the step in flight finishes, a final checkpoint is written, the
 * summary says 'stopped', the exit code is 0, and `vtx train --resume` continues to the same losses as a run that
 * was never stopped.
 */
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { loadCheckpoint, train } from '@vtx/train';
import { recordFault, runVtx } from './lib/index.js';
import { CHILD_ENV, LONG, toYaml, trainCurve } from './helpers.js';
import { tinyClassifier, wasmRunsDir } from '../helpers/tiny.js';

const dir = wasmRunsDir('faults-signals');

const lines = (file: string) => (existsSync(file) ? readFileSync(file, 'utf8').split('\n').length - 1 : 0);

describe('graceful stop on signals', () => {
  const signals: NodeJS.Signals[] = LONG ? ['SIGINT', 'SIGTERM'] : ['SIGTERM'];
  it.each(signals)('%s: final checkpoint, status stopped, exit 0, exact resume', async (signal) => {
    const cfg = tinyClassifier(join(dir, 'cache'), {
      train: { steps: 30, logEvery: 1, checkpointEvery: 50, keepLast: 2 }, // only the final checkpoint
    });
    const yaml = join(dir, `${signal}.yaml`);
    writeFileSync(yaml, toYaml(cfg));
    const run = join(dir, `${signal}-run`);
    const r = await runVtx(['train', '--config', yaml, '--out', run], {
      env: CHILD_ENV,
      kill: { when: () => lines(join(run, 'metrics.jsonl')) >= 5, signal },
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
    expect(summary.step).toBeGreaterThanOrEqual(5);
    expect(summary.step).toBeLessThan(30);
    expect((await loadCheckpoint(summary.checkpoint)).step).toBe(summary.step);
    let outcome = `stopped at step ${summary.step} with a verified final checkpoint, exit 0`;
    if (LONG) {
      const done = await runVtx(['train', '--resume', run], { env: CHILD_ENV });
      expect(done.code, done.stderr).toBe(0);
      const whole = join(dir, `${signal}-whole`);
      await train(cfg, { out: whole, terminal: { write: () => true } as unknown as NodeJS.WritableStream });
      expect([...trainCurve(run).entries()]).toEqual([...trainCurve(whole).entries()]);
      outcome += '; resumed to 30 steps with losses identical to an unstopped run';
    }
    recordFault({ area: 'signals', fault: `${signal} to 'vtx train' after 5 logged steps`, outcome });
  });
});
