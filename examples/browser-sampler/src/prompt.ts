/**
 * Prompting with pictures and clips in the page, as `vtx sample --image/--extend/--connect/--edit` does in Node
 * (packages/cli/src/commands/sample-prompt.ts; docs/frame-conditioning.md): uploaded frames (./upload.ts, RGBA at the
 * clip's H x W) go to [-1, 1] (the export's range; luma, ITU-R BT.601, for a 1-channel model) and become what
 * @vtx/models' sampler is given:
 *   image    the picture fills the first tubelet (a still is a tubelet of equal frames), the rest is generated
 *   extend   the upload's last k frames start the output, `frames` long (longer than the clip: `extendClips` slides
 *            its window); backward, its first k frames end it
 *   connect  A's last k frames start the clip and B's first k end it, the middle is generated
 *   edit     the upload's first T frames, noised to `strength` and denoised under the chosen class or caption
 * k is what `vtx sample` gives: the most tubelets the run was given at one end in training (`maxGiven`, default half
 * the clip), for connect at most what leaves one tubelet between the ends. The masked modes need a model trained
 * with frame conditioning; editing works with any.
 */
import * as tf from '@tensorflow/tfjs-core';
import {
  frameConditioningOf,
  frameMask,
  givenFrameCounts,
  type ClipShape,
  type ModelConfig,
} from '@vtx/models';
import { uploadName, type Upload } from './upload.js';

export type PromptMode = 'noise' | 'image' | 'extend' | 'connect' | 'edit';
/** The modes that give frames through a mask (need `model.frameConditioning`). */
export const MASKED_MODES: readonly PromptMode[] = ['image', 'extend', 'connect'];

/** The modes an export offers: sampling from noise and editing always; the masked ones for a frame-conditioned model with pixel channels. */
export function modesOf(model: ModelConfig, clip: ClipShape): PromptMode[] {
  const pixels = clip[3] === 1 || clip[3] === 3;
  if (!pixels) return ['noise'];
  return frameConditioningOf(model) ? ['noise', ...MASKED_MODES, 'edit'] : ['noise', 'edit'];
}

/** The frames given at one end (extend, and image-to-video's unit) and at each end of a connection. */
export function givenCounts(model: ModelConfig, T: number): { unit: number; end: number; connect: number } {
  const fc = frameConditioningOf(model);
  if (!fc) throw new Error('this model was trained without frame conditioning: it cannot be given frames');
  return { unit: fc.unit, ...givenFrameCounts(fc, T) };
}

/** RGBA frames (H x W) as (frames, H, W, C) values in [-1, 1]. */
export function framesToClip(frames: readonly Uint8ClampedArray[], clip: ClipShape): Float32Array {
  const [, h, w, c] = clip;
  if (c !== 1 && c !== 3) throw new Error(`pictures give RGB or luma; this model's clips have ${c} channels`);
  const unitRange = (v: number) => (v / 255) * 2 - 1;
  const out = new Float32Array(frames.length * h * w * c);
  frames.forEach((rgba, f) => {
    if (rgba.length !== h * w * 4)
      throw new Error(`frame ${f} has ${rgba.length / 4} pixels; the clip's frames have ${h} x ${w}`);
    for (let i = 0, o = f * h * w * c; i < h * w; i++, o += c) {
      const [r, g, b] = [rgba[4 * i]!, rgba[4 * i + 1]!, rgba[4 * i + 2]!];
      if (c === 1) out[o] = unitRange(0.299 * r + 0.587 * g + 0.114 * b);
      else out.set([unitRange(r), unitRange(g), unitRange(b)], o);
    }
  });
  return out;
}

/** What the sampler is given: frames to keep, a clip to edit, or a video to extend (see `extendClips`). */
export interface PromptInputs {
  given?: { clip: tf.Tensor; frames: boolean[] };
  edit?: { clip: tf.Tensor; strength: number };
  extend?: { video: tf.Tensor; frames: number; backward: boolean; overlap: number };
}

export interface PromptRequest {
  mode: Exclude<PromptMode, 'noise'>;
  /** The uploads by slot: image, extend, a and b (connect), edit. */
  uploads: Partial<Record<'image' | 'extend' | 'a' | 'b' | 'edit', Upload>>;
  /** extend: frames in the output (default the clip's); backward. */
  frames?: number;
  backward?: boolean;
  /** edit: 0 (keep the input) to 1 (sample from noise). */
  strength?: number;
}

/** The first or last `n` frames of an upload; an error naming it when it has fewer. */
function takeFrames(
  u: Upload | undefined,
  what: string,
  n: number,
  from: 'start' | 'end',
): Uint8ClampedArray[] {
  if (!u) throw new Error(`${what}: choose a file first`);
  const have = u.frames.length;
  if (have < n)
    throw new Error(`${what}: ${uploadName(u)} has ${have} frame${have === 1 ? '' : 's'}; ${n} are needed`);
  return from === 'start' ? u.frames.slice(0, n) : u.frames.slice(have - n);
}

/** The sampler's inputs for `req` on a model of `clip` (tensors the caller disposes: `promptTensors`). */
export function promptInputs(model: ModelConfig, clip: ClipShape, req: PromptRequest): PromptInputs {
  const [T, H, W, C] = clip;
  const tensor = (frames: Uint8ClampedArray[]) =>
    tf.tensor(framesToClip(frames, clip), [1, frames.length, H, W, C]);
  if (req.mode === 'edit') {
    const s = req.strength ?? NaN;
    if (!(s >= 0 && s <= 1)) throw new Error(`edit: strength ${s} must be from 0 to 1`);
    return { edit: { clip: tensor(takeFrames(req.uploads.edit, 'edit', T, 'start')), strength: s } };
  }
  const { unit, end, connect } = givenCounts(model, T);
  const blank = (n: number) => Array.from({ length: n }, () => new Uint8ClampedArray(H * W * 4));
  if (req.mode === 'image') {
    const [still] = takeFrames(req.uploads.image, 'image-to-video', 1, 'start');
    const frames = [...Array<Uint8ClampedArray>(unit).fill(still!), ...blank(T - unit)];
    return { given: { clip: tensor(frames), frames: frameMask('first', T, unit) } };
  }
  if (req.mode === 'connect') {
    if (connect < 1) throw new Error(`connect: the clip's ${T / unit} tubelets are too few (3 or more)`);
    const a = takeFrames(req.uploads.a, 'connect A', connect, 'end');
    const b = takeFrames(req.uploads.b, 'connect B', connect, 'start');
    const frames = [...a, ...blank(T - 2 * connect), ...b];
    return { given: { clip: tensor(frames), frames: frameMask('both', T, connect) } };
  }
  if (end < 1) throw new Error(`extend: the clip's ${T / unit} tubelet is too few (2 or more)`);
  const length = req.frames ?? T;
  if (!Number.isInteger(length) || length <= end)
    throw new Error(`extend: frames ${length}: the output holds the ${end} given frames; ask for more`);
  const backward = req.backward === true;
  const video = tensor(takeFrames(req.uploads.extend, 'extend', end, backward ? 'start' : 'end'));
  return { extend: { video, frames: length, backward, overlap: end } };
}

/** The tensors of a prompt's inputs, to dispose after sampling. */
export const promptTensors = (p: PromptInputs): tf.Tensor[] =>
  [p.given?.clip, p.edit?.clip, p.extend?.video].filter((t) => t !== undefined);
