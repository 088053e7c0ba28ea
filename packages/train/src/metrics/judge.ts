/**
 * Sample quality with a judge (an attribute classifier trained in vtx on real clips):
 *   - attribute accuracy: how often the judge reads the attribute the sample was asked for, per attribute and
 *     averaged (also on held-out attribute combinations, by asking for combinations the generator never saw);
 *   - Fréchet distance between Gaussians fitted to the judge's pooled features of samples and of real clips.
 * A small-scale stand-in for FID/FVD (Heusel et al. 2017; Unterthiner et al. 2018): another feature network,
 * tiny data and few samples, so the numbers compare runs of this project only, never published values.
 */
import * as tf from '@tensorflow/tfjs-core';
import { createLoader, type DataConfigInput } from '@vtx/data';
import { attributeHeads } from '@vtx/models';
import type { AttributeClassifier } from './attribute-run.js';
import { frechetDistance, gaussianStats } from './frechet.js';

export interface JudgeOutput {
  /** Attribute name -> predicted value name per clip. */
  predictions: Record<string, string[]>;
  /** Pooled features (n, d), row-major. */
  features: Float32Array;
  n: number;
  d: number;
}

/**
 * Resample clips (B, T, H, W, C) in [-1, 1] to the judge's clip size: bilinear in space, nearest frame in time
 * (so samples at other sizes can be judged).
 */
export function toJudgeSize(x: tf.Tensor, clip: readonly number[]): tf.Tensor {
  return tf.tidy(() => {
    const [b, t, h, w, c] = x.shape as [number, number, number, number, number];
    const [jt, jh, jw] = clip as [number, number, number];
    let y = x;
    if (t !== jt) {
      const idx = Array.from({ length: jt }, (_, i) => Math.min(t - 1, Math.floor(((i + 0.5) * t) / jt)));
      y = tf.gather(y, tf.tensor1d(idx, 'int32'), 1);
    }
    if (h !== jh || w !== jw) {
      const frames = tf.reshape<tf.Rank.R4>(y, [b * jt, h, w, c]);
      y = tf.image.resizeBilinear(frames, [jh, jw], true).reshape([b, jt, jh, jw, c]);
    }
    return y;
  });
}

/** Run the judge over clips (B, T, H, W, C) in [-1, 1], in chunks of `batch`. */
export async function judgeClips(judge: AttributeClassifier, x: tf.Tensor, batch = 16): Promise<JudgeOutput> {
  const heads = attributeHeads(judge.cfg.model);
  const n = x.shape[0];
  const predictions: Record<string, string[]> = Object.fromEntries(heads.map((h) => [h.name, []]));
  const feats: Float32Array[] = [];
  let d = 0;
  for (let s = 0; s < n; s += batch) {
    const [logits, features] = tf.tidy(() => {
      const chunk = tf.slice(x, [s, 0, 0, 0, 0], [Math.min(batch, n - s), -1, -1, -1, -1]);
      return judge.model.predict(toJudgeSize(chunk, judge.clip)) as tf.Tensor[];
    });
    const [l, f] = await Promise.all([logits!.data(), features!.data()]);
    const k = logits!.shape[1]!;
    d = features!.shape[1]!;
    tf.dispose([logits!, features!]);
    const rows = l.length / k;
    for (let r = 0; r < rows; r++) {
      for (const h of heads) {
        let best = 0;
        for (let j = 1; j < h.values.length; j++)
          if (l[r * k + h.offset + j]! > l[r * k + h.offset + best]!) best = j;
        predictions[h.name]!.push(h.values[best]!);
      }
    }
    feats.push(f as Float32Array);
  }
  const features = new Float32Array(n * d);
  let o = 0;
  for (const f of feats) {
    features.set(f, o);
    o += f.length;
  }
  return { predictions, features, n, d };
}

/** Per-attribute accuracy of predictions against the requested attributes, and their mean (`mean`). */
export function attributeAccuracy(
  predictions: Record<string, string[]>,
  wanted: readonly Record<string, string>[],
  names: readonly string[] = Object.keys(predictions),
): Record<string, number> {
  const out: Record<string, number> = {};
  for (const name of names) {
    const pred = predictions[name];
    if (!pred) throw new Error(`the judge has no head for attribute '${name}'`);
    let hit = 0;
    let count = 0;
    wanted.forEach((w, i) => {
      if (w[name] === undefined) return;
      count++;
      if (pred[i] === w[name]) hit++;
    });
    if (count) out[name] = hit / count;
  }
  const vals = Object.values(out);
  out['mean'] = vals.reduce((a, v) => a + v, 0) / Math.max(1, vals.length);
  return out;
}

/** Judge features of up to `count` real clips of a dataset (for the Fréchet distance's reference). */
export async function realFeatures(
  judge: AttributeClassifier,
  data: DataConfigInput,
  count: number,
): Promise<JudgeOutput & { attributes: Record<string, string>[] }> {
  const loader = await createLoader({ batchSize: 16, ...data, shuffle: false, worker: false });
  const clips: tf.Tensor[] = [];
  const attributes: Record<string, string>[] = [];
  const vocab = loader.index.attributes ?? {};
  try {
    let got = 0;
    while (got < count) {
      const b = await loader.next();
      if (b.epoch > 0) break;
      clips.push(tf.tensor(b.clips, b.shape));
      for (let i = 0; i < b.shape[0]!; i++)
        attributes.push(
          Object.fromEntries(
            Object.entries(b.attributes ?? {}).map(([k, v]) => [k, vocab[k]?.[v[i]!] ?? '']),
          ),
        );
      got += b.shape[0]!;
    }
  } finally {
    await loader.close();
  }
  const x = tf.concat(clips.map((c) => toJudgeSize(c, judge.clip)));
  tf.dispose(clips);
  const n = Math.min(count, x.shape[0]);
  const head = tf.slice(x, 0, n);
  const out = await judgeClips(judge, head);
  tf.dispose([x, head]);
  return { ...out, attributes: attributes.slice(0, n) };
}

/** Fréchet distance between two judge feature sets. */
export function judgeFrechet(a: JudgeOutput, b: JudgeOutput): number {
  return frechetDistance(gaussianStats(a.features, a.n, a.d), gaussianStats(b.features, b.n, b.d));
}
