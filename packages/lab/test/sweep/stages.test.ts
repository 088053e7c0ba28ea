/**
 * Sweep stages (runs that complete before the sweep's runs, e.g. an image pretraining that every run initialises
 * from): expansion and validation of `stages:` and `${stage.<name>}`, labelled runs, `seedKeys`, the Slurm scripts'
 * dependencies, and the local launcher running a stage first, skipping it once complete and holding the runs back
 * when it fails.
 */
import { existsSync, mkdtempSync, promises as fs, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import { loadConfigFile } from '@vtx/config';
import { ExperimentConfig } from '../../../train/src/experiment.js';
import {
  SweepError,
  loadSweep,
  readPlan,
  readSummary,
  runConfig,
  runDir,
  runSweep,
  sbatchScript,
  stageConfig,
  stageDir,
  stageRefs,
  stageSbatchScript,
  substituteStages,
  writePlan,
  type SlurmLauncher,
  type SweepTrainStage,
} from '../../src/sweep/index.js';

const ROOT = resolve(__dirname, '../../../..');
const BASE = join(ROOT, 'configs/sweeps/tiny-dit.base.yaml');

function sweepFile(body: string, dir = mkdtempSync(join(tmpdir(), 'vtx-stages-'))): string {
  const f = join(dir, 'sweep.yaml');
  writeFileSync(f, `base: ${BASE}\n${body}`);
  return f;
}

describe('stage references', () => {
  it('finds and replaces ${stage.<name>} in strings at any depth, leaving other values alone', () => {
    const v = { a: '${stage.pre}', b: ['x', { c: '${stage.pre}/sub and ${stage.two}' }], n: 3, t: true };
    expect(stageRefs(v)).toEqual(['pre', 'pre', 'two']);
    const dirs = new Map([
      ['pre', '/s/stages/pre'],
      ['two', '/s/stages/two'],
    ]);
    expect(substituteStages(v, dirs)).toEqual({
      a: '/s/stages/pre',
      b: ['x', { c: '/s/stages/pre/sub and /s/stages/two' }],
      n: 3,
      t: true,
    });
  });
});

describe('sweep stages: expansion and validation', () => {
  it('expands stages before runs, resolving ${stage.<name>} in set, runs and grid to the stage run directory', async () => {
    const f = sweepFile(`name: st
stages:
  pre: { set: { train.steps: 3, model.width: 24 } }
  post: { set: { init.from: '\${stage.pre}', train.steps: 2 } }
set: { init.from: '\${stage.post}', train.steps: 4 }
grid:
  model.depth: [1, 2]
`);
    const ex = await loadSweep(f, { dir: '/tmp/sweeps/st' });
    expect(ex.stages.map((s) => [s.name, s.dir])).toEqual([
      ['pre', '/tmp/sweeps/st/stages/pre'],
      ['post', '/tmp/sweeps/st/stages/post'],
    ]);
    expect((ex.stages[0] as SweepTrainStage).config).toMatchObject({
      name: 'st-stage-pre',
      train: { steps: 3 },
    });
    expect((ex.stages[0] as SweepTrainStage).config.model).toMatchObject({ width: 24 });
    expect(ex.stages[1]).toMatchObject({
      config: { init: { from: '/tmp/sweeps/st/stages/pre' } },
    });
    expect(ex.runs.map((r) => r.name)).toEqual(['depth-1', 'depth-2']);
    for (const r of ex.runs) {
      expect(r.config.init).toMatchObject({ from: '/tmp/sweeps/st/stages/post' });
      expect(r.config.train.steps).toBe(4);
    }
    // the default directory is the one `vtx sweep` uses
    const dflt = await loadSweep(f);
    expect(dflt.stages[0]!.dir).toBe(resolve('runs/sweeps/st/stages/pre'));
  });

  it('names labelled runs by their label; seedKeys write each seed to several keys', async () => {
    const f = sweepFile(`name: lab
stages:
  pre: {}
runs:
  - { label: scratch, set: {} }
  - { label: warm, set: { init.from: '\${stage.pre}', model.width: 24 } }
  - { model.width: 16 }
seeds: [0, 3]
seedKeys: [seed, data.seed]
`);
    const ex = await loadSweep(f, { dir: '/tmp/sweeps/lab' });
    expect(ex.axes).toEqual(['label', 'model.width', 'seed']);
    expect(ex.runs.map((r) => r.name)).toEqual([
      'scratch_seed-0',
      'scratch_seed-3',
      'warm_seed-0',
      'warm_seed-3',
      'width-16_seed-0',
      'width-16_seed-3',
    ]);
    const warm = ex.runs.find((r) => r.name === 'warm_seed-3')!;
    expect(warm.axes).toEqual({ label: 'warm', seed: 3 });
    expect(warm.config.init?.from).toBe('/tmp/sweeps/lab/stages/pre');
    expect(warm.config.model).toMatchObject({ width: 24 });
    expect(warm.config.seed).toBe(3);
    expect(warm.config.data.seed).toBe(3);
    expect(ex.runs.find((r) => r.name === 'scratch_seed-0')!.config.init).toBeUndefined();
  });

  it('rejects unknown and forward stage references before anything runs', async () => {
    const unknown = sweepFile(`name: u\nstages:\n  pre: {}\nset: { init.from: '\${stage.pr}' }\n`);
    await expect(loadSweep(unknown)).rejects.toThrow(SweepError);
    await expect(loadSweep(unknown)).rejects.toThrow(/set: \$\{stage\.pr\} names no stage \(known: pre\)/);
    const forward = sweepFile(`name: fw
stages:
  a: { set: { init.from: '\${stage.b}' } }
  b: {}
`);
    await expect(loadSweep(forward)).rejects.toThrow(/stages\.a\.set: \$\{stage\.b\} names no earlier stage/);
    const none = sweepFile(`name: n\ngrid:\n  init.from: ['\${stage.x}']\n`);
    await expect(loadSweep(none)).rejects.toThrow(/grid: \$\{stage\.x\} names no stage/);
    await expect(loadSweep(sweepFile(`name: b\nstages:\n  '1x': {}\n`))).rejects.toThrow(/stages/);
  });

  it('a bad stage config fails the whole sweep, named with the stage, alongside bad runs', async () => {
    const f = sweepFile(`name: bad
stages:
  pre: { set: { model.widht: 8 } }
grid:
  optim.lr: [1e-3, -1]
`);
    const msg = ((await loadSweep(f).catch((e: unknown) => e)) as Error).message;
    expect(msg).toContain('2 of 3 stages and runs are invalid (nothing was started)');
    expect(msg).toContain('stage pre:');
    expect(msg).toContain("did you mean 'width'");
    expect(msg).toContain('run lr--1');
  });

  it('writes each stage config into the plan; refuses a plan expanded for another directory', async () => {
    const f = sweepFile(
      `name: wp\nstages:\n  pre: { set: { train.steps: 3 } }\nset: { init.from: '\${stage.pre}' }\n`,
    );
    const dir = mkdtempSync(join(tmpdir(), 'vtx-plan-'));
    const plan = await writePlan(dir, f, await loadSweep(f, { dir }));
    expect(plan.stages).toEqual([
      { kind: 'train', name: 'pre', base: BASE, overrides: { 'train.steps': 3, name: 'wp-stage-pre' } },
    ]);
    expect((await readPlan(dir)).stages?.map((s) => s.name)).toEqual(['pre']);
    const cfg = await loadConfigFile(stageConfig(dir, 'pre'), ExperimentConfig);
    expect(cfg.train.steps).toBe(3);
    const run = await loadConfigFile(runConfig(dir, 'base'), ExperimentConfig);
    expect(run.init?.from).toBe(stageDir(dir, 'pre'));
    await expect(writePlan(dir, f, await loadSweep(f, { dir: '/elsewhere' }))).rejects.toThrow(
      /expanded for \/elsewhere\/stages\/pre/,
    );
  });
});

describe('sweep stages on Slurm: scripts', () => {
  it('a stage job runs `sweep task --stage`, and the array depends on the stage jobs (afterok, killed if they fail)', async () => {
    const f = sweepFile(`name: sl\nstages:\n  pre: {}\nset: { init.from: '\${stage.pre}' }\n`);
    const dir = mkdtempSync(join(tmpdir(), 'vtx-sl-'));
    const plan = await writePlan(dir, f, await loadSweep(f, { dir }));
    const launcher: SlurmLauncher = {
      kind: 'slurm',
      cpusPerTask: 2,
      ntasks: 1,
      mpi: 'pmix',
      gpus: 0,
      extra: [],
      setup: [],
      pollSeconds: 1,
    };
    const stage = stageSbatchScript(dir, plan, launcher, 'pre', '/work', ['41']);
    expect(stage).toContain('#SBATCH --job-name=vtx-sl-pre');
    expect(stage).toContain('#SBATCH --dependency=afterok:41');
    expect(stage).toContain('#SBATCH --kill-on-invalid-dep=yes');
    expect(stage).toMatch(new RegExp(`sweep task ${resolve(dir)} --stage pre\\n`));
    expect(stage).not.toContain('--array');
    const array = sbatchScript(dir, plan, launcher, [0], '/work', ['42', '43']);
    expect(array).toContain('#SBATCH --array=0');
    expect(array).toContain('#SBATCH --dependency=afterok:42:43');
    expect(sbatchScript(dir, plan, launcher, [0], '/work')).not.toContain('--dependency');
    expect(array).toContain('#SBATCH --ntasks=1');
    expect(array).not.toContain('srun');
    // data-parallel runs: every run is a job of ntasks ranks started by srun; the stage keeps one task
    const dp = { ...launcher, ntasks: 2 };
    const ranks = sbatchScript(dir, plan, dp, [0], '/work');
    expect(ranks).toContain('#SBATCH --ntasks=2');
    expect(ranks).toMatch(/^exec srun --mpi=pmix --kill-on-bad-exit=1 \S+ .*sweep task /m);
    expect(stageSbatchScript(dir, plan, dp, 'pre', '/work')).toContain('#SBATCH --ntasks=1');
  });
});

describe('sweep stages: local launcher', () => {
  it('runs the stage first, skips it once complete, and starts a run from it', async () => {
    const tmp = mkdtempSync(join(tmpdir(), 'vtx-stage-run-'));
    const file = sweepFile(
      `name: pre\nstages:\n  pre: { set: { train.steps: 2, train.checkpointEvery: 2 } }\nset: { init.from: '\${stage.pre}', train.steps: 2 }\nlauncher: { kind: local, workers: 1 }\n`,
      tmp,
    );
    const out = join(tmp, 'sweep');
    const events: string[] = [];
    const first = await runSweep(file, { out, onEvent: (l) => events.push(l) });
    expect(first.stageOutcomes).toMatchObject([{ name: 'pre', result: 'ok', action: 'start' }]);
    expect(first.outcomes).toMatchObject([{ name: 'base', result: 'ok' }]);
    expect(first.stageStates).toMatchObject([{ name: 'pre', state: 'completed' }]);
    expect(events.findIndex((l) => l.startsWith('start stage pre'))).toBeLessThan(
      events.findIndex((l) => l.startsWith('start base')),
    );
    expect((await readSummary(stageDir(out, 'pre')))?.status).toBe('completed');
    expect(existsSync(join(out, 'logs', 'stages', 'pre.log'))).toBe(true);

    // a rerun skips the completed stage and run; a run started afresh still initialises from the stage
    await fs.rm(runDir(out, 'base'), { recursive: true });
    const again = await runSweep(file, { out });
    expect(again.stageOutcomes).toEqual([{ name: 'pre', result: 'skipped' }]);
    expect(again.outcomes).toMatchObject([{ name: 'base', result: 'ok', action: 'start' }]);
    const cfg = await loadConfigFile(join(runDir(out, 'base'), 'config.yaml'), ExperimentConfig);
    expect(cfg.init?.from).toBe(stageDir(out, 'pre'));
  });

  it('a failed stage holds every run back', async () => {
    const tmp = mkdtempSync(join(tmpdir(), 'vtx-stage-fail-'));
    // the stage initialises from a directory that is not a run: it fails at start
    const file = sweepFile(
      `name: sf\nstages:\n  pre: { set: { init.from: ${join(tmp, 'missing')} } }\nset: { init.from: '\${stage.pre}' }\ngrid:\n  model.width: [16, 24]\n`,
      tmp,
    );
    const out = join(tmp, 'sweep');
    const events: string[] = [];
    const r = await runSweep(file, { out, onEvent: (l) => events.push(l) });
    expect(r.stageOutcomes).toMatchObject([{ name: 'pre', result: 'failed' }]);
    expect(r.outcomes?.map((o) => o.result)).toEqual(['stopped', 'stopped']);
    expect(r.states.map((s) => s.state)).toEqual(['pending', 'pending']);
    expect(events.join('\n')).toContain('stage pre failed: no run was started');
    expect(existsSync(runDir(out, 'width-16'))).toBe(false);
  });
});
