/**
 * `runSweep(file)`: expand and validate a sweep, write its directory, and hand its stages and runs to the launcher.
 * `runSweepTask(dir, index)`: one run inside this process (what each Slurm array task executes);
 * `runSweepStage(dir, name)`: one stage inside this process (what each Slurm stage job executes).
 */
import { promises as fs } from 'node:fs';
import { join } from 'node:path';
import { launched, ExperimentConfig, train, type RunSummary } from '@vtx/train';
import { loadConfigFile } from '@vtx/config';
import { sampleScoring } from '@vtx/eval';
import { expandSweep, withSet } from './expand.js';
import { runLocal, runStagesLocal, type LocalOptions, type RunOutcome } from './local.js';
import {
  readPlan,
  runConfig,
  runDir,
  runState,
  stageConfig,
  stageDir,
  stageDone,
  stageState,
  stateLabel,
  writePlan,
  type StageState,
  type SweepPlan,
} from './plan.js';
import { Launcher, SweepConfig } from './schema.js';
import { submitSlurm, waitForJob, type SlurmSubmission } from './slurm.js';
import { captionStage } from './caption-stage.js';

export interface SweepOptions extends LocalOptions {
  /** Sweep directory (default `runs/sweeps/<name>`). */
  out?: string;
  /** Replace the file's launcher ('local' or 'slurm' with its defaults, or a full launcher config). */
  launcher?: 'local' | 'slurm' | Launcher;
  /** Slurm: wait for the job array to finish (default true). */
  wait?: boolean;
  /** `k=v` overrides for every run (not stages), after the file's `set` (see `withSet`). */
  set?: readonly string[];
}

export interface SweepResult {
  dir: string;
  plan: SweepPlan;
  /** Local launcher: what happened to each stage (in order; it stops at the first that did not complete). */
  stageOutcomes?: RunOutcome[];
  /** Local launcher: what happened to each run. */
  outcomes?: RunOutcome[];
  /** Slurm launcher: the submitted job (undefined if everything was already complete). */
  job?: SlurmSubmission;
  /** Per run, its state after the launcher returned. */
  states: { name: string; state: string; summary?: RunSummary }[];
  /** Per stage, its state after the launcher returned. */
  stageStates: { name: string; state: string; summary?: RunSummary }[];
}

/** Validate every stage and run of a sweep file, write the sweep directory, and run it (stages first). */
export async function runSweep(file: string, opts: SweepOptions = {}): Promise<SweepResult> {
  const sweep = withSet(await loadConfigFile(file, SweepConfig), opts.set ?? []);
  const dir = opts.out ?? join('runs', 'sweeps', sweep.name);
  const ex = await expandSweep(sweep, file, { dir });
  if (opts.launcher)
    ex.sweep.launcher = Launcher.parse(
      typeof opts.launcher === 'string' ? { kind: opts.launcher } : opts.launcher,
    );
  const plan = await writePlan(dir, file, ex);
  const say = opts.onEvent ?? (() => {});
  const stages = plan.stages ?? [];
  say(
    `sweep ${plan.name}: ${stages.length ? `${stages.length} stage${stages.length > 1 ? 's' : ''} (${stages.map((s) => s.name).join(', ')}) and ` : ''}${plan.runs.length} runs validated${opts.set?.length ? ` (--set ${opts.set.join(' ')})` : ''}, directory ${dir}`,
  );
  const result: SweepResult = { dir, plan, states: [], stageStates: [] };
  if (plan.sweep.launcher.kind === 'local') {
    result.stageOutcomes = await runStagesLocal(dir, plan, opts);
    const blocked = result.stageOutcomes.find((o) => o.result !== 'ok' && o.result !== 'skipped');
    if (blocked || result.stageOutcomes.length < stages.length) {
      if (blocked?.result === 'failed')
        say(`stage ${blocked.name} failed: no run was started (see ${blocked.log})`);
      result.outcomes = plan.runs.map((r) => ({ name: r.name, result: 'stopped' }));
    } else result.outcomes = await runLocal(dir, plan, opts);
  } else {
    const job = await submitSlurm(dir, plan);
    if (job) {
      result.job = job;
      for (const s of job.stageJobs ?? [])
        say(`submitted stage ${s.name} as job ${s.jobId}; script ${s.script}`);
      say(
        `submitted job ${job.jobId} (array of ${job.tasks.length}${job.stageJobs?.length ? `, after job ${job.stageJobs.map((s) => s.jobId).join(', ')}` : ''}); script ${job.script}`,
      );
      if (opts.wait !== false) {
        await waitForJob(job.jobId, {
          pollSeconds: plan.sweep.launcher.pollSeconds,
          ...(opts.signal ? { signal: opts.signal } : {}),
          onEvent: say,
        });
        // a stage that failed cancels the array (--kill-on-invalid-dep): say which, and where its output is
        for (const s of job.stageJobs ?? [])
          if (
            !stageDone(
              await stageState(
                dir,
                stages.find((st) => st.name === s.name)!,
              ),
            )
          )
            say(
              `stage ${s.name} (job ${s.jobId}) did not complete, so the runs after it were cancelled; its output: ${join(dir, 'slurm', `stage-${s.name}-${s.jobId}.out`)}`,
            );
      }
    } else say('every run is already complete');
  }
  result.states = await sweepStates(dir, plan);
  result.stageStates = await stageStates(dir, plan);
  return result;
}

const stateOf = (name: string, s: StageState) => ({
  name,
  state: stateLabel(s),
  ...(s.kind === 'completed' ? { summary: s.summary } : {}),
});

/** Every run's state in the sweep directory. */
export async function sweepStates(dir: string, plan?: SweepPlan): Promise<SweepResult['states']> {
  const p = plan ?? (await readPlan(dir));
  const out: SweepResult['states'] = [];
  for (const r of p.runs) out.push(stateOf(r.name, await runState(runDir(dir, r.name))));
  return out;
}

/** Every stage's state in the sweep directory. */
export async function stageStates(dir: string, plan?: SweepPlan): Promise<SweepResult['stageStates']> {
  const p = plan ?? (await readPlan(dir));
  const out: SweepResult['stageStates'] = [];
  for (const s of p.stages ?? []) out.push(stateOf(s.name, await stageState(dir, s)));
  return out;
}

/** Carry the run in `out` (config file `config`) forward in this process: skip, resume or (re)start it. */
async function carryForward(
  out: string,
  config: string,
  signal: AbortSignal | undefined,
): Promise<RunSummary | undefined> {
  const state = await runState(out);
  if (state.kind === 'completed') return state.summary;
  if (state.kind === 'resume') {
    const cfg = await loadConfigFile(join(out, 'config.yaml'), ExperimentConfig);
    return train(cfg, { out, resume: true, samples: sampleScoring, ...(signal ? { signal } : {}) });
  }
  // data-parallel ranks each carry the run forward; rank 0 alone clears it (train() lets rank 0 decide the rest)
  if (state.kind === 'restart' && launched().rank === 0) await fs.rm(out, { recursive: true, force: true });
  const cfg = await loadConfigFile(config, ExperimentConfig);
  return train(cfg, { out, samples: sampleScoring, ...(signal ? { signal } : {}) });
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
  return carryForward(runDir(dir, run.name), runConfig(dir, run.name), opts.signal);
}

/**
 * Carry stage `name` of the sweep in `dir` forward in this process: skip, resume or (re)start it; a caption stage
 * re-captions (and returns no run summary).
 */
export async function runSweepStage(
  dir: string,
  name: string,
  opts: { signal?: AbortSignal; log?: (line: string) => void } = {},
): Promise<RunSummary | undefined> {
  const plan = await readPlan(dir);
  const stages = plan.stages ?? [];
  const stage = stages.find((s) => s.name === name);
  if (!stage)
    throw new Error(`${dir}: no stage '${name}' (stages: ${stages.map((s) => s.name).join(', ') || 'none'})`);
  if (stage.kind === 'caption') {
    await captionStage(dir, stage, opts.log ? { log: opts.log } : {});
    return undefined;
  }
  return carryForward(stageDir(dir, name), stageConfig(dir, name), opts.signal);
}
