/**
 * The smoke test of a config (Lightning's `fast_dev_run`): `vtx train --config F --smoke` validates the config, then
 * runs two steps of everything it does in a temporary directory — one step with an evaluation, the config's samples
 * and a checkpoint, a resume from that checkpoint, a second step with the same — and removes the directory. Nothing
 * is written into runs/ (built-in datasets are still built into their cache, as a real run would). A failure names
 * the phase and keeps the directory for a look. `vtx sweep --smoke` and `vtx ablate --smoke` smoke every stage and
 * run of the sweep (`smokeSweep`).
 */
import { existsSync } from 'node:fs';
import { mkdtemp, readdir, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { sampleScoring } from '@vtx/eval';
import { SweepConfig, SweepError, captionStage, expandSweep, withSet } from '@vtx/lab';
import { modelTask } from '@vtx/models';
import { ExperimentConfig, train, withPlugins, type RunSummary, type TrainOptions } from '@vtx/train';
import { ConfigError, UsageError, loadConfigFile } from '@vtx/config';

/** The updates of a smoke test: the first is trained, then the run resumes for the second. */
export const SMOKE_STEPS = 2;

/**
 * `cfg` shortened to `steps` updates that evaluate, sample, log and checkpoint at every update: at most 2 evaluation
 * batches, 2 samples with 2 sampling steps, a judge's scoring on 2 samples.
 */
export function smokeConfig(cfg: ExperimentConfig, steps: number): ExperimentConfig {
  const judge = cfg.eval.judge;
  const sampling = modelTask(cfg.model) === 'diffuse';
  return ExperimentConfig.parse({
    ...cfg,
    train: {
      ...cfg.train,
      steps,
      logEvery: 1,
      evalEvery: 1,
      checkpointEvery: 1,
      keepLast: Math.max(cfg.train.keepLast, SMOKE_STEPS),
    },
    eval: {
      ...cfg.eval,
      batches: Math.min(cfg.eval.batches, 2),
      ...(judge
        ? { judge: { ...judge, samples: 2, every: 1, ...(sampling ? { steps: String(SMOKE_STEPS) } : {}) } }
        : {}),
    },
    sample: { ...cfg.sample, count: Math.min(cfg.sample.count, 2), every: cfg.sample.count > 0 ? 1 : 0 },
    ...(sampling ? { diffusion: { ...cfg.diffusion, samplingSteps: String(SMOKE_STEPS) } } : {}),
  });
}

export interface SmokeResult {
  /** The temporary run directory (removed when the test passed). */
  dir: string;
  summary: RunSummary;
  /** The checkpoints written, by step. */
  checkpoints: number[];
  seconds: number;
}

/** A smoke test that failed: the phase, the temporary directory kept, and the error. */
export class SmokeError extends Error {
  override readonly name = 'SmokeError';
  constructor(
    readonly phase: string,
    readonly dir: string,
    readonly error: unknown,
  ) {
    super(
      `smoke test failed while ${phase} (its files: ${dir}): ${error instanceof Error ? error.message : String(error)}`,
      { cause: error },
    );
  }
}

/**
 * Smoke-test a validated config in a temporary directory: train step 1 (evaluating, sampling, checkpointing),
 * resume from its checkpoint for step 2, and check both checkpoints are there. `plugins` are `--plugin` modules.
 */
export async function smokeTest(
  cfg: ExperimentConfig,
  plugins: readonly string[],
  hooks: Omit<TrainOptions, 'out' | 'resume'> = {},
  /** Run here and keep it (a sweep's stage, which its runs read); default: a temporary directory, removed. */
  at?: string,
): Promise<SmokeResult> {
  const started = performance.now();
  const tmp = at ?? (await mkdtemp(join(tmpdir(), 'vtx-smoke-')));
  const dir = at ?? join(tmp, cfg.name);
  let phase = 'training step 1 (evaluation, samples, checkpoint)';
  try {
    const opts = { samples: sampleScoring, ...hooks }; // eval.judge scores samples through @vtx/eval
    await train(smokeConfig(cfg, 1), { ...opts, out: dir });
    phase = `resuming from step 1 for step ${SMOKE_STEPS}`;
    const resumed = withPlugins(
      await loadConfigFile(join(dir, 'config.yaml'), ExperimentConfig, [
        { path: ['train', 'steps'], value: SMOKE_STEPS },
      ]),
      plugins,
    );
    const summary = await train(resumed, { ...opts, out: dir, resume: true });
    phase = 'checking what the run wrote';
    if (summary.status !== 'completed' || summary.step !== SMOKE_STEPS)
      throw new Error(
        `the run ended ${summary.status} at step ${summary.step}, not completed at ${SMOKE_STEPS}`,
      );
    const checkpoints = (await readdir(join(dir, 'checkpoints')))
      .map((d) => /^step-(\d+)$/.exec(d)?.[1])
      .filter((s): s is string => s !== undefined)
      .map(Number)
      .sort((a, b) => a - b);
    for (const s of [1, SMOKE_STEPS])
      if (!checkpoints.includes(s))
        throw new Error(`no checkpoint of step ${s} in ${join(dir, 'checkpoints')}`);
    const seconds = (performance.now() - started) / 1000;
    if (!at) await rm(tmp, { recursive: true, force: true });
    return { dir: tmp, summary, checkpoints, seconds };
  } catch (e) {
    if (e instanceof ConfigError || e instanceof UsageError) {
      if (!at) await rm(tmp, { recursive: true, force: true }); // the config, not the run: exit 2
      throw e;
    }
    throw existsSync(tmp) ? new SmokeError(phase, tmp, e) : e;
  }
}

/** What a passed smoke test says: the phases it ran and what they wrote. */
export function smokeLines(name: string, r: SmokeResult): string {
  const metrics = Object.keys(r.summary.metrics).filter((k) => !k.startsWith('time/'));
  return (
    `smoke test passed: ${name}: ${SMOKE_STEPS} steps in ${r.seconds.toFixed(1)} s (segments ${r.summary.segments.map((g) => `${g.fromStep}-${g.toStep}`).join(', ')}: resumed from step 1); ` +
    `checkpoints of steps ${r.checkpoints.join(', ')}; evaluation ${metrics.length ? metrics.join(', ') : '(none)'}; ` +
    `samples ${r.summary.samples.length}; nothing kept (${r.dir} removed)\n`
  );
}

/**
 * Smoke-test a sweep (or an ablation's): expand and validate it with `set` as `vtx sweep --set` would, then smoke its
 * stages in order (a `judge` stage trains its attribute classifier for 2 steps) into a temporary sweep directory the
 * runs' `${stage.<name>}` point into, and smoke every run; remove the directory when all passed. `say` reports each.
 */
export async function smokeSweep(
  file: string,
  set: readonly string[],
  hooks: Omit<TrainOptions, 'out' | 'resume'>,
  say: (line: string) => void,
): Promise<{ stages: number; runs: SmokeResult[]; seconds: number }> {
  const started = performance.now();
  const sweep = withSet(await loadConfigFile(file, SweepConfig), set);
  const tmp = await mkdtemp(join(tmpdir(), 'vtx-smoke-sweep-'));
  let phase = 'expanding the sweep';
  try {
    const ex = await expandSweep(sweep, file, { dir: tmp });
    say(`smoke: ${ex.sweep.name}: ${ex.stages.length} stage(s) and ${ex.runs.length} run(s) validated`);
    for (const st of ex.stages) {
      phase = `stage ${st.name}`;
      say(`smoke: stage ${st.name}`);
      if (st.kind === 'caption')
        await captionStage(tmp, st); // re-caption with the smoke-trained captioner
      else await smokeTest(st.config, [], hooks, st.dir); // a judge stage is an ordinary run too
    }
    const runs: SmokeResult[] = [];
    for (const r of ex.runs) {
      phase = `run ${r.name}`;
      say(`smoke: run ${r.name}`);
      runs.push(await smokeTest(r.config, [], hooks));
    }
    await rm(tmp, { recursive: true, force: true });
    return { stages: ex.stages.length, runs, seconds: (performance.now() - started) / 1000 };
  } catch (e) {
    if (e instanceof SweepError || e instanceof ConfigError || e instanceof UsageError) {
      await rm(tmp, { recursive: true, force: true });
      throw e;
    }
    throw e instanceof SmokeError
      ? new SmokeError(`${phase}: ${e.phase}`, e.dir, e.error)
      : new SmokeError(phase, tmp, e);
  }
}

/** What a passed sweep smoke test says. */
export function smokeSweepLine(name: string, r: Awaited<ReturnType<typeof smokeSweep>>): string {
  return (
    `smoke test passed: ${name}: ${r.stages} stage(s) and ${r.runs.length} run(s), ${SMOKE_STEPS} steps each ` +
    `(resumed from step 1), in ${r.seconds.toFixed(1)} s; nothing kept\n`
  );
}
