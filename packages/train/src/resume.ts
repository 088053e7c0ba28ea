/**
 * Resuming a run (`vtx train --resume RUN`, `train(cfg, { resume: true })`): where it continues from, what may change,
 * and when there is nothing to do.
 *   - It continues from the newest checkpoint that loads and verifies; a damaged newer one is reported and set aside
 *     (`checkpoint/recover.ts`).
 *   - `--set` may change only what comes next: the length (`train.steps`, never below the steps done) and the
 *     cadences of logging, evaluation, checkpoints and samples (RESUME_KEYS). Anything else would rewrite the steps
 *     already trained, so it is refused. A longer run recomputes the learning-rate schedule for the new length, and
 *     the log says where the rate continues from.
 *   - A completed run resumed with nothing to add changes nothing.
 */
import * as tf from '@tensorflow/tfjs-core';
import { existsSync, promises as fs } from 'node:fs';
import { join } from 'node:path';
import type { Logger } from 'pino';
import { cleanStaleTemps, newestGoodCheckpoint, setAsideDamaged, type ResumePoint } from '@vtx/checkpoint';
import { ConfigError, loadConfigFile, parseOverride, SET_SOURCE, UsageError } from '@vtx/config';
import { ExperimentConfig } from './experiment.js';
import { makeSchedule } from './optim/index.js';
import type { RunSummary } from './summary.js';
import type { Trainer } from './trainer.js';

/** The keys `--set` may change on a resumed run: its length and cadences. */
export const RESUME_KEYS = [
  'train.steps',
  'train.logEvery',
  'train.evalEvery',
  'train.checkpointEvery',
  'sample.every',
] as const;

/** Refuse `--set` overrides of a resumed run outside RESUME_KEYS (a ConfigError naming each, exit 2). */
export function checkResumeOverrides(sets: readonly string[]): void {
  const allowed: readonly string[] = RESUME_KEYS;
  const issues = sets
    .map((s) => parseOverride(s).path.join('.'))
    .filter((key) => !allowed.includes(key))
    .map((key) => ({
      file: SET_SOURCE,
      path: key,
      message:
        `cannot change a run being resumed (it would rewrite the steps already trained); a resumed run accepts ` +
        `--set ${RESUME_KEYS.join(', ')}; to change anything else start a new run from its config.yaml`,
    }));
  if (issues.length) throw new ConfigError(issues);
}

export interface ResumeStart extends ResumePoint {
  /** The run's config as its directory holds it (before this resume's changes). */
  previous: ExperimentConfig | undefined;
  /** Set when the run is complete and this resume adds no steps: its summary, unchanged. */
  complete: RunSummary | undefined;
}

/** What a resume of `runDir` starts from (nothing is changed on disk). */
export async function resumeStart(cfg: ExperimentConfig, runDir: string): Promise<ResumeStart> {
  const point = await newestGoodCheckpoint(join(runDir, 'checkpoints'));
  const configFile = join(runDir, 'config.yaml');
  const previous = existsSync(configFile) ? await loadConfigFile(configFile, ExperimentConfig) : undefined;
  const done = point.checkpoint?.step;
  if (done !== undefined && cfg.train.steps < done)
    throw new ConfigError([
      {
        file: SET_SOURCE,
        path: 'train.steps',
        message: `is ${cfg.train.steps} but ${runDir} has done ${done} updates: a run cannot be shortened`,
      },
    ]);
  const summary = await readSummary(runDir);
  const complete =
    summary?.status === 'completed' &&
    done === cfg.train.steps &&
    summary.step === done &&
    point.damaged.length === 0
      ? summary
      : undefined;
  return { ...point, previous, complete };
}

/**
 * Where a resume of `runDir` starts; throws when there is nothing to resume from. Changes nothing on disk but the
 * leftovers of an interrupted save.
 */
export async function prepareResume(cfg: ExperimentConfig, runDir: string): Promise<ResumeStart> {
  // Recover an interrupted save first: a re-save killed between its two renames left the old checkpoint aside.
  await cleanStaleTemps(join(runDir, 'checkpoints'));
  const start = await resumeStart(cfg, runDir);
  if (!start.checkpoint && start.damaged.length)
    throw new Error(
      `${runDir}: no checkpoint loads, so there is nothing to resume from:\n` +
        start.damaged.map((d) => `  ${d.error.message}`).join('\n'),
    );
  // A run killed before its first checkpoint has a config.yaml but nothing to resume from: it starts over.
  if (!start.checkpoint && !start.previous)
    throw new Error(`${runDir}: not a run directory (no config.yaml) and no checkpoint to resume from`);
  return start;
}

/** Where a run starts: fresh, or a resume point (rank 0's, with what it set aside), or nothing to do. */
export interface Start {
  resume?: ResumeStart;
  complete?: RunSummary;
  /** The checkpoint to continue from. */
  checkpoint?: string;
}

/** What ranks > 0 are told of rank 0's start. */
export const shareStart = ({ complete, checkpoint }: Start): Start => ({
  ...(complete ? { complete } : {}),
  ...(checkpoint ? { checkpoint } : {}),
});

/** Where a run in `runDir` starts (rank 0 reads the run directory; ./ranks.ts `agree` tells the others). */
export async function startOf(
  cfg: ExperimentConfig,
  runDir: string,
  resume: boolean | undefined,
): Promise<Start> {
  if (!resume) {
    if (existsSync(join(runDir, 'config.yaml')))
      throw new UsageError(
        `${runDir} already holds a run: resume it with --resume ${runDir}, or choose another --out`,
      );
    return {};
  }
  const point = await prepareResume(cfg, runDir);
  if (point.complete) return { resume: point, complete: point.complete };
  return { resume: point, ...(point.checkpoint ? { checkpoint: point.checkpoint.path } : {}) };
}

/** Continue from the resume point, after setting aside (and naming) any damaged newer checkpoint. */
export async function continueRun(
  trainer: Trainer,
  { checkpoint, damaged }: ResumeStart,
  runDir: string,
  logger: Logger,
  onCheckpoint?: (path: string, step: number) => void,
): Promise<void> {
  for (const d of damaged) {
    const aside = await setAsideDamaged(d.path);
    logger.warn(
      { damaged: d.path, movedTo: aside, resumeFrom: checkpoint?.path },
      `checkpoint ${d.path} is damaged (${d.error.message}); moved it to ${aside} and resuming from ${checkpoint?.path}`,
    );
  }
  if (!checkpoint) {
    logger.warn(
      { runDir },
      'no complete checkpoint yet (stopped before the first one): starting from step 0',
    );
    return;
  }
  const { state } = await trainer.restore(checkpoint);
  logger.info({ checkpoint: checkpoint.path, step: trainer.step }, 'resumed');
  const wroteOn = (state as { backend?: string }).backend;
  const resumesOn = tf.getBackend();
  if (wroteOn && wroteOn !== resumesOn)
    logger.info(
      { wroteOn, resumesOn },
      `the checkpoint was written on backend ${wroteOn}; resuming on ${resumesOn} (same weights and state, float rounding may differ)`,
    );
  onCheckpoint?.(checkpoint.path, checkpoint.step);
}

async function readSummary(runDir: string): Promise<RunSummary | undefined> {
  const text = await fs.readFile(join(runDir, 'summary.json'), 'utf8').catch(() => undefined);
  if (text === undefined) return undefined;
  try {
    return JSON.parse(text) as RunSummary;
  } catch {
    return undefined; // a summary cut short: the run is not known to be complete
  }
}

const at = (cfg: ExperimentConfig, key: (typeof RESUME_KEYS)[number]): unknown => {
  const [section, name] = key.split('.') as ['train' | 'sample', string];
  return (cfg[section] as Record<string, unknown>)[name];
};

/**
 * The log lines of a resume that changes RESUME_KEYS (`key: old -> new`), and, when the length changes, how the
 * learning-rate schedule continues after `step` updates.
 */
export function resumeChanges(previous: ExperimentConfig, cfg: ExperimentConfig, step: number): string[] {
  const lines = RESUME_KEYS.filter((k) => at(previous, k) !== at(cfg, k)).map(
    (k) => `${k}: ${String(at(previous, k))} -> ${String(at(cfg, k))}`,
  );
  const [was, now] = [previous.train.steps, cfg.train.steps];
  if (was !== now && step < now) lines.push(scheduleNote(cfg, was, step));
  return lines;
}

function scheduleNote(cfg: ExperimentConfig, was: number, step: number): string {
  const { schedule, optim } = cfg;
  const now = cfg.train.steps;
  const fmt = (v: number) => v.toPrecision(3);
  if (schedule.decay === 'constant' && step >= schedule.warmupSteps)
    return `the learning rate stays at ${fmt(optim.lr)} (constant schedule) to step ${now}`;
  const before = makeSchedule(schedule, optim.lr, was);
  const after = makeSchedule(schedule, optim.lr, now);
  return (
    `the learning-rate schedule (${schedule.decay} decay, ${schedule.warmupSteps} warmup steps) is recomputed for ` +
    `${now} steps instead of ${was}: update ${step + 1} takes lr ${fmt(after(step))} (the ${was}-step schedule ` +
    (step < was ? `would have given ${fmt(before(step))}` : `ended at ${fmt(before(was - 1))}`) +
    `), then decays to ${fmt(after(now - 1))} at step ${now}`
  );
}
