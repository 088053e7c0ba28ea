/**
 * Data-parallel training under a real mpirun (OpenMPI): N ranks training one config give the losses and weights
 * of one process training it (the config's batchSize is the global batch; each rank takes its rows), with
 * gradient accumulation and with micro-batches where a rank has no rows; a SIGKILLed rank ends every rank with no
 * damaged file, and the run resumes on 2 ranks and on 1 with the losses of the uninterrupted run; a SIGTERM on one
 * rank stops every rank after the same step.
 *
 * Tolerance: ranks sum n/N-weighted gradients where one process averages inside its loss, so float additions are
 * ordered differently (observed: ~1e-7 relative on a step's loss); after 20 AdamW steps losses must agree within
 * 1e-4 and every weight within 1e-4 (absolute). Observed largest weight differences (wasm, deterministic): 4.5e-5
 * classifier, 5.1e-5 with accumulation, 1.0e-7 diffusion: AdamW divides by √v, so a weight whose gradient is
 * near zero turns rounding differences into steps of up to the learning rate (1e-3 here). Runs are tiny (one-block models, 16x16 clips, wasm): each launch
 * takes a few seconds.
 */
import { spawn, spawnSync } from 'node:child_process';
import { cpSync, existsSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { loadMpiAddon } from '@vtx/mpi';
import { describe, expect, it } from 'vitest';
import { type ExperimentConfigInput } from '@vtx/train';
import { listCheckpoints, loadCheckpoint } from '@vtx/checkpoint';
import { tinyClassifier, tinyDiT, tinyShapes, wasmRunsDir } from '../helpers/tiny.js';
import { trainCurve } from '../faults/helpers.js';

const here = fileURLToPath(new URL('.', import.meta.url));
const mpirun = spawnSync('mpirun', ['--version'], { encoding: 'utf8' });
const addon = loadMpiAddon();
const why =
  mpirun.error || mpirun.status !== 0
    ? 'mpirun not found (scripts/setup.sh installs openmpi-bin)'
    : addon.ok
      ? ''
      : addon.reason;
if (why) console.warn(`SKIPPED data-parallel training under mpirun: ${why}`);

const dir = wasmRunsDir('dp');
const TOL = 1e-4;
/**
 * Weights, absolute. AdamW divides by √v, so a weight whose gradient is near zero turns a rounding difference of the
 * gradient (2 x 8 rows summed in another order than 16) into a step of up to the learning rate (1e-3 here) per step.
 * Worst measured: 1.3e-4 (the ViViT classifier with the fused dense-layer and softmax cross-entropy kernels; 4.5e-5
 * with the composed ops); a wrong row weighting fails by far more (the diffusion case at step 3 with weights 0.5).
 */
const WEIGHT_TOL = 5e-4;
const MINUTES = 60_000;

interface Launch {
  code: number | null;
  stdout: string;
  stderr: string;
}

/** Train `cfg` into `out` on `ranks` ranks (mpirun), or in one process without mpirun when `ranks` is 1. */
function launch(
  ranks: number,
  cfg: ExperimentConfigInput,
  out: string,
  opts: { resume?: boolean; env?: Record<string, string> } = {},
): Promise<Launch> {
  const file = join(dir, `${Math.random().toString(36).slice(2)}.json`);
  writeFileSync(file, JSON.stringify(cfg));
  const node = [process.execPath, '--conditions=@vtx/source', '--import', 'tsx', join(here, 'rank.ts')];
  const cmd = [...node, file, out, ...(opts.resume ? ['resume'] : [])];
  const args =
    ranks > 1 ? ['-np', String(ranks), '--bind-to', 'none', '--oversubscribe', ...cmd] : cmd.slice(1);
  const env = {
    ...process.env,
    // OpenMPI refuses root without both; the suite runs as root on CI
    OMPI_ALLOW_RUN_AS_ROOT: '1',
    OMPI_ALLOW_RUN_AS_ROOT_CONFIRM: '1',
    ...opts.env,
  };
  return new Promise((resolve) => {
    const child = spawn(ranks > 1 ? 'mpirun' : cmd[0]!, args, { env });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    child.on('exit', (code) => resolve({ code, stdout, stderr }));
  });
}

/** The JSON lines the ranks printed (rank, status, step), by rank. */
function reports(l: Launch): { rank: number; status: string; step: number }[] {
  return l.stdout
    .split('\n')
    .filter((s) => s.startsWith('{'))
    .map((s) => JSON.parse(s) as { rank: number; status: string; step: number })
    .sort((a, b) => a.rank - b.rank);
}

/** Every weight of the newest checkpoints of two runs agrees within WEIGHT_TOL; returns the largest difference. */
async function weightsAgree(a: string, b: string): Promise<number> {
  const [ca, cb] = await Promise.all(
    [a, b].map(async (d) => (await listCheckpoints(join(d, 'checkpoints'))).at(-1)!),
  );
  expect(ca!.step).toBe(cb!.step);
  const [wa, wb] = await Promise.all([ca!.path, cb!.path].map(async (p) => (await loadCheckpoint(p)).groups));
  let worst = 0;
  for (const group of ['weights', 'ema']) {
    const ta = wa![group]!.tensors;
    const tb = wb![group]!.tensors;
    expect(Object.keys(ta).sort()).toEqual(Object.keys(tb).sort());
    for (const name of Object.keys(ta)) {
      const [x, y] = [ta[name]!.data as Float32Array, tb[name]!.data as Float32Array];
      for (let i = 0; i < x.length; i++) worst = Math.max(worst, Math.abs(x[i]! - y[i]!));
    }
  }
  expect(worst).toBeLessThan(WEIGHT_TOL);
  return worst;
}

/** The training losses of two runs agree step for step (those of `b` that `a` has, from `from` on). */
function lossesAgree(a: string, b: string, from = 1): void {
  const [ca, cb] = [trainCurve(a), trainCurve(b)];
  const steps = [...cb.keys()].filter((s) => s >= from);
  expect(steps.length).toBeGreaterThan(0);
  for (const s of steps) {
    expect(ca.get(s), `step ${s}`).toBeDefined();
    expect(Math.abs(ca.get(s)!.loss - cb.get(s)!.loss), `loss at step ${s}`).toBeLessThan(TOL);
    expect(Math.abs(ca.get(s)!.gradNorm - cb.get(s)!.gradNorm), `grad norm at step ${s}`).toBeLessThan(TOL);
  }
}

const cache = join(dir, 'cache');
/** 40 clips in global batches of 16: every epoch ends with a batch of 8 (ranks split remainders too). */
const classifier = (over: Record<string, unknown> = {}) =>
  tinyClassifier(cache, {
    data: { ...tinyShapes(cache, { count: 40 }), batchSize: 16 },
    model: { ...(tinyClassifier(cache).model as object), dropPath: 0.1 }, // DropPath: row-wise seeded draws
    train: { steps: 20, logEvery: 1, checkpointEvery: 4, keepLast: 3, ema: { enabled: true, decay: 0.9 } },
    eval: { batches: 3 },
    ...over,
  });

describe.skipIf(!!why)('data-parallel training under mpirun', () => {
  it.each([
    ['classifier (ViViT, DropPath, remainder batches)', classifier()],
    [
      // 33 clips in batches of 16: each epoch ends with one row, so one rank has no rows in that micro-batch
      'diffusion (video DiT, class dropout, noise and timesteps row-wise; a one-row batch)',
      tinyDiT(cache, {
        data: { ...tinyShapes(cache, { count: 33, seed: 4 }), batchSize: 16 },
        train: { steps: 20, logEvery: 1, checkpointEvery: 10, ema: { enabled: true, decay: 0.9 } },
        eval: { batches: 3 },
      }),
    ],
    [
      'classifier with gradient accumulation (2 micro-batches of 8 per step)',
      classifier({
        data: { ...tinyShapes(cache, { count: 40 }), batchSize: 8 },
        train: {
          steps: 20,
          gradAccum: 2,
          logEvery: 1,
          checkpointEvery: 10,
          ema: { enabled: true, decay: 0.9 },
        },
      }),
    ],
  ])(
    '%s: 2 ranks give one process’s losses, evaluation and weights after 20 steps',
    async (name, cfg) => {
      const tag = name.split(' ')[0]! + (name.includes('accumulation') ? '-accum' : '');
      const [one, two] = [join(dir, `${tag}-1`), join(dir, `${tag}-2`)];
      const r1 = await launch(1, cfg, one);
      expect(r1.code, r1.stderr).toBe(0);
      const r2 = await launch(2, cfg, two);
      expect(r2.code, r2.stderr).toBe(0);
      expect(reports(r2)).toEqual([
        { rank: 0, status: 'completed', step: 20 },
        { rank: 1, status: 'completed', step: 20 },
      ]);
      lossesAgree(one, two);
      console.info(`${name}: largest weight difference ${await weightsAgree(one, two)}`);
      // the evaluation, split over ranks, reduced to one process's metrics
      const [e1, e2] = [lastEval(one), lastEval(two)];
      expect(Object.keys(e2).sort()).toEqual(Object.keys(e1).sort());
      for (const k of Object.keys(e1)) expect(Math.abs(e2[k]! - e1[k]!), k).toBeLessThan(TOL);
      // a classifier's confusion matrix: each rank's share of the batches, summed
      const classes = (run: string) =>
        JSON.parse(readFileSync(join(run, 'eval', 'classes-step-000020.json'), 'utf8')) as {
          confusion: number[][];
        };
      if (name.startsWith('classifier')) expect(classes(two).confusion).toEqual(classes(one).confusion);
      // rank 0 alone wrote the run directory; it records one process's data split (resumable on any count)
      expect(readdirSync(two).sort()).toEqual(readdirSync(one).sort());
    },
    5 * MINUTES,
  );

  it(
    'a SIGKILLed rank ends every rank non-zero with no damaged file; the run resumes on 2 and on 1 rank',
    async () => {
      const cfg = classifier();
      const whole = join(dir, 'classifier-1'); // the uninterrupted run of the first test, or made here
      if (!existsSync(join(whole, 'summary.json'))) expect((await launch(1, cfg, whole)).code).toBe(0);
      const killed = join(dir, 'killed');
      const k = await launch(2, cfg, killed, { env: { VTX_TEST_KILL: '1:10' } }); // rank 1 dies after 10 steps
      expect(k.code).not.toBe(0);
      expect(reports(k)).toEqual([]); // no rank finished
      const ckpts = await listCheckpoints(join(killed, 'checkpoints'));
      expect(ckpts.map((c) => c.step)).toEqual([4, 8]);
      for (const c of ckpts) await loadCheckpoint(c.path); // each loads and verifies its checksums
      expect(readdirSync(join(killed, 'checkpoints')).filter((n) => n.startsWith('.'))).toEqual([]);
      trainCurve(killed); // metrics.jsonl parses line by line

      const onOne = join(dir, 'killed-on-1');
      cpSync(killed, onOne, { recursive: true });
      const r2 = await launch(2, cfg, killed, { resume: true });
      expect(r2.code, r2.stderr).toBe(0);
      expect(reports(r2).map((r) => r.step)).toEqual([20, 20]);
      const r1 = await launch(1, cfg, onOne, { resume: true });
      expect(r1.code, r1.stderr).toBe(0);
      for (const resumed of [killed, onOne]) {
        lossesAgree(whole, resumed, 9);
        await weightsAgree(whole, resumed);
      }
    },
    6 * MINUTES,
  );

  it(
    'SIGTERM on one rank stops every rank after the same step, with a final checkpoint',
    async () => {
      const out = join(dir, 'stopped');
      const r = await launch(2, classifier(), out, { env: { VTX_TEST_TERM: '1:5' } });
      expect(r.code, r.stderr).toBe(0);
      // rank 1's request rides in step 6's all-reduce: both ranks stop after step 6
      expect(reports(r)).toEqual([
        { rank: 0, status: 'stopped', step: 6 },
        { rank: 1, status: 'stopped', step: 6 },
      ]);
      expect((await listCheckpoints(join(out, 'checkpoints'))).map((c) => c.step)).toEqual([4, 6]);
    },
    3 * MINUTES,
  );
});

/** The last evaluation record of a run's metrics.jsonl (without its step). */
function lastEval(runDir: string): Record<string, number> {
  const records = readFileSync(join(runDir, 'metrics.jsonl'), 'utf8')
    .split('\n')
    .filter(Boolean)
    .map((l) => JSON.parse(l) as Record<string, number>)
    .filter((r) => 'val/loss' in r);
  const { step: _step, ...metrics } = records.at(-1)!;
  return metrics;
}
