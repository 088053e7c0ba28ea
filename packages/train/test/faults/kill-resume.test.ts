/**
 * Kill at any moment: the real `vtx train` CLI is SIGKILLed at seeded random points (during steps, evaluations and
 * checkpoint writes; checkpoints every 2 steps, so many kills land inside one), then resumed with
 * `vtx train --resume`, again and again. After every kill each checkpoint on disk must load and verify; at the end
 * the run's losses and grad norms must equal those of the same run uninterrupted, bit for bit.
 */
import { existsSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { mulberry32 } from '@vtx/core';
import { describe, expect, it } from 'vitest';
import { train, type ExperimentConfigInput } from '@vtx/train';
import { listCheckpoints, loadCheckpoint } from '@vtx/checkpoint';
import { recordFault, runVtx } from './lib/index.js';
import { CHILD_ENV, LONG, toYaml, trainCurve } from './helpers.js';
import { tinyClassifier, tinyDiT, tinyShapes, wasmRunsDir } from '../helpers/tiny.js';

const dir = wasmRunsDir('faults-kill');

const lines = (file: string) => (existsSync(file) ? readFileSync(file, 'utf8').split('\n').length - 1 : 0);

/** Every step-* directory must be a complete, verifiable checkpoint. Returns the leftover temp dirs. */
async function checkCheckpoints(ckptDir: string): Promise<{ steps: number[]; temps: string[] }> {
  const names = existsSync(ckptDir) ? readdirSync(ckptDir) : [];
  const steps: number[] = [];
  for (const n of names.filter((n) => n.startsWith('step-'))) {
    const c = await loadCheckpoint(join(ckptDir, n)); // throws on any missing, short or damaged file
    steps.push(c.step);
  }
  expect((await listCheckpoints(ckptDir)).map((c) => c.step)).toEqual(steps.sort((a, b) => a - b));
  return { steps, temps: names.filter((n) => n.startsWith('.')) };
}

interface Scenario {
  name: string;
  cfg: (cache: string) => ExperimentConfigInput;
  kills: number;
  seed: number;
}

const scenarios: Scenario[] = [
  { name: 'ViViT classifier', cfg: (c) => tinyClassifier(c), kills: LONG ? 8 : 2, seed: 1 },
  ...(LONG
    ? [
        {
          name: 'video DiT, gradient accumulation, data worker thread',
          cfg: (c: string) =>
            tinyDiT(c, {
              data: tinyShapes(c, { worker: true }),
              train: { steps: 16, gradAccum: 2, logEvery: 1, checkpointEvery: 1, keepLast: 2, evalEvery: 5 },
            }),
          kills: 8,
          seed: 2,
        },
      ]
    : []),
];

describe('SIGKILL at random points, then --resume', () => {
  it.each(scenarios)('$name: $kills kills', async ({ name, cfg, kills, seed }) => {
    const tag = `s${seed}`;
    const cache = join(dir, `cache-${tag}`);
    const c = cfg(cache);
    const steps = (c.train as { steps: number }).steps;
    // The reference: the same run, uninterrupted, in this process (same wasm kernels as the children).
    const whole = join(dir, `${tag}-whole`);
    await train(c, { out: whole, terminal: { write: () => true } as unknown as NodeJS.WritableStream });

    const yaml = join(dir, `${tag}.yaml`);
    writeFileSync(yaml, toYaml(c));
    const run = join(dir, `${tag}-killed`);
    const ckpt = join(run, 'checkpoints');
    const metrics = join(run, 'metrics.jsonl');
    const next = mulberry32(seed); // kill points: the same on every run of the suite
    const ledger: string[] = [];
    for (let k = 0; k < kills; k++) {
      // Kill once metrics.jsonl has `after` more lines than now, plus up to 60 ms (into a step or a checkpoint).
      const after = lines(metrics) + Math.floor(next() * 4);
      const delayMs = Math.floor(next() * 60);
      const args = existsSync(join(run, 'config.yaml'))
        ? ['train', '--resume', run]
        : ['train', '--config', yaml, '--out', run];
      const r = await runVtx(args, {
        env: CHILD_ENV,
        kill: { when: () => lines(metrics) >= after, delayMs, signal: 'SIGKILL' },
      });
      if (!r.killed) {
        expect(r.code, r.stderr).toBe(0); // finished before the kill point
        break;
      }
      expect(r.signal).toBe('SIGKILL');
      const { steps: saved, temps } = await checkCheckpoints(ckpt);
      const where = temps.some((t) => t.startsWith('.tmp-step')) ? ' (during a checkpoint write)' : '';
      ledger.push(
        `kill ${k + 1}: ${delayMs} ms after metrics line ${after}${where}; checkpoints [${saved.join(', ')}] all verify`,
      );
    }
    const done = await runVtx(['train', '--resume', run], { env: CHILD_ENV });
    expect(done.code, done.stderr).toBe(0);
    expect(JSON.parse(readFileSync(join(run, 'summary.json'), 'utf8'))).toMatchObject({
      status: 'completed',
      step: steps,
    });
    await checkCheckpoints(ckpt);
    const a = trainCurve(whole);
    expect([...trainCurve(run).entries()]).toEqual([...a.entries()]);
    recordFault({
      area: 'kill -9',
      fault: `${name}: ${ledger.length} SIGKILLs of 'vtx train' at seeded random points\n         ${ledger.join('\n         ')}`,
      outcome: `resumed each time; ${steps} losses and grad norms identical to the uninterrupted run`,
    });
  });
});
