/**
 * Classification (ViT, ViViT): softmax cross-entropy with label smoothing (Szegedy et al. 2016) and mixup
 * (Zhang et al. 2018); evaluation reports loss, top-1 and top-5 of the softmax of the logits averaged over `views`
 * temporal windows x `crops` spatial crops of each clip when the evaluation clips are longer or larger than the
 * training ones (ViViT's multi-view test, ./views.ts).
 */
import { mkdir } from 'node:fs/promises';
import { join } from 'node:path';
import * as tf from '@tensorflow/tfjs-core';
import type * as tfl from '@tensorflow/tfjs-layers';
import { mix32, mulberry32, softmaxCrossEntropy } from '@vtx/core';
import type { Batch } from '@vtx/data';
import { writeFileAtomic } from '@vtx/runs';
import { clipsOf, type LossOutput, type Objective } from './objective.js';
import type { ExperimentConfig } from '../experiment.js';
import { multiViewLogits, type ViewOptions } from './views.js';

export interface ClassifyOptions extends ViewOptions {
  numClasses: number;
  labelSmoothing: number;
  mixup: number;
  seed: number;
}

/**
 * A run's evaluation views: the frames and size it trains on, as its training transforms declare them
 * (`data.transforms.frames`, `data.transforms.crop`; null where they do not, so evaluation clips of that axis are
 * fed whole, as a model trained at several sizes takes them), and `eval.views` windows x `eval.crops` crops.
 */
export function classifierViews(cfg: ExperimentConfig): ViewOptions {
  const { frames, crop } = cfg.data.transforms;
  return {
    frames: frames ?? null,
    size: crop ? [crop.height, crop.width] : null,
    views: cfg.eval.views,
    crops: cfg.eval.crops,
  };
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

/** Per-class accuracy and the confusion matrix of one evaluation (`<run>/eval/classes-step-N.json`). */
export interface ClassReport {
  /** Class names as the training data numbers them (`class <k>` where the data has none). */
  classes: string[];
  /** Per class: its evaluation clips, how many were classified right, and the fraction (null without clips). */
  perClass: { class: number; name: string; clips: number; correct: number; accuracy: number | null }[];
  /** confusion[true][predicted]: evaluation clips of class `true` the model put in class `predicted` (top-1). */
  confusion: number[][];
}

/** Where `writeClassReport` writes step `step`'s report in `dir`. */
export function classReportFile(dir: string, step: number): string {
  return join(dir, `classes-step-${String(step).padStart(6, '0')}.json`);
}

/** `<dir>/classes-step-N.json` (N zero-padded to 6 digits, as the other per-step files of a run): the report. */
export async function writeClassReport(dir: string, step: number, report: ClassReport): Promise<string> {
  const file = classReportFile(dir, step);
  await mkdir(dir, { recursive: true });
  await writeFileAtomic(file, `${JSON.stringify({ step, ...report })}\n`);
  return file;
}

/**
 * One-hot targets (B, K) of labels in [0, K). Label smoothing (Szegedy et al. 2016) is the loss's
 * (`softmaxCrossEntropy`'s `labelSmoothing`, fused on backends with the kernel): it commutes with mixup's convex mix.
 */
export function oneHotTargets(labels: Int32Array, k: number): tf.Tensor2D {
  return tf.tidy(() => tf.cast(tf.oneHot(tf.tensor1d(labels, 'int32'), k), 'float32') as tf.Tensor2D);
}

/**
 * Mixup (Zhang et al. 2018) of a batch with itself in reverse order (timm's "flip" mixup), λ ~ Beta(α, α) drawn from
 * the run's seed and the step: the clips and every target tensor mixed with the same λ.
 */
export function flipMixup<T extends tf.Tensor[]>(
  x: tf.Tensor,
  targets: T,
  alpha: number,
  seed: number,
  step: number,
): { x: tf.Tensor; targets: T } {
  const lam = sampleBeta(alpha, mulberry32(mix32(seed, step)));
  const mix = <U extends tf.Tensor>(t: U): U => tf.add(tf.mul(t, lam), tf.mul(tf.reverse(t, 0), 1 - lam));
  return { x: mix(x), targets: targets.map(mix) as T };
}

export class ClassifyObjective implements Objective {
  readonly task = 'classify';
  private sums = { loss: 0, top1: 0, top5: 0, n: 0 };
  private confusion: number[][] = [];

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

  loss(batch: Batch, step: number): LossOutput {
    const labels = this.labels(batch);
    let x = clipsOf(tf, batch); // (B, T, H, W, C)
    let target = oneHotTargets(labels, this.opts.numClasses); // (B, K)
    if (this.opts.mixup > 0) {
      const mixed = flipMixup(x, [target], this.opts.mixup, this.opts.seed, step);
      x = mixed.x;
      target = mixed.targets[0]!;
    }
    const logits = this.model.apply(x, { training: true }) as tf.Tensor2D; // (B, K)
    const { labelSmoothing } = this.opts;
    const loss = tf.mean<tf.Scalar>(softmaxCrossEntropy(logits, target, { labelSmoothing }));
    const top1 = tf.mean<tf.Scalar>(
      tf.cast(tf.equal(tf.argMax(logits, -1), tf.tensor1d(labels, 'int32')), 'float32'),
    );
    return { loss, metrics: { top1 } };
  }

  evalBegin(): void {
    this.sums = { loss: 0, top1: 0, top5: 0, n: 0 };
    const k = this.opts.numClasses;
    this.confusion = Array.from({ length: k }, () => new Array<number>(k).fill(0));
  }

  async evalBatch(batch: Batch): Promise<void> {
    const labels = this.labels(batch);
    const [loss, top1, top5, pred] = tf.tidy((): [tf.Tensor, tf.Tensor, tf.Tensor, tf.Tensor] => {
      const probs = this.viewsProbabilities(clipsOf(tf, batch)); // (B, K)
      const y = tf.tensor1d(labels, 'int32');
      const nll = tf.neg(
        tf.sum(tf.mul(tf.oneHot(y, this.opts.numClasses), tf.log(tf.add(probs, 1e-12))), -1),
      );
      const k = Math.min(5, this.opts.numClasses);
      const { indices } = tf.topk(probs, k);
      const hitK = tf.any(tf.equal(indices, y.reshape([-1, 1])), -1);
      const argmax = tf.argMax(probs, -1);
      const hit1 = tf.equal(argmax, y);
      return [tf.sum(nll), tf.sum(tf.cast(hit1, 'float32')), tf.sum(tf.cast(hitK, 'float32')), argmax];
    });
    const [l, a1, a5, p] = await Promise.all([loss.data(), top1.data(), top5.data(), pred.data()]);
    tf.dispose([loss, top1, top5, pred]);
    labels.forEach((y, i) => this.confusion[y]![p[i]!]!++);
    this.sums.loss += l[0]!;
    this.sums.top1 += a1[0]!;
    this.sums.top5 += a5[0]!;
    this.sums.n += labels.length;
  }

  /** Softmax of the logits averaged over the evaluation views (./views.ts). */
  private viewsProbabilities(x: tf.Tensor): tf.Tensor {
    const apply = (v: tf.Tensor) => this.model.apply(v, { training: false }) as tf.Tensor;
    return tf.softmax(multiViewLogits(apply, x, this.opts));
  }

  /** Replace the confusion matrix by `sum` of it (data-parallel ranks: every rank's share of the batches). */
  sumConfusion(sum: (counts: Float64Array) => void): void {
    const k = this.confusion.length;
    const flat = Float64Array.from(this.confusion.flat());
    sum(flat);
    this.confusion = Array.from({ length: k }, (_, i) => Array.from(flat.subarray(i * k, (i + 1) * k)));
  }

  /** The last evaluation's per-class accuracy and confusion matrix, its classes named by `names` where given. */
  classReport(names: readonly string[] | null): ClassReport {
    const classes = this.confusion.map((_, k) => names?.[k] ?? `class ${k}`);
    const perClass = this.confusion.map((row, k) => {
      const clips = row.reduce((a, b) => a + b, 0);
      const correct = row[k]!;
      return { class: k, name: classes[k]!, clips, correct, accuracy: clips ? correct / clips : null };
    });
    return { classes, perClass, confusion: this.confusion.map((row) => [...row]) };
  }

  evalEnd(): Record<string, number> {
    const { loss, top1, top5, n } = this.sums;
    return { 'val/loss': loss / n, 'val/top1': top1 / n, 'val/top5': top5 / n };
  }
}
