/**
 * The launchers end to end on a tiny video DiT (a few seconds per run): the local pool resumes after a worker is
 * killed mid-run, and the Slurm launcher runs a two-run sweep as one job array on a real single-node Slurm
 * (the tests start its daemons when Slurm is installed; they skip, saying how to install it, where it is not;
 * VTX_SKIP_SLURM=1 skips them).
 */
import { execFileSync, spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, promises as fs, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { beforeEach, describe, expect, it } from 'vitest';
import { listCheckpoints } from '@vtx/checkpoint';
import { readMetrics } from '../../../runs/src/metrics.js';
import { readPlan, readSummary, runDir, runSweep, sweepReport } from '../../src/sweep/index.js';
import { mpiUnavailable } from '@vtx/train';

const ROOT = resolve(__dirname, '../../../..');
const BASE = join(ROOT, 'configs/sweeps/tiny-dit.base.yaml');

function sweepFile(dir: string, body: string): string {
  const f = join(dir, 'sweep.yaml');
  writeFileSync(f, `base: ${BASE}\n${body}`);
  return f;
}

describe('local launcher', () => {
  it('skips finished runs and resumes a run whose worker was killed mid-run', async () => {
    const tmp = mkdtempSync(join(tmpdir(), 'vtx-local-'));
    const file = sweepFile(
      tmp,
      `name: resume\nset: { train.steps: 96, train.checkpointEvery: 4, train.logEvery: 2 }\ngrid:\n  model.width: [16, 24]\nlauncher: { kind: local, workers: 2 }\n`,
    );
    const out = join(tmp, 'sweep');
    const victim = 'width-24';
    let killedAt = -1;
    const first = await runSweep(file, {
      out,
      onSpawn: (name, child) => {
        if (name !== victim) return;
        const ckpts = join(out, 'runs', victim, 'checkpoints');
        const timer = setInterval(() => {
          void listCheckpoints(ckpts).then((c) => {
            if (c.length && killedAt < 0) {
              killedAt = c.at(-1)!.step;
              child.kill('SIGKILL'); // no graceful checkpoint: a crash
              clearInterval(timer);
            }
          });
        }, 50);
        child.on('exit', () => clearInterval(timer));
      },
    });
    const byName = Object.fromEntries(first.outcomes!.map((o) => [o.name, o]));
    expect(byName['width-16']!.result).toBe('ok');
    expect(killedAt).toBeGreaterThan(0);
    expect(byName[victim]!.result).toBe('failed');
    expect((await readSummary(runDir(out, victim)))?.status).not.toBe('completed');

    const second = await runSweep(file, { out });
    const again = Object.fromEntries(second.outcomes!.map((o) => [o.name, o]));
    expect(again['width-16']!.result).toBe('skipped');
    expect(again[victim]).toMatchObject({ result: 'ok', action: 'resume' });
    const s = (await readSummary(runDir(out, victim)))!;
    expect(s).toMatchObject({ status: 'completed', step: 96, steps: 96 });
    // the resumed run continued from its checkpoint: every logged step once, in order
    const steps = (await readMetrics(join(runDir(out, victim), 'metrics.jsonl')))
      .filter((r) => typeof r['loss'] === 'number')
      .map((r) => r.step);
    expect(steps).toEqual(Array.from({ length: 48 }, (_, i) => 2 * (i + 1)));
    const log = await fs.readFile(join(runDir(out, victim), 'log.jsonl'), 'utf8');
    expect(log).toContain('"msg":"resumed"');

    // the report covers both runs, with charts and tables
    const rep = await sweepReport(out, { png: false });
    expect(rep.rows.map((r) => r.state)).toEqual(['completed', 'completed']);
    for (const f of ['report.md', 'runs.csv', 'report.json', 'loss-curves.svg', 'val-loss-vs-gflops.svg'])
      expect(existsSync(join(out, 'report', f)), f).toBe(true);
    const csv = await fs.readFile(join(out, 'report', 'runs.csv'), 'utf8');
    expect(csv.split('\n')[0]).toContain('run,model.width,state');
    expect(csv).toContain('width-16,16,completed');
  });
});

function slurmUp(): boolean {
  try {
    execFileSync('bash', [join(ROOT, 'scripts/slurm-local.sh'), 'status'], { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
}

/** The local cluster's config, as `scripts/slurm-local.sh env` prints it (the script picks its directory). */
function slurmConf(): string {
  const printed = execFileSync('bash', [join(ROOT, 'scripts/slurm-local.sh'), 'env'], { encoding: 'utf8' });
  const conf = /^export SLURM_CONF=(.+)$/m.exec(printed)?.[1];
  if (!conf) throw new Error(`scripts/slurm-local.sh env printed no SLURM_CONF: ${printed}`);
  return conf.trim();
}

/**
 * Why the Slurm tests cannot run here, or null. The tests start the local cluster's daemons when Slurm is
 * installed and not running; they never install it (scripts/slurm-local.sh start does, as root).
 */
function slurmMissing(): string | null {
  if (process.env['VTX_SKIP_SLURM'] === '1') return 'VTX_SKIP_SLURM=1';
  const absent = ['slurmctld', 'slurmd', 'munged'].filter(
    (b) => spawnSync('sh', ['-c', `command -v ${b} || test -x /usr/sbin/${b}`]).status !== 0,
  );
  return absent.length
    ? `Slurm is not installed (${absent.join(', ')} missing): run scripts/slurm-local.sh start as root, which installs slurm-wlm and munge`
    : null;
}
const missing = slurmMissing();

describe('slurm launcher', () => {
  beforeEach((ctx) => {
    if (missing) ctx.skip(missing);
  });

  it('runs a two-run sweep as one job array on the local Slurm and gathers the results', async () => {
    if (!slurmUp())
      execFileSync('bash', [join(ROOT, 'scripts/slurm-local.sh'), 'start'], {
        stdio: 'inherit',
        timeout: 600_000,
      });
    process.env['SLURM_CONF'] ??= slurmConf();
    const tmp = mkdtempSync(join(tmpdir(), 'vtx-slurm-'));
    const file = sweepFile(
      tmp,
      `name: slurm2\nset: { train.steps: 6 }\ngrid:\n  model.width: [16, 24]\nlauncher: { kind: slurm, cpusPerTask: 1, pollSeconds: 0.5 }\n`,
    );
    const out = join(tmp, 'sweep');
    const r = await runSweep(file, { out });
    expect(r.job?.tasks).toEqual([0, 1]);
    const script = await fs.readFile(join(out, 'slurm', 'sweep.sbatch'), 'utf8');
    expect(script).toContain('#SBATCH --array=0-1');
    expect(script).toContain(`sweep task ${resolve(out)} "$SLURM_ARRAY_TASK_ID"`);
    const outputs = (await fs.readdir(join(out, 'slurm'))).filter((f) =>
      f.startsWith(`task-${r.job!.jobId}_`),
    );
    expect(outputs.sort()).toEqual([`task-${r.job!.jobId}_0.out`, `task-${r.job!.jobId}_1.out`]);
    expect(r.states.map((s) => [s.name, s.state])).toEqual([
      ['width-16', 'completed'],
      ['width-24', 'completed'],
    ]);
    const plan = await readPlan(out);
    for (const run of plan.runs) expect((await readSummary(runDir(out, run.name)))?.step).toBe(6);
    // resubmitting a finished sweep submits nothing
    const again = await runSweep(file, { out });
    expect(again.job).toBeUndefined();
  });

  it('runs a stage as its own job and the array after it (afterok), then skips the completed stage', async () => {
    if (!slurmUp())
      execFileSync('bash', [join(ROOT, 'scripts/slurm-local.sh'), 'start'], {
        stdio: 'inherit',
        timeout: 600_000,
      });
    process.env['SLURM_CONF'] ??= slurmConf();
    const tmp = mkdtempSync(join(tmpdir(), 'vtx-slurm-stage-'));
    const file = sweepFile(
      tmp,
      `name: slurmst\nstages:\n  pre: { set: { train.steps: 4, train.checkpointEvery: 4 } }\nset: { init.from: '\${stage.pre}', train.steps: 4 }\ngrid:\n  model.depth: [1, 2]\nlauncher: { kind: slurm, cpusPerTask: 1, pollSeconds: 0.5 }\n`,
    );
    const out = join(tmp, 'sweep');
    const r = await runSweep(file, { out });
    const stageJob = r.job?.stageJobs?.[0];
    expect(stageJob?.name).toBe('pre');
    const script = await fs.readFile(join(out, 'slurm', 'sweep.sbatch'), 'utf8');
    expect(script).toContain(`#SBATCH --dependency=afterok:${stageJob!.jobId}`);
    expect(r.stageStates).toMatchObject([{ name: 'pre', state: 'completed' }]);
    expect(r.states.map((s) => s.state)).toEqual(['completed', 'completed']);
    // the stage finished before any run started (its summary is written last; a run's config.yaml first)
    const stageEnd = (await fs.stat(join(out, 'stages', 'pre', 'summary.json'))).mtimeMs;
    for (const name of ['depth-1', 'depth-2'])
      expect((await fs.stat(join(runDir(out, name), 'config.yaml'))).mtimeMs).toBeGreaterThanOrEqual(
        stageEnd,
      );
    // after deleting one run, a resubmission runs only that run, with no stage job and no dependency
    await fs.rm(runDir(out, 'depth-2'), { recursive: true });
    const again = await runSweep(file, { out });
    expect(again.job?.tasks).toEqual([1]);
    expect(again.job?.stageJobs).toBeUndefined();
    expect(await fs.readFile(join(out, 'slurm', 'sweep.sbatch'), 'utf8')).not.toContain('--dependency');
    expect(again.states.map((s) => s.state)).toEqual(['completed', 'completed']);
  });
  it('trains a data-parallel run as one 2-task job (srun --mpi=pmix), then resumes it as another', async (ctx) => {
    const noMpi = mpiUnavailable();
    if (noMpi) ctx.skip(`data-parallel Slurm run: ${noMpi}`);
    if (!slurmUp())
      execFileSync('bash', [join(ROOT, 'scripts/slurm-local.sh'), 'start'], {
        stdio: 'inherit',
        timeout: 600_000,
      });
    process.env['SLURM_CONF'] ??= slurmConf();
    const tmp = mkdtempSync(join(tmpdir(), 'vtx-slurm-dp-'));
    const file = sweepFile(
      tmp,
      `name: slurmdp\nset: { train.steps: 8, train.checkpointEvery: 4, train.logEvery: 1 }\ngrid:\n  model.width: [16]\nlauncher: { kind: slurm, ntasks: 2, cpusPerTask: 1, pollSeconds: 0.5 }\n`,
    );
    const out = join(tmp, 'sweep');
    const r = await runSweep(file, { out });
    const script = await fs.readFile(join(out, 'slurm', 'sweep.sbatch'), 'utf8');
    expect(script).toContain('#SBATCH --ntasks=2');
    expect(script).toContain('exec srun --mpi=pmix --kill-on-bad-exit=1 ');
    const taskOut = join(out, 'slurm', `task-${r.job!.jobId}_0.out`);
    expect(
      r.states.map((s) => s.state),
      await fs.readFile(taskOut, 'utf8'),
    ).toEqual(['completed']);
    // both tasks ran `vtx sweep task`; rank 0 alone says how the run ended
    const said = (await fs.readFile(taskOut, 'utf8')).match(
      /^run slurmdp-width-16: completed at step 8\/8$/gm,
    );
    expect(said).toHaveLength(1);
    const run = runDir(out, 'width-16');
    const log = await fs.readFile(join(run, 'log.jsonl'), 'utf8');
    expect(log).toContain('data parallel: rank 0 of 2');
    expect(log).toContain('VTX_THREADS=1 (SLURM_CPUS_PER_TASK)');
    const first = (await readMetrics(join(run, 'metrics.jsonl'))).filter((m) => 'loss' in m);
    expect(first.map((m) => m['step'])).toEqual([1, 2, 3, 4, 5, 6, 7, 8]);
    // make it a run interrupted after step 4: its last checkpoint and its summary gone
    await fs.rm(join(run, 'summary.json'));
    await fs.rm(join(run, 'checkpoints', 'step-000008'), { recursive: true });
    const again = await runSweep(file, { out });
    expect(again.job?.tasks).toEqual([0]);
    expect(again.states.map((s) => s.state)).toEqual(['completed']);
    expect(await fs.readFile(join(run, 'log.jsonl'), 'utf8')).toMatch(/"msg":"resumed"/);
    expect((await listCheckpoints(join(run, 'checkpoints'))).map((c) => c.step)).toContain(8);
    const resumed = (await readMetrics(join(run, 'metrics.jsonl'))).filter((m) => 'loss' in m);
    expect(resumed.map((m) => m['step'])).toEqual([1, 2, 3, 4, 5, 6, 7, 8]);
    for (let i = 4; i < 8; i++)
      expect(
        Math.abs(Number(resumed[i]!['loss']) - Number(first[i]!['loss'])),
        `loss at step ${i + 1}`,
      ).toBeLessThan(1e-6);
  });
});
