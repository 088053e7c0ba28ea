/**
 * Reconstruction (the video VAE): the β-VAE objective (Kingma & Welling 2014; Higgins et al. 2017), per element
 *   loss = mean (x − x̂)² + β · KL(q(z|x) ‖ N(0, I)) / (t·h·w·c)
 * with the KL in closed form and z = μ + σ·ε, ε seeded by the step. Evaluation decodes the posterior mean
 * (ε = 0) and reports val/loss, val/mse, val/kl (per latent element), val/psnr and val/ssim (per clip, averaged).
 */
import * as tf from '@tensorflow/tfjs-core';
import type * as tfl from '@tensorflow/tfjs-layers';
import { mix32, seededNormal } from '@vtx/core';
import type { Batch } from '@vtx/data';
import { klToStandardNormal, latentShape, splitMoments, type VaeConfig } from '@vtx/models';
import { psnr, ssim } from './psnr-ssim.js';
import { clipsOf, type LossOutput, type Objective } from './objective.js';

export class ReconstructObjective implements Objective {
  readonly task = 'reconstruct';
  private sums = { loss: 0, mse: 0, kl: 0, psnr: 0, ssim: 0, n: 0 };

  constructor(
    private readonly model: tfl.LayersModel,
    private readonly cfg: VaeConfig,
    private readonly seed: number,
  ) {}

  /** x̂, the per-element mse and KL of a batch of clips, with noise ε (or the posterior mean when null). */
  private forward(x: tf.Tensor, seed: number | null, training: boolean) {
    const b = x.shape[0];
    const latent = latentShape(this.cfg, x.shape.slice(1));
    const eps = seed === null ? tf.zeros([b, ...latent]) : seededNormal([b, ...latent], seed);
    const [recon, moments] = this.model.apply([x, eps], { training }) as [tf.Tensor, tf.Tensor];
    const { mean, logvar } = splitMoments(moments);
    const perClipMse = tf.mean(tf.squaredDifference(x, recon).reshape([b, -1]), 1); // (B,)
    const perClipKl = tf.div(
      klToStandardNormal(mean, logvar),
      latent.reduce((a, v) => a * v, 1),
    ); // (B,)
    return { recon, perClipMse, perClipKl };
  }

  loss(batch: Batch, step: number): LossOutput {
    const x = clipsOf(tf, batch);
    const { perClipMse, perClipKl } = this.forward(x, mix32(this.seed, step), true);
    const mse = tf.mean<tf.Scalar>(perClipMse);
    const kl = tf.mean<tf.Scalar>(perClipKl);
    return { loss: tf.add(mse, tf.mul(kl, this.cfg.beta)), metrics: { mse, kl } };
  }

  /** Reconstructions of clips (B, T, H, W, C) from the posterior mean, clipped to [-1, 1] (what evaluation scores). */
  reconstruct(x: tf.Tensor): tf.Tensor {
    return tf.tidy(() => tf.clipByValue(this.forward(x, null, false).recon, -1, 1));
  }

  evalBegin(): void {
    this.sums = { loss: 0, mse: 0, kl: 0, psnr: 0, ssim: 0, n: 0 };
  }

  async evalBatch(batch: Batch): Promise<void> {
    const parts = tf.tidy(() => {
      const x = clipsOf(tf, batch);
      const { recon, perClipMse, perClipKl } = this.forward(x, null, false);
      const clipped = tf.clipByValue(recon, -1, 1);
      return [perClipMse, perClipKl, psnr(x, clipped), ssim(x, clipped)];
    });
    const [mse, kl, p, s] = await Promise.all(parts.map((t) => t.data()));
    tf.dispose(parts);
    for (let i = 0; i < mse!.length; i++) {
      this.sums.mse += mse![i]!;
      this.sums.kl += kl![i]!;
      this.sums.loss += mse![i]! + this.cfg.beta * kl![i]!;
      this.sums.psnr += Math.min(p![i]!, 100); // identical clips would give +Infinity
      this.sums.ssim += s![i]!;
    }
    this.sums.n += mse!.length;
  }

  evalEnd(): Record<string, number> {
    const { n, ...s } = this.sums;
    return Object.fromEntries(Object.entries(s).map(([k, v]) => [`val/${k}`, v / n]));
  }
}
