/**
 * Extending clips forward or backward in time, past the length the model was trained on: a window of the training
 * length slides along the video, and each window is sampled with its first (forward) or last (backward) `overlap`
 * frames given: the newest frames of what is there so far. Every window keeps its given frames exactly, so the
 * windows join without a seam, and the input video appears unchanged in the output. Needs a model built with
 * `frameConditioning`.
 */
import * as tf from '@tensorflow/tfjs-core';
import type * as tfl from '@tensorflow/tfjs-layers';
import { mix32 } from '@vtx/core';
import type { NoiseProcess } from '../diffusion/process.js';
import { givenFrameUnit } from '../frames/given-channel.js';
import { frameMask } from '../frames/masks.js';
import type { Condition } from './condition.js';
import { sampleClips, type SampleClipsOptions } from './sample.js';

export interface ExtendClipsOptions extends Omit<SampleClipsOptions, 'given' | 'edit'> {
  /** The given video (count or 1, Tv, H, W, C) in the data's range; `clip` is the window, the training clip. */
  video: tf.Tensor;
  /** Frames of the output (the video's and the new ones), at least the video's; may exceed the window. */
  frames: number;
  /** Extend into the past: the video ends the output. Default forward (the video starts it). */
  backward?: boolean;
  /**
   * Frames each window is given (the newest frames so far); default half the window, at most the video's.
   * Whole tubelets, and fewer than the window's frames.
   */
  overlap?: number;
}

/** (count, frames, H, W, C): the video followed (or, backward, preceded) by generated frames. */
export async function extendClips(
  model: tfl.LayersModel,
  process: NoiseProcess,
  cond: Condition,
  opts: ExtendClipsOptions,
): Promise<tf.Tensor> {
  const { video, frames, backward = false, ...sampling } = opts;
  const n = opts.count;
  const [T, H, W, C] = opts.clip;
  const unit = givenFrameUnit(model);
  if (
    video.rank !== 5 ||
    (video.shape[0] !== 1 && video.shape[0] !== n) ||
    video.shape[2] !== H ||
    video.shape[3] !== W ||
    video.shape[4] !== C
  )
    throw new Error(
      `extend: video (${video.shape.join(', ')}) must be (${n} or 1, frames, ${H}, ${W}, ${C})`,
    );
  const have = video.shape[1]!;
  const overlap = opts.overlap ?? Math.min(have, Math.max(unit, Math.floor(T / 2 / unit) * unit));
  if (!Number.isInteger(overlap) || overlap < 1 || overlap % unit || overlap >= T || overlap > have)
    throw new Error(
      `extend: overlap ${overlap} must be whole tubelets of ${unit} frames, fewer than the window's ${T} and ` +
        `at most the video's ${have}`,
    );
  if (!Number.isInteger(frames) || frames < have)
    throw new Error(`extend: frames ${frames} must be a whole number of at least the video's ${have}`);
  const mask = frameMask(backward ? 'last' : 'first', T, overlap);
  let out = video.shape[0] === n ? tf.clone(video) : tf.tile(video, [n, 1, 1, 1, 1]);
  for (let w = 0; out.shape[1]! < frames; w++) {
    const len = out.shape[1]!;
    const window = tf.tidy(() => {
      const blank = tf.zeros([n, T - overlap, H, W, C]);
      const kept = tf.slice(out, [0, backward ? 0 : len - overlap], [n, overlap]); // the newest frames
      return tf.concat(backward ? [blank, kept] : [kept, blank], 1); // (n, T, H, W, C)
    });
    let sample: tf.Tensor;
    try {
      sample = await sampleClips(model, process, cond, {
        ...sampling,
        seed: mix32(opts.seed, w),
        given: { clip: window, frames: mask },
      });
    } finally {
      window.dispose();
    }
    const next = tf.tidy(() => {
      const fresh = tf.slice(sample, [0, backward ? 0 : overlap], [n, T - overlap]); // the generated frames
      return tf.concat(backward ? [fresh, out] : [out, fresh], 1);
    });
    tf.dispose([sample, out]);
    out = next;
  }
  const trimmed = tf.slice(out, [0, backward ? out.shape[1]! - frames : 0], [n, frames]);
  out.dispose();
  return trimmed;
}
