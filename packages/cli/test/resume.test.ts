/**
 * Resuming a run beyond the exact-resume property (faults/resume-exact.test.ts): a stop right after a periodic
 * evaluation records it once; `vtx train --resume RUN --set train.steps=N` trains a finished run longer with the
 * learning-rate schedule recomputed and said in the log; other `--set` keys and a shorter length are refused (exit
 * 2, nothing written); a completed run resumed again changes no file; `summary.json` gives the time of every segment
 * and their total. The CLI runs in process; training on wasm.
 */
import { readFileSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import YAML from 'yaml';
import { readMetrics } from '@vtx/runs';
import { makeSchedule, train, type RunSummary } from '@vtx/train';
import { fingerprintTree } from '../../train/test/faults/lib/index.js';
import { tinyClassifier, wasmRunsDir } from '../../train/test/helpers/tiny.js';
import { captureCli } from './helpers/cli.js';

const dir = wasmRunsDir('resume');
const io = captureCli();
const quiet = { write: () => true } as unknown as NodeJS.WritableStream;

const summaryOf = (run: string) => JSON.parse(readFileSync(join(run, 'summary.json'), 'utf8')) as RunSummary;

/** Every file's sha256 and modification time: "changes nothing" means neither moves. */
async function snapshot(run: string): Promise<Record<string, string>> {
  const hashes = await fingerprintTree(run);
  return Object.fromEntries(
    Object.entries(hashes).map(([f, h]) => [f, `${h} ${statSync(join(run, f)).mtimeMs}`]),
  );
}

describe('resume', () => {
  it('a stop right after a periodic evaluation and checkpoint records that evaluation once', async () => {
    const out = join(dir, 'stop-at-eval');
    const stop = new AbortController();
    const cfg = tinyClassifier(join(dir, 'cache'), {
      train: { steps: 12, logEvery: 1, evalEvery: 4, checkpointEvery: 4, ema: { decay: 0.9 } },
    });
    const s = await train(cfg, {
      out,
      terminal: quiet,
      signal: stop.signal,
      onStep: (r) => r.step + 1 === 4 && stop.abort(),
    });
    expect(s).toMatchObject({ status: 'stopped', step: 4 });
    const records = await readMetrics(join(out, 'metrics.jsonl'));
    const evals = records.filter((r) => !('loss' in r));
    expect(evals.map((r) => r.step)).toEqual([4]);
    expect(records.filter((r) => 'loss' in r).map((r) => r.step)).toEqual([1, 2, 3, 4]);
  });

  const steps = 6;
  const longer = 10;
  const run = join(dir, 'extend');
  const yaml = join(dir, 'extend.yaml');
  const cfg = tinyClassifier(join(dir, 'cache'), {
    train: { steps, logEvery: 1, checkpointEvery: 3, ema: { decay: 0.9 } },
    schedule: { decay: 'cosine', warmupSteps: 2 },
  });

  it('--resume --set train.steps trains a finished run longer; the log says how the schedule continues', async () => {
    writeFileSync(yaml, YAML.stringify(cfg));
    expect(await io.run('train', '--config', yaml, '--out', run), io.err).toBe(0);
    const first = summaryOf(run);
    expect(first).toMatchObject({ status: 'completed', step: steps });
    io.out = '';
    const code = await io.run(
      'train',
      '--resume',
      run,
      '--set',
      `train.steps=${longer}`,
      '--set',
      'train.logEvery=2',
    );
    expect(code, io.err).toBe(0);
    expect(io.out).toContain(`train.steps: ${steps} -> ${longer}`);
    expect(io.out).toContain('train.logEvery: 1 -> 2');
    expect(io.out).toMatch(
      new RegExp(`recomputed for ${longer} steps instead of ${steps}: update ${steps + 1} takes lr`),
    );
    const records = (await readMetrics(join(run, 'metrics.jsonl'))).filter((r) => 'loss' in r);
    expect(records.map((r) => r.step)).toEqual([1, 2, 3, 4, 5, 6, 8, 10]);
    // The new updates follow the schedule recomputed for the new length (update s uses lr(s - 1)).
    const lr = makeSchedule({ decay: 'cosine', warmupSteps: 2, minRatio: 0 }, 1e-3, longer);
    for (const r of records.filter((r) => r.step > steps)) expect(r['lr']).toBeCloseTo(lr(r.step - 1), 12);
    const s = summaryOf(run);
    expect(s).toMatchObject({ status: 'completed', step: longer, steps: longer });
    // Time per segment and in total, the first segment as its own summary said.
    expect(s.segments.map((g) => [g.fromStep, g.toStep])).toEqual([
      [0, steps],
      [steps, longer],
    ]);
    expect(s.segments[0]!.seconds).toBeLessThanOrEqual(first.seconds);
    expect(s.seconds).toBeCloseTo(s.segments[0]!.seconds + s.segments[1]!.seconds, 9);
    const saved = YAML.parse(readFileSync(join(run, 'config.yaml'), 'utf8')) as {
      train: { steps: number; logEvery: number };
    };
    expect(saved.train).toMatchObject({ steps: longer, logEvery: 2 }); // the next resume continues from these
  });

  it('resuming a completed run says so, exits 0 and changes no file', async () => {
    const before = await snapshot(run);
    io.out = '';
    expect(await io.run('train', '--resume', run), io.err).toBe(0);
    expect(io.out).toContain(`is complete (step ${longer} of ${longer}): nothing to do`);
    expect(await snapshot(run)).toEqual(before);
  });

  it('--resume refuses --set of keys that rewrite the past, and a shorter length, changing nothing', async () => {
    const before = await snapshot(run);
    expect(await io.run('train', '--resume', run, '--set', 'optim.lr=1', '--set', 'train.steps=20')).toBe(2);
    expect(io.err).toMatch(/--set: optim\.lr: cannot change a run being resumed/);
    expect(io.err).toContain(
      'train.steps, train.logEvery, train.evalEvery, train.checkpointEvery, sample.every',
    );
    expect(io.err).not.toMatch(/train\.steps: cannot/);
    io.err = '';
    expect(await io.run('train', '--resume', run, '--set', 'train.steps=4')).toBe(2);
    expect(io.err).toMatch(/train\.steps: is 4 but .* has done 10 updates: a run cannot be shortened/);
    expect(await snapshot(run)).toEqual(before);
  });
});
