/**
 * Sample quality with a judge — a classifier trained in vtx on real clips of the same data:
 *   - an attribute classifier run (`model.kind: attribute-classifier`: one softmax head per attribute), or
 *   - a plain classification run (ViT, ViViT or ConvNet: one head, the dataset's classes), read in the features its
 *     `head` layer takes (the pooled, normalised tokens or feature maps: the penultimate features).
 * It scores
 *   - accuracy: how often the judge reads what the sample was asked for (per attribute and averaged; or the class
 *     a class-conditional sample was conditioned on), also on held-out attribute combinations;
 *   - Fréchet distance between Gaussians fitted to the judge's pooled features of samples and of real clips.
 * A small-scale stand-in for FID/FVD (Heusel et al. 2017; Unterthiner et al. 2018): another feature network,
 * tiny data and few samples, so the numbers compare runs of this project only, never published values.
 */
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import * as tf from '@tensorflow/tfjs-core';
import * as tfl from '@tensorflow/tfjs-layers';
import { createLoader, type DataConfigInput } from '@vtx/data';
import { attributeHeadsOf, modelTask, type AttributeHead, type ClipShape } from '@vtx/models';
import { ExperimentConfig, loadRun, LatentSource, decodeLatents } from '@vtx/train';
import { latestCheckpoint } from '@vtx/checkpoint';
import { loadConfigFile } from '@vtx/config';
import { frechetDistance, gaussianStats } from './frechet.js';

/** One softmax head of a judge: its value names and its slice [offset, offset + values.length) of the logits. */
export type JudgeHead = AttributeHead;

/** The head of a classification-run judge: values are the class indices '0', '1', … */
export const CLASS_HEAD = 'class';

/** A loaded judge: `model` maps clips (B, T, H, W, C) in [-1, 1] to [logits (B, ΣK), features (B, D)]. */
export interface Judge {
  /** 'attribute': an attribute classifier run; 'class': a classification run (ViT, ViViT, ConvNet). */
  kind: 'attribute' | 'class';
  runDir: string;
  model: tfl.LayersModel;
  /** The clip size it was trained on; other sizes are resampled to it (`toJudgeSize`). */
  clip: ClipShape;
  heads: JudgeHead[];
  /** Free its weights. */
  dispose(): void;
}

/** What a judge run is, read from its config without loading weights (see `inspectJudge`). */
export type JudgeInfo = { kind: 'attribute'; heads: JudgeHead[] } | { kind: 'class'; numClasses: number };

/**
 * Check that a directory is a judge run with a checkpoint and say what it judges; throws an Error saying what is
 * wrong (no such directory, not a run, not a classifier, no checkpoint).
 */
export async function inspectJudge(runDir: string): Promise<JudgeInfo> {
  if (!existsSync(runDir)) throw new Error('no such directory');
  const file = join(runDir, 'config.yaml');
  if (!existsSync(file)) throw new Error(`not a run directory (no ${file})`);
  const cfg = await loadConfigFile(file, ExperimentConfig);
  const heads = attributeHeadsOf(cfg.model);
  let info: JudgeInfo;
  if (heads) info = { kind: 'attribute', heads };
  else if (modelTask(cfg.model) === 'classify' && 'numClasses' in cfg.model)
    info = { kind: 'class', numClasses: cfg.model.numClasses };
  else
    throw new Error(
      `a ${cfg.model.kind} run is not a judge: give an attribute classifier run (model.kind: attribute-classifier) ` +
        'or a classification run (ViT, ViViT, ConvNet) trained on the same data',
    );
  if (!(await latestCheckpoint(join(runDir, 'checkpoints'))))
    throw new Error(`no complete checkpoint under ${join(runDir, 'checkpoints')}`);
  return info;
}

/** Load a judge run: an attribute classifier or a classification run (its EMA weights when it has them). */
export async function loadJudge(runDir: string): Promise<Judge> {
  let info: JudgeInfo;
  try {
    info = await inspectJudge(runDir);
  } catch (e) {
    throw new Error(`${runDir}: ${(e as Error).message}`);
  }
  const run = await loadRun(runDir); // the EMA weights when the run kept them
  if (info.kind === 'attribute') {
    const { model, clip } = run; // outputs [logits, features] already
    return { kind: 'attribute', runDir, model, clip, heads: info.heads, dispose: () => model.dispose() };
  }
  let head: tfl.layers.Layer;
  try {
    head = run.model.getLayer('head');
  } catch {
    run.model.dispose();
    throw new Error(`${runDir}: the classifier has no 'head' layer to read features from`);
  }
  const model = tfl.model({
    inputs: run.model.inputs,
    outputs: [run.model.outputs[0]!, head.input as tfl.SymbolicTensor],
    name: `judge-${run.model.name}`,
  });
  return {
    kind: 'class',
    runDir,
    model,
    clip: run.clip,
    heads: [
      { name: CLASS_HEAD, values: Array.from({ length: info.numClasses }, (_, k) => String(k)), offset: 0 },
    ],
    dispose: () => run.model.dispose(), // the feature model shares its layers
  };
}

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
    const [jt, jh, jw, jc] = clip as [number, number, number, number?];
    if (jc !== undefined && c !== jc)
      throw new Error(`clips have ${c} channels but the judge takes ${jc} (is this a latent clip?)`);
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
export async function judgeClips(
  judge: Pick<Judge, 'model' | 'clip' | 'heads'>,
  x: tf.Tensor,
  batch = 16,
): Promise<JudgeOutput> {
  const heads = judge.heads;
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

/** An attribute judge's heads as attribute name -> value names. */
export function judgeVocabulary(heads: readonly JudgeHead[]): Record<string, string[]> {
  return Object.fromEntries(heads.map((h) => [h.name, [...h.values]]));
}

/** Real reference clips as the judge sees them, with what their rows say (the prompts and the truth of a score). */
export interface ReferenceSet extends JudgeOutput {
  /** Attribute name -> value name per clip (attributes a row lacks are left out). */
  attributes: Record<string, string>[];
  /** Class index per clip (-1: none). */
  labels: number[];
  /** The configured caption column per clip ('' when a row has none). */
  captions: string[];
  /** The dataset row id of each clip (`index.json`'s ids). */
  ids: string[];
  /** The dataset's class names (`index.labels.names`), or null. */
  labelNames: string[] | null;
  /** The dataset's builder kind (`index.builder.kind`: 'synthetic', 'occlusion', …), or null. */
  kind: string | null;
}

/** What the reference rows say: the prompts (captions, classes) and the truth (attributes) of a score. */
export type ReferenceRows = Omit<ReferenceSet, keyof JudgeOutput> & { n: number };

/**
 * Up to `count` rows of a dataset in loader order (unshuffled), passing over rows whose ids are in `exclude`, and
 * with `judge` their clips as the judge sees them (latent datasets written by `vtx encode` decoded through the VAE
 * their index names, resized to the judge's clip).
 */
async function readReference(
  data: DataConfigInput,
  count: number,
  judge: Pick<Judge, 'clip' | 'kind' | 'heads'> | null,
  exclude: ReadonlySet<string> = new Set(),
): Promise<ReferenceRows & { clips: tf.Tensor | null }> {
  // an attribute judge's vocabulary numbers the rows' values: one it does not know is an error naming the index.json
  const vocab = judge?.kind === 'attribute' ? judgeVocabulary(judge.heads) : undefined;
  const loader = await createLoader({
    batchSize: 16,
    ...data,
    shuffle: false,
    worker: false,
    ...(vocab ? { attributes: vocab } : {}),
  });
  const clips: tf.Tensor[] = [];
  const attributes: Record<string, string>[] = [];
  const labels: number[] = [];
  const captions: string[] = [];
  const ids: string[] = [];
  const names = loader.attributeNames ?? {};
  const latent = LatentSource.safeParse(loader.index.builder);
  try {
    let got = 0;
    while (got < count) {
      const b = await loader.next();
      if (b.epoch > 0) break;
      const keep = b.ids.flatMap((id, i) => (exclude.has(id) ? [] : [i]));
      if (keep.length === 0) continue;
      if (judge) {
        const all = tf.tensor(b.clips, b.shape);
        const x = keep.length < b.ids.length ? tf.gather(all, keep) : all;
        if (x !== all) all.dispose();
        const pixels = latent.success ? await decodeLatents(latent.data, x) : x;
        if (pixels !== x) x.dispose();
        const sized = toJudgeSize(pixels, judge.clip); // the input itself when the size is the judge's
        if (sized !== pixels) pixels.dispose();
        clips.push(sized);
      }
      for (const i of keep) {
        const row: Record<string, string> = {};
        for (const [k, v] of Object.entries(b.attributes ?? {})) {
          const name = names[k]?.[v[i]!];
          if (name !== undefined) row[k] = name;
        }
        attributes.push(row);
        labels.push(b.labels?.[i] ?? -1);
        captions.push(b.captions?.[i] ?? '');
        ids.push(b.ids[i]!);
      }
      got += keep.length;
    }
  } finally {
    await loader.close();
  }
  const n = Math.min(count, labels.length);
  let head: tf.Tensor | null = null;
  if (judge && clips.length) {
    const x = tf.concat(clips);
    tf.dispose(clips);
    head = tf.slice(x, 0, n);
    x.dispose();
  }
  return {
    n,
    clips: head,
    attributes: attributes.slice(0, n),
    labels: labels.slice(0, n),
    captions: captions.slice(0, n),
    ids: ids.slice(0, n),
    labelNames: loader.labelNames, // the numbering of `labels`: the data config's `labels` (the model's), else its own
    kind: typeof loader.index.builder['kind'] === 'string' ? loader.index.builder['kind'] : null,
  };
}

/** The first `count` rows of a dataset (unshuffled) without their clips: prompts and truth for a judge-less score. */
export async function referenceRows(data: DataConfigInput, count: number): Promise<ReferenceRows> {
  const { clips: _none, ...rows } = await readReference(data, count, null);
  return rows;
}

/**
 * Judge features of up to `count` real clips of a dataset, in loader order (unshuffled) and passing over the rows
 * whose ids are in `exclude`, for the Fréchet distance's reference, with what their rows say.
 */
export async function realFeatures(
  judge: Pick<Judge, 'model' | 'clip' | 'heads' | 'kind'>,
  data: DataConfigInput,
  count: number,
  exclude?: ReadonlySet<string>,
): Promise<ReferenceSet> {
  const { clips, n: _n, ...rows } = await readReference(data, count, judge, exclude);
  if (!clips) return { predictions: {}, features: new Float32Array(0), n: 0, d: 0, ...rows }; // no rows left
  const out = await judgeClips(judge, clips);
  clips.dispose();
  return { ...out, ...rows };
}

/** Fréchet distance between two judge feature sets. */
export function judgeFrechet(a: JudgeOutput, b: JudgeOutput): number {
  return frechetDistance(gaussianStats(a.features, a.n, a.d), gaussianStats(b.features, b.n, b.d));
}
