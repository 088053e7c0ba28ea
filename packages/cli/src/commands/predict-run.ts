/**
 * `vtx predict RUN --video F | --image F`: classify one file with a trained ViT / ViViT run. The file is decoded at
 * the size the run evaluates at (its evaluation crop, else the model's clip; scaled to cover and centre-cropped, or
 * stretched for a `resize` crop), sampled at the run's stride, normalised as its data, and read through the run's
 * evaluation views (`eval.views` temporal windows x `eval.crops` spatial crops, logits averaged: the multi-view test
 * its evaluation uses). Prints the top-k classes with their probabilities; `--json` prints one JSON object.
 * What was resized, resampled or repeated is said on stderr.
 */
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import * as tf from '@tensorflow/tfjs-core';
import {
  DataConfig,
  MOTION_CLASSES,
  builtinDir,
  normalization,
  openDataset,
  readImageClip,
  readVideoClip,
  type DatasetIndex,
  type InputClip,
} from '@vtx/data';
import { modelTask, numClassesOf } from '@vtx/models';
import {
  classifierViews,
  evalDataInput,
  humanNumber,
  loadRun,
  multiViewLogits,
  startBackend,
  setMatmulPrecision,
  viewPlan,
  type ExperimentConfig,
} from '@vtx/train';
import { UsageError } from './common.js';

export interface PredictRunArgs {
  run: string;
  video?: string | undefined;
  image?: string | undefined;
  top: number;
  fps?: number | undefined;
  json: boolean;
}

/** One prediction: the class index, its name and its probability. */
export interface Prediction {
  class: number;
  name: string;
  probability: number;
}

const say = (line: string) => process.stderr.write(`${line}\n`);

export async function predictRun(a: PredictRunArgs): Promise<void> {
  if ((a.video === undefined) === (a.image === undefined))
    throw new UsageError(`vtx predict ${a.run}: give one of --video FILE or --image FILE`);
  await startBackend();
  const run = await loadRun(a.run); // EMA weights when the run keeps them, as its evaluation;
  await setMatmulPrecision(run.cfg.matmulPrecision);
  try {
    if (modelTask(run.cfg.model) !== 'classify')
      throw new UsageError(
        `${a.run} is a ${run.cfg.model.kind} run; vtx predict RUN classifies with a ViT or ViViT classifier run`,
      );
    const numClasses = numClassesOf(run.cfg.model)!;
    const index = await trainingIndex(run.cfg);
    if (index?.dtype === 'float32')
      throw new UsageError(`${a.run} trains on latents (float32 data); vtx predict RUN reads pixels`);
    // the views of its evaluation, at the size its model was built for where its transforms do not say
    const declared = classifierViews(run.cfg);
    const views = {
      ...declared,
      frames: declared.frames ?? run.clip[0],
      size: declared.size ?? ([run.clip[1], run.clip[2]] as const),
    };
    const { transforms } = DataConfig.parse(evalDataInput(run.cfg));
    if (transforms.patchify)
      throw new UsageError(`${a.run}: data.transforms.patchify is set; vtx predict RUN feeds whole clips`);
    const crop = transforms.crop;
    const [height, width] = crop ? [crop.height, crop.width] : [run.clip[1], run.clip[2]];
    const resize = crop?.kind === 'resize' ? 'stretch' : 'crop';
    const file = (a.video ?? a.image)!;
    const read = { height, width, resize, fps: a.fps } as const;
    const input = a.video ? await readVideoClip(file, read) : await readImageClip(file, read);
    const clip = modelFrames(input, transforms.stride, views.frames);
    const plan = viewPlan([1, ...clip.shape], views);
    say(
      `${file}: ${input.source.width}x${input.source.height}` +
        `${input.source.fps ? ` at ${humanNumber(input.source.fps)} fps` : ''}, resized to ${width}x${height} ` +
        `(${resize === 'crop' ? 'scaled to cover, centre crop' : 'stretched'}); ${clip.shape[0]} frames` +
        `${transforms.stride > 1 ? ` at stride ${transforms.stride}` : ''}${clip.note}; ` +
        `${plan.starts.length} window(s) x ${plan.corners.length} crop(s) of ` +
        `${plan.frames}x${plan.size[0]}x${plan.size[1]}`,
    );
    const probs = tf.tidy(() => {
      const x = tf.tensor(normalised(clip.data, transforms.normalize), [1, ...clip.shape]);
      const apply = (v: tf.Tensor) => run.model.apply(v, { training: false }) as tf.Tensor;
      return tf.softmax(multiViewLogits(apply, x, views)).reshape([-1]);
    });
    const p = Array.from(await probs.data());
    probs.dispose();
    const names = classNames(run.cfg, index, numClasses);
    const top: Prediction[] = p
      .map((probability, k) => ({ class: k, name: names[k]!, probability }))
      .sort((x, y) => y.probability - x.probability)
      .slice(0, Math.min(a.top, numClasses));
    process.stdout.write(
      a.json
        ? `${JSON.stringify({
            file,
            run: a.run,
            checkpoint: run.checkpoint,
            step: run.step,
            views: plan.starts.length,
            crops: plan.corners.length,
            top,
          })}\n`
        : top
            .map((t, i) => `${i + 1}. ${t.name} (class ${t.class}): ${humanNumber(t.probability)}`)
            .join('\n') + '\n',
    );
  } finally {
    run.model.dispose();
  }
}

/**
 * Every `stride`-th frame of the decoded clip; one shorter than the model's `frames` repeats its last frame up to
 * that length (an image becomes `frames` identical frames), and `note` says so.
 */
function modelFrames(
  input: InputClip,
  stride: number,
  frames: number,
): { data: Uint8Array; shape: [number, number, number, number]; note: string } {
  const [t, h, w, c] = input.shape;
  const per = h * w * c;
  const kept = Math.floor((t - 1) / stride) + 1;
  const n = Math.max(kept, frames);
  const data = new Uint8Array(n * per);
  for (let i = 0; i < n; i++) {
    const src = Math.min(i, kept - 1) * stride;
    data.set(input.data.subarray(src * per, (src + 1) * per), i * per);
  }
  const note = kept < frames ? `, the last of ${kept} repeated to the ${frames} frames the model takes` : '';
  return { data, shape: [n, h, w, c], note };
}

/** uint8 -> float32 as the run's data is normalised (`data.transforms.normalize`, default [-1, 1]). */
function normalised(data: Uint8Array, norm: DataConfig['transforms']['normalize']): Float32Array {
  const { scale, bias } = normalization(norm, 'uint8', 3);
  const out = new Float32Array(data.length);
  for (let i = 0; i < data.length; i++) out[i] = data[i]! * scale[i % 3]! + bias[i % 3]!;
  return out;
}

/** The training data's index.json, when it is on this machine (a built-in dataset once built); else null. */
async function trainingIndex(cfg: ExperimentConfig): Promise<DatasetIndex | null> {
  const ds = cfg.data.dataset;
  const dir = typeof ds === 'string' ? ds : builtinDir(ds, cfg.data.cacheDir);
  if (!existsSync(join(dir, 'index.json'))) return null;
  return (await openDataset(dir, { verify: false })).index;
}

/**
 * The names of the model's classes, as its training loader numbered them: `data.labels`, else the training data's
 * index.json, else the motion classes of the built-in shapes, else `class <k>`.
 */
function classNames(cfg: ExperimentConfig, index: DatasetIndex | null, n: number): string[] {
  const ds = cfg.data.dataset;
  const shapes = typeof ds !== 'string' && (ds.kind === 'synthetic' || ds.kind === 'native-shapes');
  const names = cfg.data.labels ?? index?.labels?.names ?? (shapes ? [...MOTION_CLASSES] : []);
  return Array.from({ length: n }, (_, k) => names[k] ?? `class ${k}`);
}
