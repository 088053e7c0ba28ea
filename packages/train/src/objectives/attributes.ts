/**
 * Attribute classification (the attribute classifier: judge and captioner): one softmax head per attribute of the
 * batch's `attributes` column, the loss the sum of the heads' cross-entropies (each with label smoothing, and mixup
 * of the clips and every head's targets with one λ); evaluation reports the summed loss and each head's accuracy
 * (`val/acc/<attribute>`) and their mean (`val/acc`).
 */
import * as tf from '@tensorflow/tfjs-core';
import type * as tfl from '@tensorflow/tfjs-layers';
import { softmaxCrossEntropy } from '@vtx/core';
import type { Batch } from '@vtx/data';
import type { AttributeHead } from '@vtx/models';
import { flipMixup, oneHotTargets } from './classify.js';
import { clipsOf, type LossOutput, type Objective } from './objective.js';

export interface AttributesOptions {
  heads: AttributeHead[];
  labelSmoothing: number;
  mixup: number;
  seed: number;
}

export class AttributesObjective implements Objective {
  readonly task = 'attributes';
  private sums = { loss: 0, n: 0, hits: {} as Record<string, number> };

  constructor(
    private readonly model: tfl.LayersModel,
    private readonly opts: AttributesOptions,
  ) {}

  /** Each head's labels (B,), checked against its vocabulary. */
  private labels(batch: Batch): Int32Array[] {
    if (!batch.attributes)
      throw new Error('the dataset has no attributes column: an attribute classifier needs one');
    return this.opts.heads.map(({ name, values }) => {
      const y = batch.attributes![name];
      if (!y) throw new Error(`the batch has no attribute '${name}' (model.attributes names it)`);
      const bad = y.findIndex((v) => v < 0 || v >= values.length);
      if (bad >= 0)
        throw new Error(`clip '${batch.ids[bad]}': attribute '${name}' is missing or out of range`);
      return y;
    });
  }

  /** Each head's logits (B, K_a): its slice of the model's concatenated logits. */
  private headLogits(x: tf.Tensor, training: boolean): tf.Tensor2D[] {
    const [logits] = this.model.apply(x, { training }) as tf.Tensor[]; // (B, ΣK_a); the features are not used
    return this.opts.heads.map(
      ({ offset, values }) => tf.slice(logits!, [0, offset], [-1, values.length]) as tf.Tensor2D,
    );
  }

  loss(batch: Batch, step: number): LossOutput {
    const labels = this.labels(batch);
    const { labelSmoothing: eps, mixup } = this.opts;
    let x = clipsOf(tf, batch); // (B, T, H, W, C)
    let targets = this.opts.heads.map((h, a) => oneHotTargets(labels[a]!, h.values.length));
    if (mixup > 0) ({ x, targets } = flipMixup(x, targets, mixup, this.opts.seed, step));
    const logits = this.headLogits(x, true);
    const losses = logits.map((l, a) =>
      tf.mean<tf.Scalar>(softmaxCrossEntropy(l, targets[a]!, { labelSmoothing: eps })),
    );
    const metrics: Record<string, tf.Scalar> = {};
    this.opts.heads.forEach(({ name }, a) => {
      const hit = tf.equal(tf.argMax(logits[a]!, -1), tf.tensor1d(labels[a]!, 'int32'));
      metrics[`acc/${name}`] = tf.mean<tf.Scalar>(tf.cast(hit, 'float32'));
    });
    return { loss: tf.addN<tf.Scalar>(losses), metrics };
  }

  evalBegin(): void {
    this.sums = { loss: 0, n: 0, hits: {} };
  }

  async evalBatch(batch: Batch): Promise<void> {
    const labels = this.labels(batch);
    const sums = tf.tidy(() => {
      const logits = this.headLogits(clipsOf(tf, batch), false);
      return logits.flatMap((l, a) => {
        const y = tf.tensor1d(labels[a]!, 'int32');
        const nll = tf.neg(tf.sum(tf.mul(tf.oneHot(y, l.shape[1]), tf.logSoftmax(l)))); // summed over the batch
        return [nll, tf.sum(tf.cast(tf.equal(tf.argMax(l, -1), y), 'float32'))];
      });
    });
    const values = await Promise.all(sums.map((t) => t.data()));
    tf.dispose(sums);
    this.opts.heads.forEach(({ name }, a) => {
      this.sums.loss += values[2 * a]![0]!;
      this.sums.hits[name] = (this.sums.hits[name] ?? 0) + values[2 * a + 1]![0]!;
    });
    this.sums.n += batch.ids.length;
  }

  evalEnd(): Record<string, number> {
    const { loss, n, hits } = this.sums;
    const accs = Object.fromEntries(this.opts.heads.map(({ name }) => [`val/acc/${name}`, hits[name]! / n]));
    const mean = Object.values(accs).reduce((s, v) => s + v, 0) / this.opts.heads.length;
    return { 'val/loss': loss / n, ...accs, 'val/acc': mean };
  }
}
