/**
 * The sweep directory, written before any run starts, and each run's state read back from it.
 *
 *   <sweep>/sweep.json              the plan: sweep config, axes, and every run (index, name, axes, overrides)
 *   <sweep>/configs/<run>.yaml      each run's fully resolved experiment config
 *   <sweep>/runs/<run>/             each run's directory (as `vtx train --out`): metrics.jsonl, checkpoints, summary.json
 *   <sweep>/logs/<run>.log          each run's stdout/stderr (local launcher)
 *   <sweep>/stages/<stage>/         each stage's run directory (what `${stage.<name>}` names), as a run's
 *   <sweep>/configs/stages/<stage>.yaml, <sweep>/logs/stages/<stage>.log   its config and output
 *                                   (a caption stage's directory is its re-captioned dataset; it has no config)
 *   <sweep>/slurm/                  the sbatch scripts, job ids and task output (slurm launcher)
 */
import { existsSync, promises as fs } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { experimentPathsRelativeTo, type ExperimentConfig, type RunSummary } from '@vtx/train';
import { latestCheckpoint } from '@vtx/checkpoint';
import { writeResolvedConfig } from '@vtx/config';
import type { ExpandedSweep, SweepCaptionStage } from './expand.js';
import { assertSafeName, insideDir } from './naming.js';
import type { Assignment, SweepConfig } from './schema.js';
import { writeFileAtomic } from '@vtx/runs';

export interface PlannedRun {
  index: number;
  name: string;
  axes: Assignment;
  overrides: Assignment;
}

export interface PlannedTrainStage {
  /** Absent in plans written before caption stages existed. */
  kind?: 'train';
  name: string;
  /** Its base config (absolute) and overrides. */
  base: string;
  overrides: Assignment;
}

/** A caption stage as the plan keeps it: the expanded stage without its directory (the plan's stages/<name>). */
export type PlannedCaptionStage = Omit<SweepCaptionStage, 'dir'>;

export type PlannedStage = PlannedTrainStage | PlannedCaptionStage;

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

/** What a launcher should do with a run. */
export type RunState =
  | { kind: 'completed'; summary: RunSummary }
  | { kind: 'resume'; checkpoint: string }
  | { kind: 'restart' } // started, but killed before its first checkpoint: start over
  | { kind: 'start' };

/** A stage's state: a run's, or a caption stage's dataset written (`captioned`) or not (`start`). */
export type StageState = RunState | { kind: 'captioned' };

/** How reports and `vtx sweep` name a run's state. */
export type RunStateLabel = 'completed' | 'partial' | 'interrupted' | 'pending';

const STATE_LABELS: Record<StageState['kind'], RunStateLabel> = {
  completed: 'completed',
  captioned: 'completed',
  resume: 'partial', // has a checkpoint to resume from
  restart: 'interrupted', // killed before its first checkpoint
  start: 'pending',
};

export const stateLabel = (s: StageState): RunStateLabel => STATE_LABELS[s.kind];

export const runDir = (sweepDir: string, name: string) => insideDir(sweepDir, 'runs', name);
/** A config with its paths relative to the file it is written to (the config path rule: @vtx/config, @vtx/train). */
const pathsBeside = (cfg: ExperimentConfig, file: string) => experimentPathsRelativeTo(cfg, dirname(file));

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
          stages: ex.stages.map((st): PlannedStage =>
            st.kind === 'caption'
              ? {
                  kind: 'caption',
                  name: st.name,
                  captioner: st.captioner,
                  dataset: st.dataset,
                  cacheDir: st.cacheDir,
                  batchSize: st.batchSize,
                }
              : { kind: 'train', name: st.name, base: st.base, overrides: st.overrides },
          ),
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
    if (st.kind === 'caption') continue;
    await writeResolvedConfig(
      stageConfig(sweepDir, st.name),
      pathsBeside(st.config, stageConfig(sweepDir, st.name)),
    );
  }
  for (const r of ex.runs) {
    assertSafeName(r.name);
    await writeResolvedConfig(
      runConfig(sweepDir, r.name),
      pathsBeside(r.config, runConfig(sweepDir, r.name)),
    );
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

/** A stage's state. */
export async function stageState(sweepDir: string, stage: PlannedStage): Promise<StageState> {
  const dir = stageDir(sweepDir, stage.name);
  if (stage.kind !== 'caption') return runState(dir);
  return existsSync(join(dir, 'index.json')) ? { kind: 'captioned' } : { kind: 'start' };
}

/** Whether a stage has completed (a run's summary says so, or a caption stage's dataset is in place). */
export const stageDone = (s: StageState) => s.kind === 'completed' || s.kind === 'captioned';

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
 * The `vtx` arguments that carry a stage forward (undefined when it is complete): `vtx train` for a training stage,
 * `vtx sweep task <dir> --stage <name>` (which re-captions in that process) for a caption stage.
 */
export async function stageArgs(sweepDir: string, stage: PlannedStage): Promise<string[] | undefined> {
  if (stage.kind === 'caption')
    return stageDone(await stageState(sweepDir, stage))
      ? undefined
      : ['sweep', 'task', resolve(sweepDir), '--stage', stage.name];
  return trainArgsFor(stageDir(sweepDir, stage.name), stageConfig(sweepDir, stage.name));
}
