/**
 * The training loop: a custom tfjs loop (no `model.fit`) with AdamW, warmup + decay schedules, global-norm
 * clipping, gradient accumulation and an EMA of the weights, for classification and diffusion objectives.
 * Everything a run needs to continue is in its checkpoints: weights, EMA, optimizer state, step, the vtx RNG
 * stream and the data loader's position, so an interrupted and resumed run gives the losses of an uninterrupted one.
 * With data-parallel ranks (`parallel`, ./parallel.ts) a step's gradients, losses and stop request and an
 * evaluation's metrics are combined over the ranks.
 * What it is made of is built in ./trainer-parts.ts (`buildTrainerParts`); a VAE's reconstruction sheet is
 * ./media/reconstructions.ts. (Over 350 lines: one class, the state a run resumes from and the four operations on
 * it — step, evaluate, save, restore — each of which reads most of that state.)
 */
import * as tf from '@tensorflow/tfjs-core';
import { getRngState, setRngState, variableGrads, withBatchPart, type BackendChoice } from '@vtx/core';
import { createLoader, type Batch, type DataConfigInput, type DataLoader } from '@vtx/data';
import { modelCost, type ClipShape, type ModelCost } from '@vtx/models';
import { loadCheckpoint, saveCheckpoint, type LoadedCheckpoint } from '@vtx/checkpoint';
import type { ExperimentConfig } from './experiment.js';
import { ClassifyObjective, writeClassReport, type ClassReport } from './objectives/classify.js';
import { ReconstructObjective } from './objectives/reconstruct.js';
import type { SampleScorer, SampleScoring } from './sample-scoring.js';
import { writeReconstructions } from './media/reconstructions.js';
import { checkFinite } from './guards/index.js';
import { evalDataInput, sampleSizes } from './sizes.js';
import { isValidRun, validate, type ValidRun } from './validate.js';
import { buildTrainerParts, type TrainerParts } from './trainer-parts.js';
import { TrainerState, type Segment } from './state.js';
import type { DataParallel } from './parallel.js';
import {
  GradAccumulator,
  assignParams,
  clipByGlobalNorm,
  globalNorm,
  makeSchedule,
  readParams,
  type GradMap,
} from './optim/index.js';

/** One optimizer update's numbers. */
export interface StepRecord {
  step: number;
  loss: number;
  lr: number;
  gradNorm: number;
  /** Objective extras: top1 (classifiers), mse and vb (diffusion). */
  metrics: Record<string, number>;
  samples: number;
  /** Tokens of this update's batches, each at its own token grid. */
  tokens: number;
  /** Training compute of this update in Gflop (~3x forward per sample, at each batch's own size). */
  trainGflop: number;
  seconds: number;
  /** Data-parallel ranks: whether any rank asked to stop (the same on every rank); else the request passed in. */
  stop: boolean;
}

export { TrainerState, type Segment };
export type { TrainerParts };

/** What an evaluation does besides the objective's metrics. */
export interface EvaluateOptions {
  /**
   * Score samples with `eval.judge` (diffusion runs): 'auto' (default) at the evaluations `eval.judge.every`
   * selects and at the end of training; true at this one; false never.
   */
  judge?: boolean | 'auto';
  /** VAE runs: write `recon-step-N.gif|png` (inputs beside their reconstructions) into this directory. */
  samplesDir?: string;
  /** Classifiers: write `classes-step-N.json` (per-class accuracy, confusion matrix) into this directory. */
  reportsDir?: string;
}

export class Trainer {
  /** Updates done so far (the next update is number `step`). */
  step = 0;
  /**
   * Data-parallel ranks (./parallel.ts), set by `train()` under mpirun or srun: gradients, losses, evaluation
   * metrics and the stop request are combined over the ranks; null in one process.
   */
  parallel: DataParallel | null = null;
  private evalLoader: DataLoader | null = null;
  /** Classifiers: per-class accuracy and the confusion matrix of the last evaluation. */
  classes: ClassReport | null = null;
  private sampleQuality: SampleScorer | null = null;
  private readonly lr: (step: number) => number;
  private readonly accumulator = new GradAccumulator();
  private readonly costs = new Map<string, ModelCost>();
  /** The segments of earlier processes (from the checkpoint this one resumed), and where this one began. */
  private earlier: Segment[] = [];
  private segmentFrom = 0;
  private readonly started = performance.now();

  private constructor(
    readonly parts: TrainerParts,
    private readonly scoring: SampleScoring | null = null,
  ) {
    const { cfg } = parts;
    this.lr = makeSchedule(cfg.schedule, cfg.optim.lr, cfg.train.steps);
  }

  /** The run's segments so far: those before this process, then this one up to now (wall time since `create`). */
  segments(): Segment[] {
    const now = {
      fromStep: this.segmentFrom,
      toStep: this.step,
      seconds: (performance.now() - this.started) / 1000,
    };
    return [...this.earlier, now];
  }

  /**
   * Open the data, build the model for the data's clip shape, the optimizer, EMA and objective. The clip shape
   * comes from the first batch (the model still accepts other sizes at run time). A config not yet through
   * `validate` (./validate.ts) goes through it first.
   */
  static async create(
    run: ExperimentConfig | ValidRun,
    backend: BackendChoice | null = null,
    /** Scores samples with `eval.judge` (@vtx/eval's `sampleScoring`). */
    samples: SampleScoring | null = null,
  ): Promise<Trainer> {
    const valid = isValidRun(run) ? run : await validate(run, samples ?? undefined);
    return new Trainer(await buildTrainerParts(valid, backend), samples);
  }

  get cfg(): ExperimentConfig {
    return this.parts.cfg;
  }

  get done(): boolean {
    return this.step >= this.cfg.train.steps;
  }

  /** The model's cost at a clip size (tokens and flops of that token grid), computed once per size. */
  costOf(clip: readonly number[]): ModelCost {
    const key = clip.join('x');
    let c = this.costs.get(key);
    if (!c) {
      c = modelCost(this.cfg.model, [...clip] as ClipShape, this.parts.process ?? undefined);
      this.costs.set(key, c);
    }
    return c;
  }

  /** The sizes (T, H, W, C) end-of-run samples are drawn at (see `sampleSizes`). */
  sampleSizes(): ClipShape[] {
    return sampleSizes(this.cfg, this.parts.clip, this.parts.sizes);
  }

  /** The loss and gradients of one micro-batch; metrics are kept for the caller. */
  private microStep(
    batch: Batch,
    index: number,
  ): { loss: tf.Scalar; grads: GradMap; metrics: Record<string, tf.Scalar> } {
    const vars = this.parts.params.map((p) => p.variable);
    let metrics: Record<string, tf.Scalar> = {};
    // row-wise draws (noise, timesteps, dropped labels) are the global batch's, sliced to this rank's rows
    const { value, grads } = withBatchPart(batch.part, () =>
      variableGrads(() => {
        const out = this.parts.objective.loss(batch, index);
        metrics = Object.fromEntries(Object.entries(out.metrics).map(([k, v]) => [k, tf.keep(v)]));
        return out.loss;
      }, vars),
    );
    return { loss: value, grads, metrics };
  }

  /**
   * Micro-batch `j` of `k`: its loss and metrics (host numbers) and its gradients. In one process the gradients are
   * the batch's own; with data-parallel ranks each is weighted by the rank's share of the global batch, n/N (zeros
   * for a rank with no rows), so the sum over ranks is the global batch's gradient.
   */
  private async micro(
    batch: Batch,
    index: number,
  ): Promise<{ loss: number; metrics: Record<string, number>; grads: GradMap }> {
    const dp = this.parallel;
    const n = batch.shape[0]!;
    if (dp && n === 0) return { loss: 0, ...dp.empty() };
    const seedsBefore = getRngState().counter;
    const micro = this.microStep(batch, index);
    const names = Object.keys(micro.metrics);
    const values = await Promise.all(
      [micro.loss, ...names.map((m) => micro.metrics[m]!)].map((t) => t.data()),
    );
    tf.dispose([micro.loss, ...Object.values(micro.metrics)]);
    const w = dp ? n / batch.part.global : 1;
    const metrics = Object.fromEntries(names.map((m, i) => [m, w * values[i + 1]![0]!]));
    if (!dp) return { loss: values[0]![0]!, metrics, grads: micro.grads };
    dp.learn(micro.grads, names, getRngState().counter - seedsBefore);
    const grads = tf.tidy(() =>
      Object.fromEntries(Object.entries(micro.grads).map(([name, g]) => [name, tf.mul(g, w)])),
    );
    tf.dispose(Object.values(micro.grads));
    return { loss: w * values[0]![0]!, metrics, grads };
  }

  /**
   * One optimizer update over `gradAccum` micro-batches. A non-finite loss or gradient norm throws a
   * NonFiniteError before the update is applied, so the weights (and the last checkpoint) stay good. With
   * data-parallel ranks, `stop` (this rank's stop request) rides in the gradient all-reduce, and the record's
   * `stop` says whether any rank asked: every rank sees the same answer after the same step.
   */
  async trainStep(stop = false): Promise<StepRecord> {
    const { cfg, optimizer, ema } = this.parts;
    const t0 = performance.now();
    const k = cfg.train.gradAccum;
    let lossSum = 0;
    let metricSums: Record<string, number> = {};
    let samples = 0;
    let tokens = 0;
    let trainGflop = 0;
    let grads: GradMap = {};
    for (let j = 0; j < k; j++) {
      const batch = await this.parts.loader.next();
      const rows = batch.part.global; // the global batch's rows (this rank's and the other ranks')
      const cost = this.costOf(batch.clipShape); // this batch's token grid, not the first batch's
      samples += rows;
      tokens += rows * cost.tokens;
      trainGflop += rows * cost.trainGflops;
      const micro = await this.micro(batch, this.step * k + j);
      lossSum += micro.loss;
      for (const [name, v] of Object.entries(micro.metrics)) metricSums[name] = (metricSums[name] ?? 0) + v;
      if (k === 1 && !this.parallel) grads = micro.grads;
      else {
        this.accumulator.add(micro.grads);
        tf.dispose(Object.values(micro.grads));
      }
    }
    if (k > 1 || this.parallel) {
      grads = this.accumulator.mean();
      this.accumulator.reset();
    }
    let loss = lossSum / k;
    let stopAll = stop;
    if (this.parallel) {
      const scaled = Object.fromEntries(Object.entries(metricSums).map(([m, v]) => [m, v / k]));
      const r = await this.parallel.reduce(grads, loss, scaled, stop);
      tf.dispose(Object.values(grads));
      ({ grads, loss, stop: stopAll } = r);
      metricSums = Object.fromEntries(Object.entries(r.metrics).map(([m, v]) => [m, v * k]));
    }
    const clipNorm = cfg.train.clipNorm;
    const clipped = tf.tidy(() =>
      clipNorm === null ? { grads, norm: globalNorm(grads) } : clipByGlobalNorm(grads, clipNorm),
    );
    const gradNorm = (await clipped.norm.data())[0]!;
    const lr = this.lr(this.step);
    const release = () =>
      tf.dispose([
        ...Object.values(grads),
        ...(clipped.grads === grads ? [] : Object.values(clipped.grads)),
        clipped.norm,
      ]);
    try {
      checkFinite(this.step, { loss, gradNorm }); // before the update: the weights and checkpoints stay good
    } catch (e) {
      release();
      throw e;
    }
    optimizer.lr = lr;
    optimizer.apply(clipped.grads);
    release();
    ema?.update();
    const record: StepRecord = {
      step: this.step,
      loss,
      lr,
      gradNorm,
      metrics: Object.fromEntries(Object.entries(metricSums).map(([name, v]) => [name, v / k])),
      samples,
      tokens,
      trainGflop,
      seconds: (performance.now() - t0) / 1000,
      stop: stopAll,
    };
    this.step += 1;
    return record;
  }

  /**
   * Metrics on `eval.batches` batches of the evaluation data, with the EMA weights when there are any; with
   * `eval.judge`, sample-quality metrics of a diffusion run (sample/frechet, sample/acc/…, sample/class-acc); for a
   * VAE, a reconstruction GIF of the first batch when `samplesDir` is given.
   */
  async evaluate(opts: EvaluateOptions = {}): Promise<Record<string, number>> {
    const { cfg, objective, ema } = this.parts;
    const dp = this.parallel;
    // labels numbered as in training; every rank reads whole evaluation batches (it evaluates its share of them)
    const evalData = {
      ...evalDataInput(cfg, this.parts.loader.labelNames),
      dataParallel: { rank: 0, ranks: 1 },
    };
    if (!this.evalLoader) this.evalLoader = await createLoader(evalData);
    const loader = this.evalLoader;
    const start = { ...loader.state(), epoch: 0, batch: 0 };
    loader.restore(start); // the same batches at every evaluation
    const writes = !dp || dp.writes; // samples are scored on rank 0 only (it alone writes them)
    const quality = this.parts.condition && cfg.eval.judge && writes ? this.samplesJudge(evalData) : null;
    const judge = opts.judge ?? 'auto';
    const scoreSamples = quality !== null && (judge === 'auto' ? quality.due(this.step, this.done) : judge);
    const run = async () => {
      objective.evalBegin();
      let first: Batch | null = null;
      let rows = 0;
      for (let i = 0; i < cfg.eval.batches; i++) {
        const batch = await loader.next();
        first ??= batch;
        if (dp && i % dp.size !== dp.rank) continue; // batch i is rank (i mod ranks)'s
        await objective.evalBatch(batch, i);
        rows += batch.shape[0]!;
      }
      let metrics = objective.evalEnd();
      if (dp) metrics = dp.reduceEval(metrics, objective.evalWeights?.() ?? rows);
      if (objective instanceof ClassifyObjective) {
        if (dp) objective.sumConfusion((counts) => dp.sumInPlace(counts)); // every rank's share of the batches
        this.classes = objective.classReport(this.parts.loader.labelNames);
        if (opts.reportsDir) await writeClassReport(opts.reportsDir, this.step, this.classes);
      }
      if (opts.samplesDir && first && objective instanceof ReconstructObjective)
        await writeReconstructions(objective, first, opts.samplesDir, this.step);
      if (scoreSamples && quality) {
        const { model, clip, condition, process } = this.parts;
        Object.assign(
          metrics,
          await quality.score({ model, cfg, clip, condition: condition!, process: process! }),
        );
      }
      return metrics;
    };
    return ema ? ema.withEma(run) : run();
  }

  private samplesJudge(evalData: DataConfigInput): SampleScorer {
    if (!this.scoring)
      throw new Error(
        "eval.judge: scoring samples needs @vtx/eval's sampleScoring (Trainer.create's third argument)",
      );
    this.sampleQuality ??= this.scoring.scorer(this.cfg.eval.judge!, evalData, this.cfg.seed);
    return this.sampleQuality;
  }

  /** Run `fn` with the weights used for evaluation and sampling (the EMA's, when enabled). */
  async withEvalWeights<T>(fn: () => Promise<T>): Promise<T> {
    return this.parts.ema ? this.parts.ema.withEma(fn) : fn();
  }

  /** Write a checkpoint of everything needed to resume; returns its directory. */
  async save(root: string, metrics: Record<string, number> = {}): Promise<string> {
    const { params, optimizer, ema, loader, clip } = this.parts;
    const groups = {
      weights: await readParams(params),
      optimizer: await optimizer.exportState(),
      ...(ema ? { ema: await ema.exportState() } : {}),
    };
    const state: TrainerState = {
      step: this.step,
      rng: getRngState(),
      data: loader.state(),
      clip: [...clip],
      segments: this.segments(),
      backend: tf.getBackend(),
    };
    const finite = Object.fromEntries(Object.entries(metrics).filter(([, v]) => Number.isFinite(v)));
    return saveCheckpoint(
      root,
      { step: this.step, groups, metrics: finite, state },
      {
        keepLast: this.cfg.train.keepLast,
        ...('val/loss' in finite ? { keepBest: { metric: 'val/loss', mode: 'min' as const } } : {}),
      },
    );
  }

  /** Continue from a checkpoint written by `save` (its directory, or the checkpoint already loaded). */
  async restore(from: string | LoadedCheckpoint): Promise<LoadedCheckpoint> {
    const ckpt = typeof from === 'string' ? await loadCheckpoint(from) : from;
    const dir = ckpt.path;
    const parsed = TrainerState.safeParse(ckpt.state);
    if (!parsed.success)
      throw new Error(`${dir}: the checkpoint's trainer state is not valid: ${parsed.error.message}`);
    const state = parsed.data;
    const { params, optimizer, ema, loader } = this.parts;
    const group = (name: string) => {
      const g = ckpt.groups[name];
      if (!g) throw new Error(`${dir}: the checkpoint has no ${name} tensors`);
      return g;
    };
    assignParams(params, group('weights'));
    optimizer.importState(group('optimizer'));
    if (ema) ema.importState(group('ema'));
    setRngState(state.rng);
    loader.restore(state.data);
    this.step = state.step;
    this.earlier = state.segments ?? [];
    this.segmentFrom = state.step;
    return ckpt;
  }

  async close(): Promise<void> {
    await this.parts.loader.close();
    await this.evalLoader?.close();
    this.parts.ema?.dispose();
    this.parts.optimizer.dispose();
    this.parts.model.dispose();
  }
}
