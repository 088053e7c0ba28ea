/**
 * The sweep directory, written before any run starts, and each run's state read back from it.
 *
 *   <sweep>/sweep.json              the plan: sweep config, axes, and every run (index, name, axes, overrides)
 *   <sweep>/configs/<run>.yaml      each run's fully resolved experiment config
 *   <sweep>/runs/<run>/             each run's directory (as `vtx train --out`): metrics.jsonl, checkpoints, summary.json
 *   <sweep>/logs/<run>.log          each run's stdout/stderr (local launcher)
 *   <sweep>/stages/<stage>/         each stage's run directory (what `${stage.<name>}` names; a `judge` stage's is
 *                                   a `vtx judge train` run: config.yaml, metrics.jsonl, checkpoints, summary.json)
 *   <sweep>/configs/stages/<stage>.yaml, <sweep>/logs/stages/<stage>.log   its config and output
 *   <sweep>/slurm/                  the sbatch scripts, job ids and task output (slurm launcher)
 */
import { existsSync, promises as fs } from 'node:fs';
import { join, resolve } from 'node:path';
import { latestCheckpoint, writeResolvedConfig, type RunSummary } from '@vtx/train';
import type { ExpandedSweep } from './expand.js';
import { assertSafeName, insideDir } from './naming.js';
import type { Assignment, SweepConfig } from './schema.js';
import { writeFileAtomic } from '@vtx/runs';

export interface PlannedRun {
  index: number;
  name: string;
  axes: Assignment;
  overrides: Assignment;
}

export interface PlannedStage {
  name: string;
  /** Its base config (absolute) and overrides. */
  base: string;
  overrides: Assignment;
  /** `judge`: a `vtx judge train` run; absent: `vtx train` (plans written before judge stages have none). */
  command?: 'judge';
}

/** What `vtx judge train` writes to summary.json once it has finished (after its one checkpoint). */
export interface JudgeSummary {
  name: string;
  runDir: string;
  step: number;
  /** Validation accuracy per attribute (`val/acc/<attribute>`) and their mean (`val/acc`). */
  metrics: Record<string, number>;
  seconds: number;
  checkpoint: string;
  /** None: a judge has no stopped state (what tells its summary from `vtx train`'s). */
  status?: undefined;
}

/** The summary of a completed run or stage: `vtx train`'s, or a judge stage's. */
export type AnySummary = RunSummary | JudgeSummary;

/** A summary written by `vtx judge train` (it has no `status`). */
export const isJudgeSummary = (s: AnySummary): s is JudgeSummary => s.status === undefined;

export interface SweepPlan {
  version: 1;
  name: string;
  /** The sweep file and base config it was expanded from (absolute). */
  file: string;
  base: string;
  axes: string[];
  sweep: SweepConfig;
  /** Runs that complete before `runs` start, in order (absent in plans written before stages existed). */
  stages?: PlannedStage[];
  runs: PlannedRun[];
}

/** What a launcher should do with a run (a judge stage's summary is a `JudgeSummary`). */
export type RunState<S extends AnySummary = RunSummary> =
  | { kind: 'completed'; summary: S }
  | { kind: 'resume'; checkpoint: string }
  | { kind: 'restart' } // started, but killed before its first checkpoint: start over
  | { kind: 'start' };

/** How reports and `vtx sweep` name a run's state. */
export type RunStateLabel = 'completed' | 'partial' | 'interrupted' | 'pending';

const STATE_LABELS: Record<RunState['kind'], RunStateLabel> = {
  completed: 'completed',
  resume: 'partial', // has a checkpoint to resume from
  restart: 'interrupted', // killed before its first checkpoint
  start: 'pending',
};

export const stateLabel = (s: RunState<AnySummary>): RunStateLabel => STATE_LABELS[s.kind];

export const runDir = (sweepDir: string, name: string) => insideDir(sweepDir, 'runs', name);
export const runConfig = (sweepDir: string, name: string) => insideDir(sweepDir, 'configs', `${name}.yaml`);
export const runLog = (sweepDir: string, name: string) => insideDir(sweepDir, 'logs', `${name}.log`);
export const stageDir = (sweepDir: string, name: string) => insideDir(sweepDir, 'stages', name);
export const stageConfig = (sweepDir: string, name: string) =>
  insideDir(sweepDir, 'configs', 'stages', `${name}.yaml`);
export const stageLog = (sweepDir: string, name: string) =>
  insideDir(sweepDir, 'logs', 'stages', `${name}.log`);

/**
 * Write the plan and every run's resolved config into `sweepDir`. A run that has already started keeps the config
 * it started with (its run directory holds its own config.yaml, which resume uses).
 */
export async function writePlan(sweepDir: string, file: string, ex: ExpandedSweep): Promise<SweepPlan> {
  const plan: SweepPlan = {
    version: 1,
    name: ex.sweep.name,
    file: resolve(file),
    base: ex.base,
    axes: ex.axes,
    sweep: ex.sweep,
    ...(ex.stages.length
      ? {
          stages: ex.stages.map(({ name, base, overrides, command }) => ({
            name,
            base,
            overrides,
            ...(command === 'judge' ? { command } : {}),
          })),
        }
      : {}),
    runs: ex.runs.map(({ index, name, axes, overrides }) => ({ index, name, axes, overrides })),
  };
  await fs.mkdir(join(sweepDir, 'configs'), { recursive: true });
  await fs.mkdir(join(sweepDir, 'runs'), { recursive: true });
  await fs.mkdir(join(sweepDir, 'logs'), { recursive: true });
  if (ex.stages.length) {
    await fs.mkdir(join(sweepDir, 'configs', 'stages'), { recursive: true });
    await fs.mkdir(join(sweepDir, 'logs', 'stages'), { recursive: true });
    await fs.mkdir(join(sweepDir, 'stages'), { recursive: true });
  }
  for (const st of ex.stages) {
    assertSafeName(st.name);
    if (resolve(stageDir(sweepDir, st.name)) !== st.dir)
      throw new Error(
        `stage ${st.name}: expanded for ${st.dir}, but the sweep directory is ${resolve(sweepDir)} (expand with { dir })`,
      );
    await writeResolvedConfig(stageConfig(sweepDir, st.name), st.config);
  }
  for (const r of ex.runs) {
    assertSafeName(r.name);
    await writeResolvedConfig(runConfig(sweepDir, r.name), r.config);
  }
  await writeFileAtomic(join(sweepDir, 'sweep.json'), `${JSON.stringify(plan, null, 2)}\n`);
  return plan;
}

/** Read `<sweepDir>/sweep.json`. */
export async function readPlan(sweepDir: string): Promise<SweepPlan> {
  const path = join(sweepDir, 'sweep.json');
  const text = await fs.readFile(path, 'utf8').catch(() => {
    throw new Error(`${sweepDir} is not a sweep directory (no sweep.json)`);
  });
  const plan = JSON.parse(text) as SweepPlan;
  if (plan.version !== 1) throw new Error(`${path}: unknown sweep plan version ${String(plan.version)}`);
  for (const r of [...plan.runs, ...(plan.stages ?? [])]) assertSafeName(r.name);
  return plan;
}

/** A run's summary.json, if it has one. */
export async function readSummary(dir: string): Promise<RunSummary | undefined> {
  const text = await fs.readFile(join(dir, 'summary.json'), 'utf8').catch(() => undefined);
  return text === undefined ? undefined : (JSON.parse(text) as RunSummary);
}

/** Completed (skip), resumable (has a checkpoint), restart (started, no checkpoint) or not started. */
export async function runState(dir: string): Promise<RunState> {
  const summary = await readSummary(dir);
  if (summary?.status === 'completed' && summary.step >= summary.steps) return { kind: 'completed', summary };
  const checkpoint = await latestCheckpoint(join(dir, 'checkpoints'));
  if (checkpoint) return { kind: 'resume', checkpoint };
  return existsSync(dir) && (await fs.readdir(dir)).length > 0 ? { kind: 'restart' } : { kind: 'start' };
}

/**
 * A judge stage's state: `vtx judge train` checkpoints once, at its end, then writes summary.json, so the stage is
 * complete when summary.json names a checkpoint that is there; anything else it left starts over.
 */
export async function judgeState(dir: string): Promise<RunState<JudgeSummary>> {
  const text = await fs.readFile(join(dir, 'summary.json'), 'utf8').catch(() => undefined);
  const summary = text === undefined ? undefined : (JSON.parse(text) as Partial<JudgeSummary>);
  if (
    typeof summary?.step === 'number' &&
    typeof summary.checkpoint === 'string' &&
    (await latestCheckpoint(join(dir, 'checkpoints')))
  )
    return { kind: 'completed', summary: summary as JudgeSummary };
  return existsSync(dir) && (await fs.readdir(dir)).length > 0 ? { kind: 'restart' } : { kind: 'start' };
}

/** A stage's state, by what it runs. */
export function stageState(sweepDir: string, stage: PlannedStage): Promise<RunState<AnySummary>> {
  const dir = stageDir(sweepDir, stage.name);
  return stage.command === 'judge' ? judgeState(dir) : runState(dir);
}

/** The `vtx train` arguments that carry the run in `dir` (config `config`) forward (undefined when complete). */
export async function trainArgsFor(dir: string, config: string): Promise<string[] | undefined> {
  const state = await runState(dir);
  switch (state.kind) {
    case 'completed':
      return undefined;
    case 'resume':
      return ['train', '--resume', dir];
    case 'restart':
      await fs.rm(dir, { recursive: true, force: true });
      return ['train', '--config', config, '--out', dir];
    case 'start':
      return ['train', '--config', config, '--out', dir];
  }
}

/** The `vtx train` arguments that carry a run forward from its state (undefined when it is complete). */
export async function trainArgs(sweepDir: string, name: string): Promise<string[] | undefined> {
  return trainArgsFor(runDir(sweepDir, name), runConfig(sweepDir, name));
}

/**
 * The same for a stage: `vtx train` arguments, or for a judge stage `vtx judge train --config … --out …` (a judge
 * has no resume: an unfinished one starts over).
 */
export async function stageTrainArgs(sweepDir: string, stage: PlannedStage): Promise<string[] | undefined> {
  const dir = stageDir(sweepDir, stage.name);
  const config = stageConfig(sweepDir, stage.name);
  if (stage.command !== 'judge') return trainArgsFor(dir, config);
  const state = await judgeState(dir);
  if (state.kind === 'completed') return undefined;
  if (state.kind === 'restart') await fs.rm(dir, { recursive: true, force: true });
  return ['judge', 'train', '--config', config, '--out', dir];
}
