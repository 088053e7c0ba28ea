/**
 * `train(config)`: one run from a config to a run directory — the programmatic twin of `vtx train`.
 *
 *   <run>/config.yaml         the fully resolved config (defaults, extends, --set applied)
 *   <run>/metrics.jsonl       one JSON line per logged step and per evaluation
 *   <run>/log.jsonl           pino logs
 *   <run>/tensorboard/        TensorBoard event files (scalars, sample images)
 *   <run>/checkpoints/step-N/ weights, EMA, optimizer state, RNG and data position (atomic, checksummed)
 *   <run>/samples/step-N.gif  generated clips (diffusion models) and a PNG contact sheet; one of each per size,
 *                             step-N-TxHxW.gif|png, when a run samples at several sizes (sample.sizes)
 *   <run>/samples/recon-step-N.gif  VAE runs: evaluation clips beside their reconstructions (and a PNG)
 *   <run>/summary.json        what the run did: params, Gflops, compute, final metrics, status
 */
import { existsSync, promises as fs } from 'node:fs';
import { join } from 'node:path';
import * as tf from '@tensorflow/tfjs-core';
import type { BackendChoice } from '@vtx/core';
import { modelName, modelTask, sampleClips } from '@vtx/models';
import type { Logger } from 'pino';
import { startBackend } from './backend.js';
import { datasetCaptions, withCaptionVocab } from './captions.js';
import { cleanStaleTemps, latestCheckpoint } from './checkpoint/index.js';
import { isPlainObject, validateConfig, writeResolvedConfig } from './config/index.js';
import {
  checkExperiment,
  experimentWarnings,
  ExperimentConfig,
  type ExperimentConfigInput,
} from './experiment.js';
import { GradSpikeDetector, LeakGuard, NonFiniteError, type GradSpikeOptions } from './guards/index.js';
import { writeGifGrid, writePngSheet, gridFrames, encodePng, type ClipArray } from './media/clip-grid.js';
import { checkSampleScoring, type SampleScoring } from './sample-scoring.js';
import { importConfigPlugins, pluginsRelativeTo } from './plugins.js';
import { EventWriter, createLogger, createProgress } from './run/index.js';
import { toPixels } from './latent-cache.js';
import { Trainer, type StepRecord } from './trainer.js';
import { writeFileAtomic, MetricsWriter } from '@vtx/runs';

export interface TrainOptions {
  /** Run directory. Default `runs/<name>`. */
  out?: string;
  /** Continue from the newest checkpoint in the run directory. */
  resume?: boolean;
  /** Stop gracefully (final checkpoint) when this signal aborts, e.g. on SIGINT/SIGTERM. */
  signal?: AbortSignal;
  /** Where pretty/JSON log lines go (default stdout); the run's log.jsonl is always written. */
  terminal?: NodeJS.WritableStream & { isTTY?: boolean };
  /** Called after every optimizer update. */
  onStep?: (record: StepRecord) => void;
  /** When a gradient norm counts as a spike (logged as a warning and a TensorBoard scalar). Default: 10x median. */
  gradSpike?: GradSpikeOptions;
  /** Scores samples with `eval.judge` (@vtx/eval's `sampleScoring`); required when the config sets `eval.judge`. */
  samples?: SampleScoring;
}

export interface RunSummary {
  name: string;
  model: string;
  runDir: string;
  status: 'completed' | 'stopped';
  backend: string;
  step: number;
  steps: number;
  params: number;
  /** Tokens per sample at the first batch's clip. */
  tokensPerSample: number;
  /** Forward Gflops per sample at the first batch's clip (multiply-adds, DiT's convention). */
  gflops: number;
  /**
   * Training compute so far: 3 x forward flops x samples seen, in Gflop, each batch at its own size (steps done
   * before a resume are counted at the first batch's size).
   */
  trainGflop: number;
  finalLoss: number;
  /** The last evaluation's metrics. */
  metrics: Record<string, number>;
  seconds: number;
  checkpoint: string;
  samples: string[];
}

const STEP = (n: number) => `step-${String(n).padStart(6, '0')}`;

/** Train one run; resolves with its summary. Bad configs throw a ConfigError naming every bad key. */
export async function train(
  input: ExperimentConfigInput | ExperimentConfig,
  opts: TrainOptions = {},
): Promise<RunSummary> {
  // plugins first: they register the model kinds the config may name (relative paths: the working directory)
  const ready = isPlainObject(input) ? await importConfigPlugins(input) : input;
  let cfg: ExperimentConfig = validateConfig(ready, ExperimentConfig);
  checkExperiment(cfg);
  await checkSampleScoring(cfg, opts.samples); // a bad eval.judge fails here, not at the first evaluation
  const runDir = opts.out ?? join('runs', cfg.name);
  const ckptDir = join(runDir, 'checkpoints');
  // Recover an interrupted save first: a re-save killed between its two renames left the old checkpoint aside.
  if (opts.resume) await cleanStaleTemps(ckptDir);
  const resumeFrom = opts.resume ? await latestCheckpoint(ckptDir) : undefined;
  const hasRun = existsSync(join(runDir, 'config.yaml'));
  // A run killed before its first checkpoint has a config.yaml but nothing to resume from: it starts over.
  if (opts.resume && !resumeFrom && !hasRun)
    throw new Error(`${runDir}: not a run directory (no config.yaml) and no checkpoint to resume from`);
  if (!opts.resume && hasRun) {
    throw new Error(
      `${runDir} already holds a run: resume it with --resume ${runDir}, or choose another --out`,
    );
  }
  // A fresh run whose setup fails (data, model, backend) removes the directory it created: no partial run is left
  // behind to block the next attempt with "already holds a run".
  const created = !existsSync(runDir);
  let setupDone = false;
  await fs.mkdir(runDir, { recursive: true });
  const {
    logger,
    route,
    close: closeLog,
  } = createLogger({
    file: join(runDir, 'log.jsonl'),
    level: cfg.log.level,
    ...(opts.terminal ? { terminal: opts.terminal } : {}),
  });
  for (const w of experimentWarnings(cfg)) logger.warn({ key: w.path }, `${w.path}: ${w.message}`);
  const started = performance.now();
  let trainer: Trainer | null = null;
  let events: EventWriter | null = null;
  let metrics: MetricsWriter | null = null;
  try {
    const backend = await chooseBackend(cfg, logger);
    cfg = await withCaptionVocab(cfg);
    if (!opts.resume) await writeResolvedConfig(join(runDir, 'config.yaml'), pluginsRelativeTo(cfg, runDir));
    trainer = await Trainer.create(cfg, backend, opts.samples);
    if (resumeFrom) {
      await trainer.restore(resumeFrom);
      logger.info({ checkpoint: resumeFrom, step: trainer.step }, 'resumed');
    } else if (opts.resume) {
      logger.warn(
        { runDir },
        'no complete checkpoint yet (stopped before the first one): starting from step 0',
      );
    }
    setupDone = true;
    const { cost, clip, sizes } = trainer.parts;
    const startStep = trainer.step;
    let doneGflop = 0; // this process's steps, each batch at its own size
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
    metrics = await MetricsWriter.open(join(runDir, 'metrics.jsonl'), { dropAfterStep: trainer.step });
    events = cfg.log.tensorboard ? new EventWriter(join(runDir, 'tensorboard')) : null;
    const leaks = new LeakGuard({
      mode: cfg.train.strictLeaks ? 'throw' : 'warn',
      warn: (msg) => logger.warn(msg),
    });
    const progress = createProgress({
      total: cfg.train.steps,
      label: cfg.name,
      route,
      ...(cfg.log.progress === 'auto' ? {} : { enabled: cfg.log.progress === 'on' }),
    });
    const spikes = new GradSpikeDetector(opts.gradSpike);
    progress.update(trainer.step);
    let lastEval: Record<string, number> = {};
    let lastLoss = NaN;
    let window = { samples: 0, tokens: 0, trainGflop: 0, seconds: 0 };
    const samples: string[] = [];
    let status: RunSummary['status'] = 'completed';
    let checkpoint = resumeFrom ?? '';

    while (!trainer.done) {
      if (opts.signal?.aborted) {
        status = 'stopped';
        logger.warn({ step: trainer.step }, 'stop requested: writing a final checkpoint');
        break;
      }
      const rec = await trainer.trainStep().catch((e: unknown) => {
        if (e instanceof NonFiniteError) {
          // The update was not applied and nothing is saved: the newest checkpoint is the last good one.
          e.message += `; the last good checkpoint is ${checkpoint || '(none yet)'}`;
          logger.error({ step: e.step, quantity: e.quantity, checkpoint }, e.message);
        }
        throw e;
      });
      opts.onStep?.(rec);
      const spike = spikes.observe(rec.step + 1, rec.gradNorm);
      if (spike) {
        logger.warn(
          spike,
          `gradient-norm spike at step ${spike.step}: ${spike.ratio.toFixed(1)}x the recent median`,
        );
        events?.scalars({ gradSpike: spike.ratio }, spike.step, 'train/');
      }
      leaks.check(rec.step);
      const step = trainer.step; // updates done
      lastLoss = rec.loss;
      doneGflop += rec.trainGflop;
      window = {
        samples: window.samples + rec.samples,
        tokens: window.tokens + rec.tokens,
        trainGflop: window.trainGflop + rec.trainGflop,
        seconds: window.seconds + rec.seconds,
      };
      progress.update(step, `loss ${rec.loss.toFixed(4)}`);
      if (step % cfg.train.logEvery === 0 || trainer.done) {
        const record = {
          step,
          loss: rec.loss,
          lr: rec.lr,
          gradNorm: rec.gradNorm,
          ...rec.metrics,
          samplesPerSec: window.samples / window.seconds,
          tokensPerSec: window.tokens / window.seconds,
          gflopsPerSec: window.trainGflop / window.seconds,
          secondsPerStep: window.seconds / cfg.train.logEvery,
          numTensors: tf.memory().numTensors,
          tensorMB: tf.memory().numBytes / 2 ** 20,
          rssMB: process.memoryUsage().rss / 2 ** 20,
        };
        window = { samples: 0, tokens: 0, trainGflop: 0, seconds: 0 };
        metrics.append(record);
        events?.scalars(record, step, 'train/');
        logger.info(record, `step ${step}`);
      }
      if (cfg.train.evalEvery > 0 && step % cfg.train.evalEvery === 0 && !trainer.done) {
        lastEval = await evaluate(trainer, metrics, events, logger, step, runDir);
      }
      if (
        modelTask(cfg.model) === 'diffuse' &&
        cfg.sample.every > 0 &&
        step % cfg.sample.every === 0 &&
        !trainer.done
      ) {
        samples.push(...(await writeSamples(trainer, runDir, events, step)));
      }
      if (step % cfg.train.checkpointEvery === 0 && !trainer.done)
        checkpoint = await trainer.save(ckptDir, lastEval);
    }
    progress.stop();
    const step = trainer.step;
    if (step > 0) {
      lastEval = await evaluate(trainer, metrics, events, logger, step, runDir);
      checkpoint = await trainer.save(ckptDir, lastEval);
      logger.info({ checkpoint }, 'checkpoint written');
      if (modelTask(cfg.model) === 'diffuse' && cfg.sample.count > 0 && status === 'completed') {
        samples.push(...(await writeSamples(trainer, runDir, events, step)));
      }
    }
    const resumedSamples = startStep * cfg.train.gradAccum * cfg.data.batchSize;
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
      trainGflop: cost.trainGflops * resumedSamples + doneGflop,
      finalLoss: lastLoss,
      metrics: lastEval,
      seconds: (performance.now() - started) / 1000,
      checkpoint,
      samples,
    };
    await writeFileAtomic(join(runDir, 'summary.json'), `${JSON.stringify(summary, null, 2)}\n`);
    logger.info({ summary: join(runDir, 'summary.json'), samples }, `run ${status}`);
    return summary;
  } finally {
    metrics?.close();
    events?.close();
    await trainer?.close();
    closeLog();
    if (!setupDone && created && !opts.resume) await fs.rm(runDir, { recursive: true, force: true });
  }
}

function chooseBackend(cfg: ExperimentConfig, logger: Logger): Promise<BackendChoice> {
  return startBackend(cfg.backend, { info: (m) => logger.info(m), warn: (m) => logger.warn(m) });
}

async function evaluate(
  trainer: Trainer,
  metrics: MetricsWriter,
  events: EventWriter | null,
  logger: Logger,
  step: number,
  runDir: string,
): Promise<Record<string, number>> {
  const ev = await trainer.evaluate({ samplesDir: join(runDir, 'samples') });
  metrics.append({ step, ...ev });
  events?.scalars(ev, step);
  logger.info(ev, `eval at step ${step}`);
  return ev;
}

/**
 * Sample with the EMA weights at each of the run's sample sizes (`Trainer.sampleSizes`); write a GIF grid and a PNG
 * contact sheet per size (`step-N.gif`, or `step-N-TxHxW.gif` when there are several); returns the GIF paths.
 */
async function writeSamples(
  trainer: Trainer,
  runDir: string,
  events: EventWriter | null,
  step: number,
): Promise<string[]> {
  const { cfg, model, condition } = trainer.parts;
  const captions = cfg.sample.captions.length
    ? cfg.sample.captions
    : condition?.kind === 'caption'
      ? await datasetCaptions(cfg, cfg.sample.count)
      : [];
  const sizes = trainer.sampleSizes();
  const gifs: string[] = [];
  for (const clip of sizes) {
    const latents = await trainer.withEvalWeights(() =>
      sampleClips(model, cfg.diffusion, condition!, {
        count: cfg.sample.count,
        clip,
        classes: cfg.sample.classes,
        captions,
        seed: cfg.seed + step,
      }),
    );
    const x = await toPixels(cfg, latents); // a latent run decodes through the VAE its dataset names
    const clips: ClipArray = { data: (await x.data()) as Float32Array, shape: x.shape as ClipArray['shape'] };
    x.dispose();
    const size = clip.slice(0, 3).join('x');
    const stem = join(runDir, 'samples', sizes.length > 1 ? `${STEP(step)}-${size}` : STEP(step));
    await writeGifGrid(`${stem}.gif`, clips);
    await writePngSheet(`${stem}.png`, clips);
    if (events) {
      const { frames, width, height } = gridFrames(clips);
      const tag = sizes.length > 1 ? `samples/${size}` : 'samples';
      events.image(tag, encodePng(frames[0]!, width, height), step);
    }
    gifs.push(`${stem}.gif`);
  }
  return gifs;
}
