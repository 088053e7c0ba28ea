/**
 * The local launcher: a pool of worker slots sized to the machine, each run its own `vtx train` process.
 *
 * Resumable: before a run starts its state is read from its run directory — completed runs (summary.json status
 * 'completed') are skipped, runs with a checkpoint continue with `vtx train --resume`, runs killed before their first
 * checkpoint start over. Re-running the same sweep after a crash or Ctrl-C therefore finishes it.
 * Ctrl-C / SIGTERM forwards SIGTERM to the running children (each writes a final checkpoint) and waits for them.
 * Stages run first, one at a time and in order, with the same skip/resume rules; the runs start only once every stage
 * has completed (a caption stage runs as `vtx sweep task <dir> --stage <name>`, which re-captions in that process).
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { openSync, closeSync } from 'node:fs';
import { availableParallelism } from 'node:os';
import type { LocalLauncher } from './schema.js';
import { runLog, stageArgs, stageLog, trainArgs, type SweepPlan } from './plan.js';
import { vtxCommand } from './vtx-process.js';

export interface RunOutcome {
  name: string;
  /** 'skipped': already complete; 'ok': the process exited 0; 'failed': it did not; 'stopped': interrupted. */
  result: 'skipped' | 'ok' | 'failed' | 'stopped';
  /** What was done: started, resumed or restarted. */
  action?: 'start' | 'resume';
  exitCode?: number | null;
  log?: string;
}

export interface LocalOptions {
  /** Stop launching and SIGTERM running children when aborted. */
  signal?: AbortSignal;
  /** Progress lines ("start size-S_patch-4 (1/4)"). */
  onEvent?: (line: string) => void;
  /** Extra environment for the children. */
  env?: NodeJS.ProcessEnv;
  /** Called with each child once spawned (tests use it to kill one). */
  onSpawn?: (name: string, child: ChildProcess) => void;
}

/** Worker slots for this machine: `workers`, or available cores / threadsPerRun (at least 1). */
export function poolSize(l: LocalLauncher, cores = availableParallelism()): number {
  return l.workers === 'auto' ? Math.max(1, Math.floor(cores / l.threadsPerRun)) : l.workers;
}

/** Start `vtx <args>` with its output appended to `log`; resolves with its exit code (null: killed by a signal). */
function runVtx(
  args: string[],
  log: string,
  name: string,
  children: Set<ChildProcess>,
  opts: LocalOptions,
): Promise<number | null> {
  const { node, args: pre } = vtxCommand();
  const fd = openSync(log, 'a');
  const child = spawn(node, [...pre, ...args], {
    stdio: ['ignore', fd, fd],
    env: { ...process.env, ...opts.env },
  });
  closeSync(fd);
  children.add(child);
  opts.onSpawn?.(name, child);
  return new Promise<number | null>((done) => {
    child.on('exit', (c, sig) => done(c ?? (sig ? null : 1)));
    child.on('error', () => done(1));
  }).finally(() => children.delete(child));
}

/**
 * Carry every stage of the plan forward, one at a time and in order: completed stages are skipped, interrupted ones
 * resumed. Stops at the first stage that does not complete (the later stages and the runs depend on it).
 */
export async function runStagesLocal(
  sweepDir: string,
  plan: SweepPlan,
  opts: LocalOptions = {},
): Promise<RunOutcome[]> {
  const stages = plan.stages ?? [];
  const say = opts.onEvent ?? (() => {});
  const children = new Set<ChildProcess>();
  const stopAll = () => children.forEach((c) => c.kill('SIGTERM'));
  opts.signal?.addEventListener('abort', stopAll, { once: true });
  const outcomes: RunOutcome[] = [];
  try {
    for (const [i, st] of stages.entries()) {
      if (opts.signal?.aborted) break;
      const vtxArgs = await stageArgs(sweepDir, st);
      if (!vtxArgs) {
        outcomes.push({ name: st.name, result: 'skipped' });
        say(`skip stage ${st.name} (completed)`);
        continue;
      }
      const action = vtxArgs[1] === '--resume' ? 'resume' : 'start';
      const log = stageLog(sweepDir, st.name);
      say(`${action} stage ${st.name} (${i + 1}/${stages.length}), log ${log}`);
      const code = await runVtx(vtxArgs, log, st.name, children, opts);
      const result = opts.signal?.aborted ? 'stopped' : code === 0 ? 'ok' : 'failed';
      outcomes.push({ name: st.name, result, action, exitCode: code, log });
      say(
        `${result === 'ok' ? 'done' : result} stage ${st.name}${code ? ` (exit ${code}; see ${log})` : ''}`,
      );
      if (result !== 'ok') break;
    }
  } finally {
    opts.signal?.removeEventListener('abort', stopAll);
  }
  return outcomes;
}

/** Run every unfinished run of the plan with at most `poolSize` at once. */
export async function runLocal(
  sweepDir: string,
  plan: SweepPlan,
  opts: LocalOptions = {},
): Promise<RunOutcome[]> {
  const launcher: LocalLauncher =
    plan.sweep.launcher.kind === 'local'
      ? plan.sweep.launcher
      : { kind: 'local', workers: 'auto', threadsPerRun: 1 };
  const slots = poolSize(launcher);
  const say = opts.onEvent ?? (() => {});
  const outcomes: RunOutcome[] = new Array<RunOutcome>(plan.runs.length);
  const children = new Set<ChildProcess>();
  const stopAll = () => children.forEach((c) => c.kill('SIGTERM'));
  opts.signal?.addEventListener('abort', stopAll, { once: true });
  let next = 0;
  say(`${plan.runs.length} runs, ${slots} at a time`);

  const worker = async () => {
    while (next < plan.runs.length && !opts.signal?.aborted) {
      const run = plan.runs[next++]!;
      const vtxArgs = await trainArgs(sweepDir, run.name);
      if (!vtxArgs) {
        outcomes[run.index] = { name: run.name, result: 'skipped' };
        say(`skip ${run.name} (completed)`);
        continue;
      }
      const action = vtxArgs[1] === '--resume' ? 'resume' : 'start';
      const log = runLog(sweepDir, run.name);
      say(`${action} ${run.name} (${run.index + 1}/${plan.runs.length}), log ${log}`);
      const code = await runVtx(vtxArgs, log, run.name, children, opts);
      const result = opts.signal?.aborted ? 'stopped' : code === 0 ? 'ok' : 'failed';
      outcomes[run.index] = { name: run.name, result, action, exitCode: code, log };
      say(`${result === 'ok' ? 'done' : result} ${run.name}${code ? ` (exit ${code}; see ${log})` : ''}`);
    }
  };
  await Promise.all(Array.from({ length: Math.min(slots, plan.runs.length) }, worker));
  opts.signal?.removeEventListener('abort', stopAll);
  return plan.runs.map((r) => outcomes[r.index] ?? { name: r.name, result: 'stopped' });
}
