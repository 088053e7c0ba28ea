/**
 * Classification (ViT, ViViT): softmax cross-entropy with label smoothing (Szegedy et al. 2016) and mixup
 * (Zhang et al. 2018); evaluation reports loss, top-1 and top-5, averaging the softmax over `views` temporal
 * windows of each clip when the evaluation clips are longer than the training ones (ViViT's multi-view test).
 */
import * as tf from '@tensorflow/tfjs-core';
import type * as tfl from '@tensorflow/tfjs-layers';
import { mix32, mulberry32, softmaxCrossEntropy } from '@vtx/core';
import type { Batch } from '@vtx/data';
import { clipsOf, type LossOutput, type Objective } from './objective.js';

export interface ClassifyOptions {
  numClasses: number;
  labelSmoothing: number;
  mixup: number;
  /** Frames the model trains on; evaluation clips with more frames are split into `views` windows. */
  frames: number | null;
  views: number;
  seed: number;
}

/** A Beta(α, α) draw from two Gamma(α) draws (Marsaglia & Tsang), from a seeded uniform source. */
export function sampleBeta(alpha: number, rand: () => number): number {
  const gamma = (a: number): number => {
    if (a < 1) return gamma(a + 1) * Math.pow(rand(), 1 / a);
    const d = a - 1 / 3;
    const c = 1 / Math.sqrt(9 * d);
    for (;;) {
      let x: number;
      let v: number;
      do {
        const u1 = rand() || 1e-12;
        x = Math.sqrt(-2 * Math.log(u1)) * Math.cos(2 * Math.PI * rand());
        v = 1 + c * x;
      } while (v <= 0);
      v = v * v * v;
      const u = rand();
      if (u < 1 - 0.0331 * x ** 4 || Math.log(u) < 0.5 * x * x + d * (1 - v + Math.log(v))) return d * v;
    }
  };
  const a = gamma(alpha);
  return a / (a + gamma(alpha));
}

export class ClassifyObjective implements Objective {
  readonly task = 'classify';
  private sums = { loss: 0, top1: 0, top5: 0, n: 0 };

  constructor(
    private readonly model: tfl.LayersModel,
    private readonly opts: ClassifyOptions,
  ) {}

  private labels(batch: Batch): Int32Array {
    if (!batch.labels) throw new Error('classification needs labels, but the dataset has none');
    const bad = batch.labels.findIndex((y) => y < 0 || y >= this.opts.numClasses);
    if (bad >= 0) {
      throw new Error(
        `label ${batch.labels[bad]} of clip '${batch.ids[bad]}' is outside [0, ${this.opts.numClasses}) (model.numClasses)`,
      );
    }
    return batch.labels;
  }

  /** One-hot targets (B, K); the loss smooths them (smoothing commutes with mixup's convex mix). */
  private targets(labels: Int32Array): tf.Tensor {
    return tf.tidy(() => tf.cast(tf.oneHot(tf.tensor1d(labels, 'int32'), this.opts.numClasses), 'float32'));
  }

  loss(batch: Batch, step: number): LossOutput {
    const labels = this.labels(batch);
    let x = clipsOf(tf, batch); // (B, T, H, W, C)
    let target = this.targets(labels); // (B, K)
    if (this.opts.mixup > 0) {
      // mix each clip with the batch in reverse order (timm's "flip" mixup), λ ~ Beta(α, α)
      const lam = sampleBeta(this.opts.mixup, mulberry32(mix32(this.opts.seed, step)));
      x = tf.add(tf.mul(x, lam), tf.mul(tf.reverse(x, 0), 1 - lam));
      target = tf.add(tf.mul(target, lam), tf.mul(tf.reverse(target, 0), 1 - lam));
    }
    const logits = this.model.apply(x, { training: true }) as tf.Tensor2D; // (B, K)
    const { labelSmoothing } = this.opts; // fused on backends with the kernel (@vtx/backend-native)
    const loss = tf.mean<tf.Scalar>(softmaxCrossEntropy(logits, target, { labelSmoothing }));
    const top1 = tf.mean<tf.Scalar>(
      tf.cast(tf.equal(tf.argMax(logits, -1), tf.tensor1d(labels, 'int32')), 'float32'),
    );
    return { loss, metrics: { top1 } };
  }

  evalBegin(): void {
    this.sums = { loss: 0, top1: 0, top5: 0, n: 0 };
  }

  async evalBatch(batch: Batch): Promise<void> {
    const labels = this.labels(batch);
    const [loss, top1, top5] = tf.tidy((): [tf.Tensor, tf.Tensor, tf.Tensor] => {
      const probs = this.viewsProbabilities(clipsOf(tf, batch)); // (B, K)
      const y = tf.tensor1d(labels, 'int32');
      const nll = tf.neg(
        tf.sum(tf.mul(tf.oneHot(y, this.opts.numClasses), tf.log(tf.add(probs, 1e-12))), -1),
      );
      const k = Math.min(5, this.opts.numClasses);
      const { indices } = tf.topk(probs, k);
      const hitK = tf.any(tf.equal(indices, y.reshape([-1, 1])), -1);
      const hit1 = tf.equal(tf.argMax(probs, -1), y);
      return [tf.sum(nll), tf.sum(tf.cast(hit1, 'float32')), tf.sum(tf.cast(hitK, 'float32'))];
    });
    const [l, a1, a5] = await Promise.all([loss.data(), top1.data(), top5.data()]);
    tf.dispose([loss, top1, top5]);
    this.sums.loss += l[0]!;
    this.sums.top1 += a1[0]!;
    this.sums.top5 += a5[0]!;
    this.sums.n += labels.length;
  }

  /** Softmax averaged over `views` evenly spaced windows of `frames` frames (one view when clips are short). */
  private viewsProbabilities(x: tf.Tensor): tf.Tensor {
    const t = x.shape[1]!;
    const f = this.opts.frames;
    if (!f || t <= f || this.opts.views <= 1)
      return tf.softmax(this.model.apply(x, { training: false }) as tf.Tensor);
    const starts = Array.from({ length: this.opts.views }, (_, i) =>
      Math.round((i * (t - f)) / (this.opts.views - 1)),
    );
    const probs = starts.map((s) => {
      const view = tf.slice(x, [0, s, 0, 0, 0], [-1, f, -1, -1, -1]);
      return tf.softmax(this.model.apply(view, { training: false }) as tf.Tensor);
    });
    return tf.div(tf.addN(probs), probs.length);
  }

  evalEnd(): Record<string, number> {
    const { loss, top1, top5, n } = this.sums;
    return { 'val/loss': loss / n, 'val/top1': top1 / n, 'val/top5': top5 / n };
  }
}
