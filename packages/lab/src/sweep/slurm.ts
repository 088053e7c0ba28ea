/**
 * The Slurm launcher: one job array, one task per unfinished run. The sbatch script is written into the sweep
 * directory (so it can be read, edited and resubmitted by hand) and submitted with `sbatch --parsable`; each task
 * runs `vtx sweep task <sweep> $SLURM_ARRAY_TASK_ID`, which skips, resumes or starts its run exactly as the local
 * launcher would. Jobs are followed with `squeue` (and `scontrol show job` for the final state: sites without
 * accounting have no `sacct`); results are read back from the run directories on the shared filesystem.
 *
 *   <sweep>/slurm/sweep.sbatch        the script
 *   <sweep>/slurm/jobs.jsonl          one line per submission: job id, task indices, time
 *   <sweep>/slurm/task-<job>_<i>.out  each task's stdout/stderr
 *
 * Data-parallel runs (`launcher.ntasks` > 1): each array task is a job of that many tasks, and the script starts
 * `vtx sweep task` on every one with `srun --mpi=<launcher.mpi> --kill-on-bad-exit=1` (a rank that fails ends the
 * others instead of leaving them waiting in an all-reduce); the ranks train the run together (rank 0 writes it).
 *
 * Stages: each unfinished stage is one job (`<sweep>/slurm/stage-<name>.sbatch`, running `vtx sweep task <sweep>
 * --stage <name>`, which trains it), depending on the stage job before it; the array depends on them all (`--dependency=afterok:…`
 * with `--kill-on-invalid-dep=yes`, so a failed stage cancels the runs instead of leaving them pending forever).
 */
import { execFile } from 'node:child_process';
import { promises as fs } from 'node:fs';
import { join, resolve } from 'node:path';
import { promisify } from 'node:util';
import { runDir, runState, stageDone, stageState, type SweepPlan } from './plan.js';
import type { SlurmLauncher } from './schema.js';
import { shellQuote, vtxCommand } from './vtx-process.js';
import { writeFileAtomic } from '@vtx/runs';

const exec = promisify(execFile);

export interface SlurmSubmission {
  jobId: string;
  /** Plan indices of the submitted runs (array task ids). */
  tasks: number[];
  script: string;
  /** The stage jobs the array depends on, in order (only stages that were not complete). */
  stageJobs?: { name: string; jobId: string; script: string }[];
}

/** The resource lines every script shares, and `--dependency` when `after` names jobs. */
function resourceLines(launcher: SlurmLauncher, cwd: string, after: readonly string[], ntasks = 1): string[] {
  return [
    `#SBATCH --chdir=${cwd}`,
    `#SBATCH --cpus-per-task=${launcher.cpusPerTask}`,
    `#SBATCH --ntasks=${ntasks}`,
    ...(after.length
      ? [`#SBATCH --dependency=afterok:${after.join(':')}`, '#SBATCH --kill-on-invalid-dep=yes']
      : []),
    ...(launcher.partition ? [`#SBATCH --partition=${launcher.partition}`] : []),
    ...(launcher.mem ? [`#SBATCH --mem=${launcher.mem}`] : []),
    ...(launcher.time ? [`#SBATCH --time=${launcher.time}`] : []),
    ...(launcher.gpus ? [`#SBATCH --gpus=${launcher.gpus}`] : []),
    ...launcher.extra.map((e) => `#SBATCH ${e}`),
    '',
    'set -euo pipefail',
    ...launcher.setup,
  ];
}

/** `#SBATCH` lines and body of the array script for the given task indices, after the jobs in `after`. */
export function sbatchScript(
  sweepDir: string,
  plan: SweepPlan,
  launcher: SlurmLauncher,
  tasks: readonly number[],
  cwd = process.cwd(),
  after: readonly string[] = [],
): string {
  const dir = resolve(sweepDir);
  const { node, args } = vtxCommand();
  const array = `${compressRanges(tasks)}${launcher.maxParallel ? `%${launcher.maxParallel}` : ''}`;
  const lines = [
    '#!/bin/bash',
    `# vtx sweep '${plan.name}': ${tasks.length} of ${plan.runs.length} runs, one array task per run (task id = run index).`,
    `# Written by vtx; resubmit with: sbatch ${join(dir, 'slurm', 'sweep.sbatch')}`,
    `#SBATCH --job-name=vtx-${plan.name}`,
    `#SBATCH --array=${array}`,
    `#SBATCH --output=${join(dir, 'slurm', 'task-%A_%a.out')}`,
    ...resourceLines(launcher, cwd, after, launcher.ntasks),
    `exec ${[...ranks(launcher), node, ...args, 'sweep', 'task', dir].map(shellQuote).join(' ')} "$SLURM_ARRAY_TASK_ID"`,
    '',
  ];
  return lines.join('\n');
}

/** The launcher of a run's ranks: `srun --mpi=… --kill-on-bad-exit=1` for more than one task, else none. */
function ranks(launcher: SlurmLauncher): string[] {
  return launcher.ntasks > 1 ? ['srun', `--mpi=${launcher.mpi}`, '--kill-on-bad-exit=1'] : [];
}

/** The script of one stage job, after the jobs in `after`. */
export function stageSbatchScript(
  sweepDir: string,
  plan: SweepPlan,
  launcher: SlurmLauncher,
  stage: string,
  cwd = process.cwd(),
  after: readonly string[] = [],
): string {
  const dir = resolve(sweepDir);
  const { node, args } = vtxCommand();
  const lines = [
    '#!/bin/bash',
    `# vtx sweep '${plan.name}': stage '${stage}' (the sweep's runs start after it completes).`,
    `# Written by vtx; resubmit with: sbatch ${join(dir, 'slurm', `stage-${stage}.sbatch`)}`,
    `#SBATCH --job-name=vtx-${plan.name}-${stage}`,
    `#SBATCH --output=${join(dir, 'slurm', `stage-${stage}-%j.out`)}`,
    ...resourceLines(launcher, cwd, after),
    `exec ${[node, ...args, 'sweep', 'task', dir, '--stage', stage].map(shellQuote).join(' ')}`,
    '',
  ];
  return lines.join('\n');
}

/** `0-3,5,7-8` from a sorted list of indices. */
export function compressRanges(xs: readonly number[]): string {
  const out: string[] = [];
  for (let i = 0; i < xs.length;) {
    let j = i;
    while (j + 1 < xs.length && xs[j + 1] === xs[j]! + 1) j++;
    out.push(i === j ? `${xs[i]}` : `${xs[i]}-${xs[j]}`);
    i = j + 1;
  }
  return out.join(',');
}

/** Write `text` as an executable script and submit it; the job id. */
async function sbatch(script: string, text: string): Promise<string> {
  await writeFileAtomic(script, text);
  await fs.chmod(script, 0o755);
  const { stdout } = await exec('sbatch', ['--parsable', script]).catch((e: Error & { stderr?: string }) => {
    throw new Error(`sbatch ${script} failed: ${e.stderr?.trim() || e.message}`);
  });
  const jobId = stdout.trim().split(';')[0]!;
  if (!/^\d+$/.test(jobId)) throw new Error(`sbatch printed '${stdout.trim()}', not a job id`);
  return jobId;
}

/**
 * Write the script for every unfinished run and submit it — after a job per unfinished stage, which the array
 * depends on; undefined when every run is already complete.
 */
export async function submitSlurm(sweepDir: string, plan: SweepPlan): Promise<SlurmSubmission | undefined> {
  const launcher = plan.sweep.launcher;
  if (launcher.kind !== 'slurm') throw new Error(`sweep '${plan.name}' uses the ${launcher.kind} launcher`);
  const tasks: number[] = [];
  for (const r of plan.runs)
    if ((await runState(runDir(sweepDir, r.name))).kind !== 'completed') tasks.push(r.index);
  if (!tasks.length) return undefined;
  await fs.mkdir(join(sweepDir, 'slurm'), { recursive: true });
  const stageJobs: NonNullable<SlurmSubmission['stageJobs']> = [];
  for (const st of plan.stages ?? []) {
    if (stageDone(await stageState(sweepDir, st))) continue;
    const script = join(resolve(sweepDir), 'slurm', `stage-${st.name}.sbatch`);
    const after = stageJobs.map((j) => j.jobId);
    const jobId = await sbatch(
      script,
      stageSbatchScript(sweepDir, plan, launcher, st.name, process.cwd(), after.slice(-1)),
    );
    stageJobs.push({ name: st.name, jobId, script });
    await fs.appendFile(
      join(sweepDir, 'slurm', 'jobs.jsonl'),
      `${JSON.stringify({ jobId, stage: st.name, after, submitted: new Date().toISOString() })}\n`,
    );
  }
  const script = join(resolve(sweepDir), 'slurm', 'sweep.sbatch');
  const after = stageJobs.map((j) => j.jobId);
  const jobId = await sbatch(script, sbatchScript(sweepDir, plan, launcher, tasks, process.cwd(), after));
  await fs.appendFile(
    join(sweepDir, 'slurm', 'jobs.jsonl'),
    `${JSON.stringify({ jobId, tasks, ...(after.length ? { after } : {}), submitted: new Date().toISOString() })}\n`,
  );
  return { jobId, tasks, script, ...(stageJobs.length ? { stageJobs } : {}) };
}

/** Array tasks of a job still known to squeue: task id -> state (PENDING, RUNNING, …). */
export async function queuedTasks(jobId: string): Promise<Map<string, string>> {
  const out = new Map<string, string>();
  try {
    const { stdout } = await exec('squeue', ['-h', '-r', '-j', jobId, '-o', '%i %T']);
    for (const line of stdout.split('\n')) {
      const [id, state] = line.trim().split(/\s+/);
      if (id && state) out.set(id.split('_')[1] ?? id, state);
    }
  } catch {
    // squeue exits non-zero once the job has left the controller's memory: nothing queued
  }
  return out;
}

/** Poll squeue until no task of the job is pending or running. */
export async function waitForJob(
  jobId: string,
  opts: { pollSeconds?: number; signal?: AbortSignal; onEvent?: (line: string) => void } = {},
): Promise<void> {
  let last = '';
  for (;;) {
    const tasks = await queuedTasks(jobId);
    if (tasks.size === 0) return;
    const counts = new Map<string, number>();
    for (const s of tasks.values()) counts.set(s, (counts.get(s) ?? 0) + 1);
    const line = `job ${jobId}: ${[...counts].map(([s, n]) => `${n} ${s.toLowerCase()}`).join(', ')}`;
    if (line !== last) opts.onEvent?.(line);
    last = line;
    if (opts.signal?.aborted) return;
    await new Promise((r) => setTimeout(r, (opts.pollSeconds ?? 2) * 1000));
  }
}

/** Cancel a job (all its array tasks). */
export async function cancelJob(jobId: string): Promise<void> {
  await exec('scancel', [jobId]).catch(() => undefined);
}
