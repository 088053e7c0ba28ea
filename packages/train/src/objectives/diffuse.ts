/**
 * Diffusion training (DiT, video DiT) through the run's noise process: x0 is a batch of clips (or latents) in
 * [-1, 1], t is drawn by the process (DiT: t ~ U{0, …, T-1}), the loss is the process's (DiT's hybrid mse + vb, or
 * rectified flow's velocity MSE). Evaluation reports the validation loss overall and per timestep quartile
 * (`val/loss_q0` small t = fine detail … `val/loss_q3` large t = global layout), with stratified t and seeded
 * noise so evaluations of one run are comparable, and `val/<term>` for each term the process's loss has
 * (`val/mse`, `val/vb` for the Gaussian hybrid loss).
 *
 * With frame conditioning (`model.frameConditioning`), each training clip draws a mask strategy (@vtx/models
 * `drawFrameMasks`, row-wise): its given frames stay clean in x_t, the model's `given` input flags them, and the
 * loss averages over the generated frames only. Evaluation gives no frames, so val/loss reads as without it.
 *
 * With token masking (`model.maskRatio`, MaskDiT), each training clip keeps a seeded random round((1 − r)·N) of its
 * N tokens: the model's blocks see those only (`setTokenMask` for the step's forward pass) and the loss averages over
 * their pixels only. Evaluation and sampling set no mask.
 *
 * With REPA (`train.repa`, ./repa.ts) the model runs with its projector as a second output and the loss adds
 * λ · (−mean cosine similarity) of the projected hidden tokens to the frozen encoder's features of x0 (logged as
 * `repa`, before λ). Evaluation reports the diffusion loss alone.
 */
import * as tf from '@tensorflow/tfjs-core';
import type * as tfl from '@tensorflow/tfjs-layers';
import { mix32, rowDraw, seededNormal } from '@vtx/core';
import type { Batch } from '@vtx/data';
import {
  LossBuckets,
  conditionTensors,
  denoiser,
  drawFrameMasks,
  drawTokenKeep,
  keptPixels,
  setTokenMask,
  type Condition,
  type FrameConditioningOf,
  type NoiseProcess,
  type ProcessLosses,
  type TokenKeep,
  type TokenMasking,
} from '@vtx/models';
import { trainingCondition } from './conditioning.js';
import { Repa } from './repa.js';
import { clipsOf, type LossOutput, type Objective } from './objective.js';

export class DiffuseObjective implements Objective {
  readonly task = 'diffuse';
  private buckets: LossBuckets;
  /** Sums of each loss term over the evaluation, and the samples counted. */
  private terms = new Map<string, number>();
  private count = 0;

  constructor(
    private readonly model: tfl.LayersModel,
    private readonly process: NoiseProcess,
    private readonly cond: Condition,
    private readonly seed: number,
    /** The model's frame conditioning (`frameConditioningOf`), or null: no `given` input. */
    private readonly frames: FrameConditioningOf | null = null,
    /** The model's token masking in training (`tokenMaskingOf`), or null: every token. */
    private readonly masking: TokenMasking | null = null,
    /** REPA's alignment term (`train.repa`), or null. */
    private readonly repa: Repa | null = null,
  ) {
    this.buckets = new LossBuckets(process.numTimesteps, 4);
  }

  loss(batch: Batch, step: number): LossOutput {
    const x0 = clipsOf(tf, batch);
    const seed = mix32(this.seed, step);
    // row-wise draws for the global batch (data parallel: this rank keeps its rows)
    const t = rowDraw([x0.shape[0]], ([b]) =>
      this.process.sampleTimesteps(b!, seed, x0.shape),
    ) as tf.Tensor1D;
    const noise = rowDraw(x0.shape, (s) => seededNormal(s, mix32(seed, 1)));
    const given = this.frames && this.givenFlags(x0.shape, mix32(seed, 3));
    const extra = [...(given ? [given] : []), ...trainingCondition(this.cond, batch, mix32(seed, 2))];
    const keep = this.masking && this.drawKeep(x0.shape, mix32(seed, 4));
    if (keep) setTokenMask(this.model, keep);
    let l: ProcessLosses;
    let projected: tf.Tensor | null = null; // REPA's projected hidden tokens of this forward pass
    const denoise = this.repa
      ? this.repa.denoiser((p) => (projected = tf.keep(p)))
      : denoiser(this.model, true);
    try {
      l = this.process.trainingLosses(denoise, x0, t, {
        noise,
        extra,
        ...(given ? { given: given.reshape([x0.shape[0], x0.shape[1]!, 1, 1, 1]) } : {}),
        ...(keep ? { counted: keptPixels(keep, this.tokenGrid(x0.shape), this.masking.patch) } : {}),
      });
    } finally {
      if (keep) setTokenMask(this.model, null);
    }
    const metrics: Record<string, tf.Scalar> = {};
    for (const [name, term] of Object.entries(l.terms)) metrics[name] = tf.mean(term);
    if (!projected) return { loss: tf.mean(l.loss), metrics };
    const align = tf.mean<tf.Scalar>(Repa.negCosine(projected, this.repa!.target(x0))); // −mean cos, no gradient to the encoder
    tf.dispose(projected);
    metrics['repa'] = align;
    return { loss: tf.add<tf.Scalar>(tf.mean(l.loss), tf.mul(this.repa!.weight, align)), metrics };
  }

  /** The token grid [T', H', W'] of clips of `shape` (B, T, H, W, C) under the masking's tubelet. */
  private tokenGrid(shape: number[]): number[] {
    return this.masking!.patch.map((p, i) => shape[i + 1]! / p);
  }

  /** The tokens each clip of `shape` keeps (MaskDiT): the lowest of row-wise uniform scores. */
  private drawKeep(shape: number[], seed: number): TokenKeep {
    const b = shape[0]!;
    const n = this.tokenGrid(shape).reduce((a, c) => a * c, 1);
    const scores = tf.tidy(() => rowDraw([b, n], (s) => tf.randomUniform(s, 0, 1, 'float32', seed)));
    const values = scores.dataSync() as Float32Array;
    scores.dispose();
    return drawTokenKeep(values, b, n, this.masking!.ratio);
  }

  /** The model's `given` input (B, T) for clips of `shape`: the frames each clip's drawn strategy keeps. */
  private givenFlags(shape: number[], seed: number): tf.Tensor2D {
    const [b, frames] = [shape[0]!, shape[1]!];
    return tf.tensor2d(drawFrameMasks(this.frames!, b, frames, seed), [b, frames]);
  }

  evalBegin(): void {
    this.buckets = new LossBuckets(this.process.numTimesteps, 4);
    this.terms = new Map();
    this.count = 0;
  }

  async evalBatch(batch: Batch, index: number): Promise<void> {
    const b = batch.shape[0]!;
    const T = this.process.numTimesteps;
    // stratified timesteps, shifted per batch, so every evaluation covers [0, T) the same way
    const ts = Int32Array.from(
      { length: b },
      (_, i) => Math.floor(((i + ((index * 0.618) % 1)) * T) / b) % T,
    );
    const { loss, terms } = tf.tidy(() => {
      const x0 = clipsOf(tf, batch);
      const noise = seededNormal(x0.shape, mix32(this.seed ^ 0x5eed, index));
      const given = this.frames ? [tf.zeros([b, x0.shape[1]!])] : []; // nothing given
      const extra = [...given, ...conditionTensors(this.cond, batch.labels, batch.captions, b)]; // no caption dropout
      const t = this.process.timestepsAt(ts);
      const l = this.process.trainingLosses(denoiser(this.model, false), x0, t, { noise, extra });
      return { loss: l.loss, terms: l.terms }; // tidy keeps every tensor of the result
    });
    const names = Object.keys(terms);
    const [values, ...termValues] = await Promise.all(
      [loss, ...names.map((n) => terms[n]!)].map((r) => r.data()),
    );
    tf.dispose([loss, ...Object.values(terms)]);
    this.buckets.add(ts, values as Float32Array);
    names.forEach((name, k) => {
      let sum = this.terms.get(name) ?? 0;
      for (let i = 0; i < b; i++) sum += termValues[k]![i]!;
      this.terms.set(name, sum);
    });
    this.count += b;
  }

  evalEnd(): Record<string, number> {
    const out: Record<string, number> = {};
    let sum = 0;
    let n = 0;
    for (const q of this.buckets.summary()) {
      out[`val/loss_q${q.bucket}`] = q.mean;
      if (q.count) {
        sum += q.mean * q.count;
        n += q.count;
      }
    }
    out['val/loss'] = sum / n;
    for (const [name, total] of this.terms) out[`val/${name}`] = total / this.count;
    return out;
  }

  /** The quartile losses are means over their quartile's rows; the rest over all rows. */
  evalWeights(): Record<string, number> {
    const out: Record<string, number> = { 'val/loss': this.count };
    for (const q of this.buckets.summary()) out[`val/loss_q${q.bucket}`] = q.count;
    for (const name of this.terms.keys()) out[`val/${name}`] = this.count;
    return out;
  }
}
