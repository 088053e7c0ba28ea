/**
 * Diffusion training (DiT, video DiT): x0 is a batch of clips (or latents) in [-1, 1], t ~ U{0, …, T-1}, the
 * loss is DiT's hybrid mse + vb (IDDPM) — or, with `process: rectified-flow`, the velocity MSE of rectified flow.
 * Evaluation reports the validation loss overall and per timestep quartile
 * (`val/loss_q0` small t = fine detail … `val/loss_q3` large t = global layout), with stratified t and seeded
 * noise so evaluations of one run are comparable.
 */
import * as tf from '@tensorflow/tfjs-core';
import type * as tfl from '@tensorflow/tfjs-layers';
import { mix32, seededNormal } from '@vtx/core';
import type { Batch } from '@vtx/data';
import {
  LossBuckets,
  createDiffusion,
  createRectifiedFlow,
  sampleTrainingTimesteps,
  trainingLosses,
  type DiffusionConfig,
  type GaussianDiffusion,
  type RectifiedFlow,
  conditionTensors,
  denoiser,
  type Condition,
} from '@vtx/models';
import { trainingCondition } from './conditioning.js';
import { clipsOf, type LossOutput, type Objective } from './objective.js';

export class DiffuseObjective implements Objective {
  readonly task = 'diffuse';
  private readonly process:
    { kind: 'gaussian'; diffusion: GaussianDiffusion } | { kind: 'flow'; flow: RectifiedFlow };
  private readonly numTimesteps: number;
  private buckets: LossBuckets;
  private parts = { mse: 0, vb: 0, n: 0 };

  constructor(
    private readonly model: tfl.LayersModel,
    private readonly cfg: DiffusionConfig,
    private readonly cond: Condition,
    private readonly seed: number,
  ) {
    this.process =
      cfg.process === 'gaussian'
        ? { kind: 'gaussian', diffusion: createDiffusion(cfg) }
        : { kind: 'flow', flow: createRectifiedFlow(cfg) };
    this.numTimesteps = cfg.steps;
    this.buckets = new LossBuckets(this.numTimesteps, 4);
  }

  /** Per-sample losses at timesteps t (int32 indices, or float times for rectified flow). */
  private losses(x0: tf.Tensor, t: tf.Tensor1D, noise: tf.Tensor, extra: tf.Tensor[], training: boolean) {
    const fn = denoiser(this.model, training);
    if (this.process.kind === 'flow')
      return { ...this.process.flow.trainingLosses(fn, x0, t, { noise, extra }), mse: null, vb: null };
    return trainingLosses(this.process.diffusion, fn, x0, t, { noise, extra });
  }

  loss(batch: Batch, step: number): LossOutput {
    const x0 = clipsOf(tf, batch);
    const b = x0.shape[0];
    const seed = mix32(this.seed, step);
    const t = sampleTrainingTimesteps(this.cfg, b, seed);
    const noise = seededNormal(x0.shape, mix32(seed, 1));
    const extra = trainingCondition(this.cond, batch, mix32(seed, 2));
    const l = this.losses(x0, t, noise, extra, true);
    const metrics: Record<string, tf.Scalar> = {};
    if (l.mse) metrics['mse'] = tf.mean(l.mse);
    if (l.vb) metrics['vb'] = tf.mean(l.vb);
    return { loss: tf.mean(l.loss), metrics };
  }

  evalBegin(): void {
    this.buckets = new LossBuckets(this.numTimesteps, 4);
    this.parts = { mse: 0, vb: 0, n: 0 };
  }

  async evalBatch(batch: Batch, index: number): Promise<void> {
    const b = batch.shape[0]!;
    const T = this.numTimesteps;
    // stratified timesteps, shifted per batch, so every evaluation covers [0, T) the same way
    const ts = Int32Array.from(
      { length: b },
      (_, i) => Math.floor(((i + ((index * 0.618) % 1)) * T) / b) % T,
    );
    const res = tf.tidy(() => {
      const x0 = clipsOf(tf, batch);
      const noise = seededNormal(x0.shape, mix32(this.seed ^ 0x5eed, index));
      const extra = conditionTensors(this.cond, batch.labels, batch.captions, b); // no caption dropout
      const t = this.process.kind === 'flow' ? tf.tensor1d(Float32Array.from(ts)) : tf.tensor1d(ts, 'int32');
      const l = this.losses(x0, t, noise, extra, false);
      return l.mse && l.vb ? [l.loss, l.mse, l.vb] : [l.loss]; // rectified flow has no mse / vb terms
    });
    const [loss, mse, vb] = await Promise.all(res.map((r) => r.data()));
    tf.dispose(res);
    this.buckets.add(ts, loss as Float32Array);
    if (mse && vb)
      for (let i = 0; i < b; i++) {
        this.parts.mse += mse[i]!;
        this.parts.vb += vb[i]!;
      }
    this.parts.n += b;
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
    if (this.process.kind === 'gaussian') {
      // the hybrid loss's two terms; rectified flow's loss is the velocity MSE alone (val/loss)
      out['val/mse'] = this.parts.mse / this.parts.n;
      out['val/vb'] = this.parts.vb / this.parts.n;
    }
    return out;
  }
}
