/**
 * The measurements of docs/frame-conditioning.md: a frame-conditioned bouncing-shapes run prompted with held-out
 * real clips in every mode, each generated clip read in closed form (`continuation.ts`), each rate beside the same
 * question asked of real clips (what the reader reads on the data: the ceiling) and of spliced clips whose given
 * frames come from one real clip and the rest from another (what a model that ignored its given frames would
 * score at best: chance). The modes:
 *   image-to-video      frame 0 given, frames 1-3 generated: the subject continues (colour, size, no jump)
 *   extend (4 / 12)     frames 0-1 given, extended to the training length and to 3x it: direction (and, to 4,
 *                       speed) kept; backward the same from the last two frames
 *   connect             frames 0 and 3 given (A's last, B's first): frames 1-2 move from one to the other
 *   edit                SDEdit of a real clip under its caption with the background (or the colour) changed:
 *                       the new one drawn in frames 0 and 3 while the motion is kept (the same motion class, the
 *                       centre within 2 px of the input's on average)
 * Frame-only modes sample with the empty caption, so what they keep can only come from the given frames.
 */
import * as tf from '@tensorflow/tfjs-core';
import type { COLOUR_RGB } from '@vtx/data';
import {
  SHAPE_ATTRIBUTES,
  SyntheticSpec,
  descriptiveCaption,
  shapesClip,
  type ShapeAttributes,
} from '@vtx/data';
import { extendClips, frameMask, sampleClips } from '@vtx/models';
import { type LoadedRun } from '@vtx/train';
import { writePngSheet } from '@vtx/media';
import { join } from 'node:path';
import {
  connects,
  continuesSubject,
  frameSubject,
  keepsMotion,
  motionClass,
  nearestColour,
  type ClipData,
} from './continuation.js';

export interface FrameModeScore {
  mode: string;
  question: string;
  /** Fraction of the generated clips that pass. */
  model: number;
  /** The same question of spliced real clips (given frames from one, the rest from another). */
  chance: number;
  /** The same question of the real clips. */
  real: number;
}

export interface FrameModesOptions {
  /** Held-out clips prompted per mode (default 64). */
  count?: number;
  seed?: number;
  /** SDEdit strength (default 0.6). */
  strength?: number;
  /** Write a PNG sheet of the first 8 clips of each mode here. */
  sheets?: string;
  /** Sampling steps (e.g. '20'); default the run's. */
  steps?: string;
}

interface Real {
  clips: ClipData[];
  tensor: tf.Tensor; // (n, frames, H, W, 3)
  attributes: ShapeAttributes[];
}

/** n held-out real clips of `frames` frames at the run's size (dataset seed 1234: not the training draw). */
function realClips(n: number, frames: number, [h, w]: readonly number[]): Real {
  const spec = SyntheticSpec.parse({ kind: 'synthetic', count: n, frames, height: h, width: w, seed: 1234 });
  const records = Array.from({ length: n }, (_, i) => shapesClip(spec, i, [frames, h!, w!]));
  const data = records.map((r) => Float32Array.from(r.data, (v) => v / 127.5 - 1));
  const shape = [frames, h!, w!, 3] as const;
  const flat = new Float32Array(n * data[0]!.length);
  data.forEach((d, i) => flat.set(d, i * d.length));
  return {
    clips: data.map((d) => ({ data: d, shape })),
    tensor: tf.tensor(flat, [n, ...shape]),
    attributes: records.map((r) => r.attributes as ShapeAttributes),
  };
}

function clipsOf(x: tf.Tensor): ClipData[] {
  const [n, t, h, w, c] = x.shape as [number, number, number, number, number];
  const data = x.dataSync() as Float32Array;
  const size = t * h * w * c;
  return Array.from({ length: n }, (_, i) => ({
    data: data.subarray(i * size, (i + 1) * size),
    shape: [t, h, w, c],
  }));
}

/** Clip i with the frames not in `given` taken from clip i + 1. */
function spliced(real: ClipData[], given: readonly number[]): ClipData[] {
  return real.map((clip, i) => {
    const other = real[(i + 1) % real.length]!;
    const size = clip.data.length / clip.shape[0];
    const data = Float32Array.from(other.data);
    for (const f of given) data.set(Array.from(clip.data).slice(f * size, (f + 1) * size), f * size);
    return { data, shape: clip.shape };
  });
}

const rate = (clips: ClipData[], q: (c: ClipData, i: number) => boolean) =>
  clips.filter((c, i) => q(c, i)).length / clips.length;

const range = (a: number, b: number) => Array.from({ length: b - a }, (_, i) => a + i);

/** Score generated clips on the questions of a mode, beside real and spliced clips. */
function score(
  mode: string,
  generated: ClipData[],
  real: ClipData[],
  given: readonly number[],
  questions: Record<string, (c: ClipData, i: number) => boolean>,
): FrameModeScore[] {
  const chance = spliced(real, given);
  return Object.entries(questions).map(([question, q]) => ({
    mode,
    question,
    model: rate(generated, q),
    chance: rate(chance, q),
    real: rate(real, q),
  }));
}

/** Every mode's scores (and sheets, with `opts.sheets`) for a frame-conditioned run. */
export async function measureFrameModes(
  run: LoadedRun,
  opts: FrameModesOptions = {},
): Promise<FrameModeScore[]> {
  const n = opts.count ?? 64;
  const seed = opts.seed ?? 0;
  const [T, H, W] = run.clip;
  // the empty caption both ways: guidance would change nothing, so it is left off (half the model calls)
  const base = {
    count: n,
    clip: run.clip,
    captions: [''],
    seed,
    cfgScale: 1,
    ...(opts.steps ? { steps: opts.steps } : {}),
  };
  const sample = (frames: boolean[], video: tf.Tensor) =>
    sampleClips(run.model, run.process!, run.condition!, { ...base, given: { clip: video, frames } });
  const extend = (video: tf.Tensor, frames: number, backward: boolean) =>
    extendClips(run.model, run.process!, run.condition!, { ...base, video, frames, backward });
  const sheet = async (name: string, x: tf.Tensor, labels: string[]) => {
    if (!opts.sheets) return;
    const top = tf.slice(x, 0, Math.min(8, n));
    await writePngSheet(
      join(opts.sheets, `${name}.png`),
      {
        data: top.dataSync() as Float32Array,
        shape: top.shape as [number, number, number, number, number],
      },
      { labels: labels.slice(0, 8) },
    );
    top.dispose();
  };
  const out: FrameModeScore[] = [];
  const real = realClips(n, T, [H, W]);
  const long = realClips(n, 3 * T, [H, W]);
  const last = T - 1;

  const i2v = await sample(frameMask('first', T, 1), real.tensor);
  await sheet('image-to-video', i2v, new Array<string>(8).fill('frame 0 given'));
  out.push(
    ...score('image-to-video', clipsOf(i2v), real.clips, [0], {
      'subject continues': (c) => continuesSubject(c, 0, range(1, T)),
    }),
  );
  const connect = await sample(frameMask('both', T, [1, 1]), real.tensor);
  await sheet('connect', connect, new Array<string>(8).fill(`frames 0 and ${last} given`));
  out.push(
    ...score('connect', clipsOf(connect), real.clips, [0, last], {
      'moves from A to B': (c) => connects(c, 0, last, range(1, last)),
    }),
  );
  tf.dispose([i2v, connect]);

  for (const backward of [false, true]) {
    const dir = backward ? 'backward' : 'forward';
    for (const [frames, realSet] of [
      [T, real],
      [3 * T, long],
    ] as const) {
      const given = backward ? [frames - 1, frames - 2] : [0, 1]; // in the order the extension runs
      const rest = backward ? range(0, frames - 2).reverse() : range(2, frames);
      const video = tf.slice(realSet.tensor, [0, backward ? frames - 2 : 0], [n, 2]);
      const x = await extend(video, frames, backward);
      await sheet(
        `extend-${dir}-${frames}`,
        x,
        new Array<string>(8).fill(`frames ${[...given].sort((a, b) => a - b).join(', ')} given`),
      );
      const questions: Record<string, (c: ClipData) => boolean> = {
        'direction kept': (c) => keepsMotion(c, given, rest).direction,
        'subject continues': (c) => continuesSubject(c, given[1]!, rest),
      };
      if (frames === T) questions['speed kept'] = (c) => keepsMotion(c, given, rest).speed;
      out.push(...score(`extend ${dir} to ${frames}`, clipsOf(x), realSet.clips, given, questions));
      tf.dispose([video, x]);
    }
  }
  out.push(...(await measureEdits(run, real, { ...opts, count: n, seed }, sheet)));
  tf.dispose([real.tensor, long.tensor]);
  return out;
}

type Palette = keyof typeof COLOUR_RGB;
type Sheet = (name: string, x: tf.Tensor, labels: string[]) => Promise<void>;

/** SDEdit under a caption with one attribute changed: the new value drawn, the motion kept. */
async function measureEdits(
  run: LoadedRun,
  real: Real,
  opts: FrameModesOptions & { count: number; seed: number },
  sheet: Sheet,
): Promise<FrameModeScore[]> {
  const out: FrameModeScore[] = [];
  const strength = opts.strength ?? 0.6;
  for (const key of ['background', 'colour'] as const) {
    const values = SHAPE_ATTRIBUTES[key] as readonly string[];
    const asked = real.attributes.map((a) => values[(values.indexOf(a[key]) + 1) % values.length]!);
    const captions = real.attributes.map((a, i) => descriptiveCaption({ ...a, [key]: asked[i] }));
    const x = await sampleClips(run.model, run.process!, run.condition!, {
      count: opts.count,
      clip: run.clip,
      captions,
      seed: opts.seed,
      ...(opts.steps ? { steps: opts.steps } : {}),
      edit: { clip: real.tensor, strength },
    });
    await sheet(
      `edit-${key}`,
      x,
      captions.map((c) => c.replace(/^a /, '')),
    );
    const last = run.clip[0] - 1;
    const drawn = (c: ClipData, i: number) =>
      [0, last].every((f) => {
        const s = frameSubject(c, f);
        const rgb = key === 'background' ? s.background : s.colour;
        return rgb !== null && nearestColour(rgb, values as Palette[]) === asked[i];
      });
    const kept = (c: ClipData, i: number) => motionKept(c, real.clips[i]!);
    const generated = clipsOf(x);
    out.push(
      {
        mode: `edit ${key} (strength ${strength})`,
        question: `asked ${key} drawn`,
        model: rate(generated, drawn),
        chance: 1 / values.length,
        real: rate(real.clips, drawn),
      },
      {
        mode: `edit ${key} (strength ${strength})`,
        question: 'motion kept',
        model: rate(generated, kept),
        chance: rate(spliced(real.clips, []), kept),
        real: rate(real.clips, kept), // the input against itself: 1
      },
    );
    x.dispose();
  }
  return out;
}

/** The same motion class from first to last frame, and the centre within 2 px of the input's on average. */
function motionKept(c: ClipData, input: ClipData): boolean {
  const t = c.shape[0];
  const track = (x: ClipData) => range(0, t).map((f) => frameSubject(x, f).centre);
  const [a, b] = [track(c), track(input)];
  if (a.some((p) => !p) || b.some((p) => !p)) return false;
  const cls = (p: ([number, number] | null)[]) =>
    motionClass(p[t - 1]![0] - p[0]![0], p[t - 1]![1] - p[0]![1]);
  const off = a.reduce((s, p, f) => s + Math.hypot(p![0] - b[f]![0], p![1] - b[f]![1]), 0) / t;
  return cls(a) === cls(b) && off <= 2;
}
