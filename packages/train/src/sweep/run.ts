/**
 * `runSweep(file)`: expand and validate a sweep, write its directory, and hand the runs to the launcher.
 * `runSweepTask(dir, index)`: one run inside this process (what each Slurm array task executes).
 */
import { promises as fs } from 'node:fs';
import { join } from 'node:path';
import { loadConfigFile } from '../config/index.js';
import { ExperimentConfig } from '../experiment.js';
import { train, type RunSummary } from '../train.js';
import { loadSweep } from './expand.js';
import { runLocal, type LocalOptions, type RunOutcome } from './local.js';
import { readPlan, runConfig, runDir, runState, writePlan, type SweepPlan } from './plan.js';
import { Launcher } from './schema.js';
import { submitSlurm, waitForJob, type SlurmSubmission } from './slurm.js';

export interface SweepOptions extends LocalOptions {
  /** Sweep directory (default `runs/sweeps/<name>`). */
  out?: string;
  /** Replace the file's launcher ('local' or 'slurm' with its defaults, or a full launcher config). */
  launcher?: 'local' | 'slurm' | Launcher;
  /** Slurm: wait for the job array to finish (default true). */
  wait?: boolean;
}

export interface SweepResult {
  dir: string;
  plan: SweepPlan;
  /** Local launcher: what happened to each run. */
  outcomes?: RunOutcome[];
  /** Slurm launcher: the submitted job (undefined if everything was already complete). */
  job?: SlurmSubmission;
  /** Per run, its state after the launcher returned. */
  states: { name: string; state: string; summary?: RunSummary }[];
}

/** Validate every run of a sweep file, write the sweep directory, and run it. */
export async function runSweep(file: string, opts: SweepOptions = {}): Promise<SweepResult> {
  const ex = await loadSweep(file);
  if (opts.launcher)
    ex.sweep.launcher = Launcher.parse(
      typeof opts.launcher === 'string' ? { kind: opts.launcher } : opts.launcher,
    );
  const dir = opts.out ?? join('runs', 'sweeps', ex.sweep.name);
  const plan = await writePlan(dir, file, ex);
  const say = opts.onEvent ?? (() => {});
  say(`sweep ${plan.name}: ${plan.runs.length} runs validated, directory ${dir}`);
  const result: SweepResult = { dir, plan, states: [] };
  if (plan.sweep.launcher.kind === 'local') {
    result.outcomes = await runLocal(dir, plan, opts);
  } else {
    const job = await submitSlurm(dir, plan);
    if (job) {
      result.job = job;
      say(`submitted job ${job.jobId} (array of ${job.tasks.length}); script ${job.script}`);
      if (opts.wait !== false)
        await waitForJob(job.jobId, {
          pollSeconds: plan.sweep.launcher.pollSeconds,
          ...(opts.signal ? { signal: opts.signal } : {}),
          onEvent: say,
        });
    } else say('every run is already complete');
  }
  result.states = await sweepStates(dir, plan);
  return result;
}

/** Every run's state in the sweep directory. */
export async function sweepStates(dir: string, plan?: SweepPlan): Promise<SweepResult['states']> {
  const p = plan ?? (await readPlan(dir));
  const out: SweepResult['states'] = [];
  for (const r of p.runs) {
    const s = await runState(runDir(dir, r.name));
    out.push({
      name: r.name,
      state:
        s.kind === 'start'
          ? 'pending'
          : s.kind === 'restart'
            ? 'interrupted'
            : s.kind === 'resume'
              ? 'partial'
              : 'completed',
      ...(s.kind === 'completed' ? { summary: s.summary } : {}),
    });
  }
  return out;
}

/** Carry run `index` of the sweep in `dir` forward in this process: skip, resume or (re)start it. */
export async function runSweepTask(
  dir: string,
  index: number,
  opts: { signal?: AbortSignal } = {},
): Promise<RunSummary | undefined> {
  const plan = await readPlan(dir);
  const run = plan.runs.find((r) => r.index === index);
  if (!run) throw new Error(`${dir}: no run with index ${index} (the sweep has ${plan.runs.length})`);
  const out = runDir(dir, run.name);
  const state = await runState(out);
  if (state.kind === 'completed') return state.summary;
  if (state.kind === 'resume') {
    const cfg = await loadConfigFile(join(out, 'config.yaml'), ExperimentConfig);
    return train(cfg, { out, resume: true, ...(opts.signal ? { signal: opts.signal } : {}) });
  }
  if (state.kind === 'restart') await fs.rm(out, { recursive: true, force: true });
  const cfg = await loadConfigFile(runConfig(dir, run.name), ExperimentConfig);
  return train(cfg, { out, ...(opts.signal ? { signal: opts.signal } : {}) });
}
