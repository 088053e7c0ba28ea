/**
 * `train(config)`: one run from a config to a run directory — the programmatic twin of `vtx train`. It reads as
 * checks (`validate`, before the run directory exists), setup (`setup`), the loop (`loop`) and the end (`finish`).
 *
 *   <run>/config.yaml         the fully resolved config (defaults, extends and --set applied)
 *   <run>/metrics.jsonl       one JSON line per logged step and per evaluation
 *   <run>/log.jsonl           pino logs
 *   <run>/tensorboard/        TensorBoard event files (scalars, sample images)
 *   <run>/checkpoints/step-N/ weights, EMA, optimizer state, RNG and data position (atomic, checksummed)
 *   <run>/samples/step-N.gif  generated clips (diffusion models) and a PNG contact sheet; one of each per size,
 *                             step-N-TxHxW.gif|png, when a run samples at several sizes (sample.sizes)
 *   <run>/samples/recon-step-N.gif  VAE runs: evaluation clips beside their reconstructions (and a PNG)
 *   <run>/summary.json        what the run did: params, Gflops, compute, final metrics, status, time per segment
 *
 * The loop yields to Node's event loop once per step, so a stop request (SIGINT/SIGTERM through `signal`), the
 * progress bar and log lines are served between any two steps, not only at evaluations.
 *
 * Under mpirun or srun with N > 1 ranks (./ranks.ts) the same call trains data-parallel: every rank trains its rows
 * of each global batch, rank 0 alone writes the run directory, and a stop on any rank stops all after one step.
 * (Over 350 lines: the stages of one run share the `Run` record, and splitting them would pass it between files.)
 */
import { existsSync, promises as fs } from 'node:fs';
import { join } from 'node:path';
import * as tf from '@tensorflow/tfjs-core';
import type { BackendChoice } from '@vtx/core';
import { modelName, modelTask } from '@vtx/models';
import type { Logger } from 'pino';
import { startBackend } from './backend.js';
import { withCaptionVocab } from './captions.js';
import { writeResolvedConfig } from '@vtx/config';
import type { ExperimentConfig, ExperimentConfigInput } from './experiment.js';
import { GradSpikeDetector, LeakGuard, NonFiniteError, type GradSpikeOptions } from './guards/index.js';
import { experimentPathsRelativeTo } from './experiment-paths.js';
import { continueRun, resumeChanges, shareStart, startOf, type Start } from './resume.js';
import { createLogger, createProgress, type Progress } from './run/index.js';
import type { RunLogger } from './run/index.js';
import { writeSamples } from './samples.js';
import type { RunSummary } from './summary.js';
import { Trainer, type StepRecord } from './trainer.js';
import { validate, type ValidRun } from './validate.js';
import { agree, inTurn, privateDir, rankConfig, startRanks, worldConfig, type Ranks } from './ranks.js';
import { EventWriter, writeFileAtomic, MetricsWriter } from '@vtx/runs';
import type { SampleScoring } from './sample-scoring.js';

export type { RunSummary } from './summary.js';

export interface TrainOptions {
  /** Run directory. Default `runs/<name>`. */
  out?: string;
  /** Continue from the newest good checkpoint in the run directory (see ./resume.ts). */
  resume?: boolean;
  /** Stop gracefully (final checkpoint) when this signal aborts, e.g. on SIGINT/SIGTERM (see ./stop.ts). */
  signal?: AbortSignal;
  /** Where pretty/JSON log lines go (default stdout); the run's log.jsonl is always written. */
  terminal?: NodeJS.WritableStream & { isTTY?: boolean };
  /** Called after every optimizer update. */
  onStep?: (record: StepRecord) => void;
  /** Called with each checkpoint written, and with the one a resumed run continues from. */
  onCheckpoint?: (path: string, step: number) => void;
  /** When a gradient norm counts as a spike (logged as a warning and a TensorBoard scalar). Default: 10x median. */
  gradSpike?: GradSpikeOptions;
  /** Scores samples with `eval.judge` (@vtx/eval's `sampleScoring`); required when the config sets `eval.judge`. */
  samples?: SampleScoring;
}

/** The rates of the steps since the last training record. */
interface Window {
  /** Steps in the window: logEvery, or fewer in the last one (steps not a multiple of logEvery, a stop). */
  steps: number;
  samples: number;
  tokens: number;
  trainGflop: number;
  seconds: number;
}
const EMPTY: Window = { steps: 0, samples: 0, tokens: 0, trainGflop: 0, seconds: 0 };

/** One training process between setup and finish: what it writes to, and what it has done. */
interface Run {
  cfg: ExperimentConfig;
  runDir: string;
  ranks: Ranks;
  trainer: Trainer;
  logger: Logger;
  metrics: MetricsWriter;
  events: EventWriter | null;
  progress: Progress;
  leaks: LeakGuard;
  spikes: GradSpikeDetector;
  opts: TrainOptions;
  startStep: number;
  lastEval: Record<string, number>;
  /** The step of `lastEval` and of `checkpoint` (-1: none in this process). */
  evalStep: number;
  checkpoint: string;
  checkpointStep: number;
  lastLoss: number;
  /** This process's training compute, each batch at its own size. */
  doneGflop: number;
  window: Window;
  samples: string[];
}

/** What setup has opened so far, closed by `train` whatever happens. */
interface Held {
  trainer?: Trainer;
  metrics?: MetricsWriter;
  events?: EventWriter | null;
}

/** Train one run; resolves with its summary. Bad configs throw a ConfigError naming every bad key. */
export async function train(
  input: ExperimentConfigInput | ExperimentConfig,
  opts: TrainOptions = {},
): Promise<RunSummary> {
  const ranks = startRanks();
  // every check that can fail before training, before the run directory; rank 0 first (it may build a dataset)
  const valid = await inTurn(ranks, () => validate(input, opts.samples));
  const { cfg } = valid;
  const runDir = opts.out ?? join('runs', cfg.name);
  // rank 0 reads the run directory and decides; every rank gets its decision (or its error)
  const start: Start = await agree(ranks, () => startOf(cfg, runDir, opts.resume), shareStart);
  if (start.complete) {
    const s = start.complete;
    if (ranks.writes)
      (opts.terminal ?? process.stdout).write(
        `${runDir} is complete (step ${s.step} of ${s.steps}): nothing to do. ` +
          `To train it longer: vtx train --resume ${runDir} --set train.steps=N\n`,
      );
    ranks.dp?.comm.finalize();
    return s;
  }
  // A fresh run whose setup fails (data, model, backend) removes the directory it created: no partial run is left
  // behind to block the next attempt with "already holds a run". Ranks > 0 never touch it: they get a private one.
  const own = ranks.writes ? null : privateDir(ranks.rank);
  const dir = own?.dir ?? runDir;
  const created = !existsSync(dir);
  await fs.mkdir(dir, { recursive: true });
  const log = createLogger({
    ...(own ? { level: 'warn', name: `rank ${ranks.rank}`, terminal: process.stderr } : {}),
    ...(own ? {} : { file: join(runDir, 'log.jsonl'), level: cfg.log.level }),
    ...(opts.terminal && !own ? { terminal: opts.terminal } : {}),
  });
  log.logger.info(ranks.notice);
  for (const w of valid.warnings) log.logger.warn({ key: w.path }, `${w.path}: ${w.message}`);
  const held: Held = {};
  let run: Run | undefined;
  try {
    run = await setup(
      { ...valid, cfg: rankConfig(cfg, ranks) },
      { runDir, dir, ranks },
      start,
      log,
      opts,
      held,
    );
    const summary = await finish(run, await loop(run));
    ranks.dp?.comm.finalize(); // after the last collective, on success only (a failed rank ends the job instead)
    return summary;
  } finally {
    held.metrics?.close();
    held.events?.close();
    await held.trainer?.close();
    log.close();
    if (!run && created && !opts.resume && !own) await fs.rm(runDir, { recursive: true, force: true });
    own?.remove();
  }
}

/** Backend, model, resumed state and the run's writers, up to the first step. */
async function setup(
  valid: ValidRun,
  { runDir, dir, ranks }: { runDir: string; dir: string; ranks: Ranks },
  { resume, checkpoint }: Start,
  { logger, route }: RunLogger,
  opts: TrainOptions,
  held: Held,
): Promise<Run> {
  const backend = await chooseBackend(valid.cfg, logger);
  const cfg = await withCaptionVocab(valid.cfg);
  const trainer = (held.trainer = await Trainer.create({ ...valid, cfg }, backend, opts.samples));
  if (resume) await continueRun(trainer, resume, runDir, logger, opts.onCheckpoint);
  else if (checkpoint) await trainer.restore(checkpoint); // a rank > 0: rank 0's checkpoint, read only
  if (ranks.dp) {
    trainer.parallel = ranks.dp;
    await ranks.dp.broadcastParams(trainer.parts.params); // every rank starts from rank 0's weights
  }
  const changes = resume?.previous ? resumeChanges(resume.previous, cfg, trainer.step) : [];
  for (const line of changes) logger.info({ resume: true }, line);
  if (ranks.writes && (!resume || changes.length))
    await writeResolvedConfig(
      join(runDir, 'config.yaml'),
      experimentPathsRelativeTo(worldConfig(cfg), runDir),
    );
  const { cost, clip, sizes } = trainer.parts;
  logger.info(
    {
      model: modelName(cfg.model),
      params: cost.params,
      tokens: cost.tokens,
      gflops: +cost.gflops.toFixed(4),
      clip,
      ...(sizes.length > 1 ? { sizes: sizes.map((s) => s.clip.join('x')) } : {}),
      runDir,
    },
    `training ${cfg.name}: ${cfg.train.steps} steps`,
  );
  held.metrics = await MetricsWriter.open(join(dir, 'metrics.jsonl'), { dropAfterStep: trainer.step });
  held.events = cfg.log.tensorboard && ranks.writes ? new EventWriter(join(runDir, 'tensorboard')) : null;
  const progress = createProgress({
    total: cfg.train.steps,
    label: cfg.name,
    route,
    ...(cfg.log.progress === 'auto' && ranks.writes
      ? {}
      : { enabled: ranks.writes && cfg.log.progress === 'on' }),
  });
  progress.update(trainer.step);
  return {
    cfg,
    runDir,
    ranks,
    trainer,
    logger,
    opts,
    progress,
    metrics: held.metrics,
    events: held.events,
    leaks: new LeakGuard({ mode: cfg.train.strictLeaks ? 'throw' : 'warn', warn: (msg) => logger.warn(msg) }),
    spikes: new GradSpikeDetector(opts.gradSpike),
    startStep: trainer.step,
    lastEval: {},
    evalStep: -1,
    checkpoint: resume?.checkpoint?.path ?? '',
    checkpointStep: resume?.checkpoint?.step ?? -1,
    lastLoss: NaN,
    doneGflop: 0,
    window: EMPTY,
    samples: [],
  };
}

/** Train until the last step or a stop request; yields to the event loop after every step. */
async function loop(run: Run): Promise<RunSummary['status']> {
  const { trainer, logger, opts } = run;
  const dp = run.ranks.dp;
  while (!trainer.done) {
    // one process stops before the next step; ranks send the request with the next step's gradients and all stop
    // after it (./parallel.ts)
    const asked = opts.signal?.aborted ?? false;
    if (asked && !dp) {
      logger.warn({ step: trainer.step }, 'stop requested: writing a final checkpoint');
      return 'stopped';
    }
    const rec = await trainer.trainStep(asked).catch((e: unknown) => {
      if (e instanceof NonFiniteError) {
        // The update was not applied and nothing is saved: the newest checkpoint is the last good one.
        e.message += `; the last good checkpoint is ${run.checkpoint || '(none yet)'}`;
        logger.error({ step: e.step, quantity: e.quantity, checkpoint: run.checkpoint }, e.message);
      }
      throw e;
    });
    opts.onStep?.(rec);
    record(run, rec);
    if (rec.stop && dp && !trainer.done) {
      logger.warn(
        { step: trainer.step },
        'stop requested on a rank: every rank stops; writing a final checkpoint',
      );
      return 'stopped';
    }
    if (!trainer.done) await periodic(run, trainer.step);
    // Every await above may resolve as a microtask (tfjs data() on CPU backends, a prefetched batch): without this,
    // signal handlers, timers and terminal writes would wait for the next truly asynchronous operation.
    await new Promise<void>((resolve) => setImmediate(resolve));
  }
  return 'completed';
}

/** Guards, progress and the training record of one update (every `logEvery` updates, and the last). */
function record(run: Run, rec: StepRecord): void {
  const { cfg, trainer, logger, events } = run;
  const spike = run.spikes.observe(rec.step + 1, rec.gradNorm);
  if (spike) {
    logger.warn(
      spike,
      `gradient-norm spike at step ${spike.step}: ${spike.ratio.toFixed(1)}x the recent median`,
    );
    events?.scalars({ gradSpike: spike.ratio }, spike.step, 'train/');
  }
  run.leaks.check(rec.step);
  const step = trainer.step; // updates done
  run.lastLoss = rec.loss;
  run.doneGflop += rec.trainGflop;
  const w = run.window;
  run.window = {
    steps: w.steps + 1,
    samples: w.samples + rec.samples,
    tokens: w.tokens + rec.tokens,
    trainGflop: w.trainGflop + rec.trainGflop,
    seconds: w.seconds + rec.seconds,
  };
  run.progress.update(step, `loss ${rec.loss.toFixed(4)}`);
  if (step % cfg.train.logEvery !== 0 && !trainer.done) return;
  const { steps, samples, tokens, trainGflop, seconds } = run.window;
  const line = {
    ...{ step, loss: rec.loss, lr: rec.lr, gradNorm: rec.gradNorm, ...rec.metrics },
    samplesPerSec: samples / seconds,
    tokensPerSec: tokens / seconds,
    gflopsPerSec: trainGflop / seconds,
    secondsPerStep: seconds / steps,
    numTensors: tf.memory().numTensors,
    tensorMB: tf.memory().numBytes / 2 ** 20,
    rssMB: process.memoryUsage().rss / 2 ** 20,
  };
  run.window = EMPTY;
  run.metrics.append(line);
  events?.scalars(line, step, 'train/');
  logger.info(line, `step ${step}`);
}

/** The evaluations, samples and checkpoints due after `step` updates (before the last). */
async function periodic(run: Run, step: number): Promise<void> {
  const { cfg, trainer } = run;
  const evaluates = cfg.train.evalEvery > 0 && step % cfg.train.evalEvery === 0;
  if (evaluates) await evaluate(run, step);
  const sample = modelTask(cfg.model) === 'diffuse' && cfg.sample.every > 0 && step % cfg.sample.every === 0;
  if (sample && run.ranks.writes)
    run.samples.push(...(await writeSamples(trainer, run.runDir, run.events, step)));
  if (step % cfg.train.checkpointEvery === 0) await save(run, step);
  // rank 0 alone sampled (and scored samples), ranks evaluated different batches: the next draws are rank 0's
  if (sample || evaluates) run.ranks.dp?.syncRng();
}

/**
 * The final evaluation and checkpoint (each unless this step already has one: a stop right after a periodic
 * evaluation records it once), end-of-run samples, and `summary.json`.
 */
async function finish(run: Run, status: RunSummary['status']): Promise<RunSummary> {
  const { cfg, trainer, logger, runDir } = run;
  run.progress.stop();
  const step = trainer.step;
  if (step > 0) {
    const evaluated = run.evalStep !== step;
    if (evaluated) await evaluate(run, step);
    if (evaluated || run.checkpointStep !== step) await save(run, step);
    if (run.ranks.writes) logger.info({ checkpoint: run.checkpoint }, 'checkpoint written');
    const sample = modelTask(cfg.model) === 'diffuse' && cfg.sample.count > 0 && status === 'completed';
    if (sample && run.ranks.writes)
      run.samples.push(...(await writeSamples(trainer, runDir, run.events, step)));
  }
  const { cost } = trainer.parts;
  const resumedSamples = run.startStep * cfg.train.gradAccum * cfg.data.batchSize;
  const segments = trainer.segments();
  const summary: RunSummary = {
    name: cfg.name,
    model: modelName(cfg.model),
    runDir,
    status,
    backend: trainer.parts.backend?.name ?? tf.getBackend(),
    step,
    steps: cfg.train.steps,
    params: cost.params,
    tokensPerSample: cost.tokens,
    gflops: cost.gflops,
    trainGflop: cost.trainGflops * resumedSamples + run.doneGflop,
    finalLoss: run.lastLoss,
    metrics: run.lastEval,
    seconds: segments.reduce((sum, s) => sum + s.seconds, 0),
    segments,
    checkpoint: run.checkpoint,
    samples: run.samples,
  };
  if (!run.ranks.writes) return summary; // rank 0 writes the summary
  await writeFileAtomic(join(runDir, 'summary.json'), `${JSON.stringify(summary, null, 2)}\n`);
  logger.info({ summary: join(runDir, 'summary.json'), samples: run.samples }, `run ${status}`);
  return summary;
}

function chooseBackend(cfg: ExperimentConfig, logger: Logger): Promise<BackendChoice> {
  return startBackend(
    cfg.backend,
    { info: (m) => logger.info(m), warn: (m) => logger.warn(m), debug: (m) => logger.debug(m) },
    cfg.matmulPrecision,
  );
}

async function evaluate(run: Run, step: number): Promise<void> {
  const ev = await run.trainer.evaluate(
    run.ranks.writes ? { samplesDir: join(run.runDir, 'samples'), reportsDir: join(run.runDir, 'eval') } : {},
  );
  run.metrics.append({ step, ...ev });
  run.events?.scalars(ev, step);
  run.logger.info(ev, `eval at step ${step}`);
  run.lastEval = ev;
  run.evalStep = step;
}

async function save(run: Run, step: number): Promise<void> {
  if (!run.ranks.writes) return; // rank 0 writes the checkpoints (every rank holds the same state)
  run.checkpoint = await run.trainer.save(join(run.runDir, 'checkpoints'), run.lastEval);
  run.checkpointStep = step;
  run.opts.onCheckpoint?.(run.checkpoint, step);
}
