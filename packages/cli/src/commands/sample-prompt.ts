/**
 * `vtx sample`'s prompts with pictures and videos (issue 22): `--image F` (image-to-video), `--extend F [--backward]
 * [--frames N]`, `--connect A B`, `--edit F --strength S` (SDEdit). Their yargs options, the checks that need no run
 * (one mode at a time, flags that belong to a mode, the strength's range), the check against the run (frame
 * conditioning for the masked modes), and the files read into the clip the sampler is given: at the run's clip in
 * its data range, or for a latent run at the pixel size behind it, encoded through the run's VAE.
 */
import * as tf from '@tensorflow/tfjs-core';
import { DataError, readPromptClip, type NormalizeConfig, type PromptClip } from '@vtx/data';
import { latentSourceOf, loadRun, type ExperimentConfig } from '@vtx/train';
import {
  extendClips,
  frameConditioningOf,
  givenFrameCounts,
  frameMask,
  sampleClips,
  splitMoments,
  vaeParts,
  type ClipShape,
  type Condition,
  type NoiseProcess,
  type SampleClipsOptions,
} from '@vtx/models';
import { UsageError } from './common.js';

export const promptOptions = {
  image: {
    type: 'string',
    requiresArg: true,
    describe: 'image-to-video: the first frame is this picture (PNG, GIF or MP4: its first frame)',
  },
  extend: {
    type: 'string',
    requiresArg: true,
    describe:
      'continue this video (GIF, MP4): its last frames start the clip (with --backward its first frames end it)',
  },
  backward: { type: 'boolean', describe: 'with --extend: generate what came before the video' },
  frames: {
    type: 'number',
    requiresArg: true,
    describe:
      "with --extend: frames in the output, given ones included (default: the run's clip; longer slides)",
  },
  connect: {
    type: 'string',
    array: true,
    requiresArg: true,
    describe: 'A B: a transition from the end of video A to the start of video B',
  },
  edit: {
    type: 'string',
    requiresArg: true,
    describe:
      'SDEdit: noise this video (its first frames) to --strength and denoise it under --class/--caption',
  },
  strength: {
    type: 'number',
    requiresArg: true,
    describe: 'with --edit: how far to noise, 0 (keep the input) to 1 (ignore it, sample from noise)',
  },
} as const;

export interface PromptArgs {
  image?: string | undefined;
  extend?: string | undefined;
  backward?: boolean | undefined;
  frames?: number | undefined;
  connect?: string[] | undefined;
  edit?: string | undefined;
  strength?: number | undefined;
  size: string[];
}

export type PromptMode = 'image' | 'extend' | 'connect' | 'edit';
const MODES: readonly PromptMode[] = ['image', 'extend', 'connect', 'edit'];
/** The modes that give frames through a mask: the model must have been trained with frame conditioning. */
const MASKED: readonly PromptMode[] = ['image', 'extend', 'connect'];

/** The prompt mode the flags ask for, or null for sampling from noise alone. */
export function promptMode(argv: PromptArgs): PromptMode | null {
  return MODES.find((m) => argv[m] !== undefined) ?? null;
}

/**
 * The checks that need no run (yargs `.check`: a thrown Error is a usage error, exit 2): one mode at a time; --backward
 * and --frames only with --extend, --strength only with (and always with) --edit; two files for --connect; the
 * strength in [0, 1]; --frames a positive integer; --size only without a prompt (the prompt sets the clip).
 */
export function checkPromptFlags(argv: PromptArgs): true {
  const given = MODES.filter((m) => argv[m] !== undefined);
  if (given.length > 1)
    throw new Error(`--${given[0]} and --${given[1]}: give one of --image, --extend, --connect, --edit`);
  const mode = given[0];
  if (argv.backward !== undefined && mode !== 'extend') throw new Error('--backward: only with --extend F');
  if (argv.frames !== undefined && mode !== 'extend') throw new Error('--frames: only with --extend F');
  if (argv.frames !== undefined && !(Number.isInteger(argv.frames) && argv.frames > 0))
    throw new Error(`--frames ${argv.frames}: expected a positive integer`);
  if (argv.strength !== undefined && mode !== 'edit') throw new Error('--strength: only with --edit F');
  if (mode === 'edit' && argv.strength === undefined)
    throw new Error('--edit: needs --strength S, 0 (keep the input) to 1 (sample from noise)');
  if (argv.strength !== undefined && !(argv.strength >= 0 && argv.strength <= 1))
    throw new Error(`--strength ${argv.strength}: expected a number from 0 to 1`);
  if (argv.connect !== undefined && argv.connect.length !== 2)
    throw new Error(`--connect: expected two videos, A B (got ${argv.connect.length})`);
  if (mode && argv.size.length) throw new Error(`--size: not with --${mode} (the run's clip size is used)`);
  return true;
}

/** A masked mode on a run trained without frame conditioning is a usage error naming the flag (before any file is read). */
export function checkPromptRun(mode: PromptMode, cfg: ExperimentConfig, runDir: string): void {
  if (MASKED.includes(mode) && !frameConditioningOf(cfg.model))
    throw new UsageError(
      `--${mode}: ${runDir} was trained without frame conditioning (model.frameConditioning), so it cannot be ` +
        'given frames (train with it on, or use --edit, which needs none)',
    );
}

/**
 * Read `file` for flag `--flag` at the run's clip size and data range: a DataError about the file (missing,
 * unreadable, too few frames, a channel count pictures cannot give) becomes a usage error naming the flag; a
 * resized input is logged on stderr. A missing ffmpeg stays a failure (exit 1).
 */
export async function readPrompt(
  flag: PromptMode,
  file: string,
  clip: ClipShape,
  normalize: NormalizeConfig | undefined,
  frames: number,
  from: 'start' | 'end',
): Promise<PromptClip> {
  const [, height, width, channels] = clip;
  try {
    const read = await readPromptClip(file, {
      height,
      width,
      channels,
      frames,
      from,
      normalize,
    });
    if (read.resized)
      process.stderr.write(
        `--${flag} ${file}: ${read.source.width}x${read.source.height} resized to ${width}x${height} ` +
          '(scaled to cover, centre-cropped)\n',
      );
    return read;
  } catch (e) {
    if (e instanceof DataError && e.file === file) throw new UsageError(`--${flag} ${e.message}`);
    throw e;
  }
}

/**
 * What a prompt gives the sampler: frames to keep (`given`) or a clip to edit (`sampleClips`), or a video to extend
 * (`extendClips`: `video` of `overlap` frames, the output `frames` long).
 */
export interface PromptInputs {
  given?: { clip: tf.Tensor; frames: boolean[] };
  edit?: { clip: tf.Tensor; strength: number };
  extend?: { video: tf.Tensor; frames: number; backward: boolean; overlap: number };
}

/** Sample under a prompt: `extendClips` for --extend, else `sampleClips` with the given frames or the clip to edit. */
export function samplePrompted(
  model: Parameters<typeof sampleClips>[0],
  process: NoiseProcess,
  cond: Condition,
  prompt: PromptInputs,
  opts: SampleClipsOptions,
): Promise<tf.Tensor> {
  const { extend, ...rest } = prompt;
  return extend
    ? extendClips(model, process, cond, { ...opts, ...extend })
    : sampleClips(model, process, cond, { ...opts, ...rest });
}

/** The tensors of a prompt's inputs, to dispose after sampling. */
export const promptTensors = (p: PromptInputs): tf.Tensor[] =>
  [p.given?.clip, p.edit?.clip, p.extend?.video].filter((t) => t !== undefined);

/**
 * Where a run's model works, for reading prompts: pixels, or the latents of the VAE its dataset was encoded with
 * (`vtx encode`); files are read as `pixels` clips in `normalize`'s range and `encode`d to the model's input.
 */
export interface PromptSpace {
  /** (T, H, W, C) of the pixels behind one model clip. */
  pixels: ClipShape;
  /** Pixel frames per model frame (the VAE's temporal factor; 1 in pixel space). */
  ft: number;
  normalize: NormalizeConfig | undefined;
  /** (1, t·ft, H, W, C) pixels -> (1, t, h, w, c) model input (the posterior mean times the scale factor). */
  encode(x: tf.Tensor): tf.Tensor;
  dispose(): void;
}

/** The prompt space of a run: its own pixels, or its latent dataset's VAE (loaded from that VAE's run). */
export async function promptSpace(cfg: ExperimentConfig, clip: ClipShape): Promise<PromptSpace> {
  const source = await latentSourceOf(cfg);
  if (!source)
    return { pixels: clip, ft: 1, normalize: cfg.data.transforms.normalize, encode: (x) => x, dispose() {} };
  const vae = await loadRun(source.vae.run);
  if (vae.cfg.model.kind !== 'vae') throw new Error(`${source.vae.run}: not a VAE run`);
  const [ft, fh, fw] = vae.cfg.model.factors;
  const { encoder } = vaeParts(vae.model);
  return {
    pixels: [clip[0] * ft, clip[1] * fh, clip[2] * fw, vae.clip[3]],
    ft,
    normalize: undefined, // vtx encode feeds the VAE [-1, 1]
    encode: (x) =>
      tf.tidy(() => {
        const mean = splitMoments(encoder.predict(x) as tf.Tensor).mean;
        x.dispose();
        return tf.mul(mean, source.scaleFactor);
      }),
    dispose: () => vae.model.dispose(),
  };
}

/**
 * The inputs of a prompt for a run of clip (T, H, W, C) whose model takes whole tubelets of `unit` frames (counts are
 * of model frames; a latent run reads ft pixel frames for each and encodes them):
 *   --image F     the picture (F's first frame) fills the first tubelet, the rest is generated
 *   --extend F    F's last k frames start the output, --frames N long (default the run's clip; longer: windows
 *                 slide, each given the newest k frames); --backward: F's first k frames end it. k = the most the
 *                 run was given at one end in training (its `maxGiven` tubelets, default half the clip)
 *   --connect A B A's last a frames start it and B's first a end it, a = the most it gave at each end of `both`
 *   --edit F      F's first T frames, noised to --strength
 */
export async function promptInputs(
  mode: PromptMode,
  argv: PromptArgs,
  cfg: ExperimentConfig,
  clip: ClipShape,
  space: PromptSpace,
): Promise<PromptInputs> {
  const T = clip[0];
  /** `frames` model frames of `file` (a still: 1, repeated), encoded: (1, frames, h, w, c). */
  const read = async (
    flag: PromptMode,
    file: string,
    frames: number,
    from: 'start' | 'end',
    still = false,
  ) => {
    const n = frames * space.ft;
    const [, H, W, C] = space.pixels;
    const p = await readPrompt(flag, file, space.pixels, space.normalize, still ? 1 : n, from);
    const x = tf.tensor(p.data, [1, still ? 1 : n, H, W, C]);
    return space.encode(still ? tf.tidy(() => tf.tile(x, [1, n, 1, 1, 1])) : x);
  };
  if (mode === 'edit')
    return { edit: { clip: await read('edit', argv.edit!, T, 'start'), strength: argv.strength! } };
  const fc = frameConditioningOf(cfg.model)!;
  const { unit } = fc;
  const tubelets = T / unit;
  // the most frames training gave at one end, and at each end of `both` (the bounds drawFrameMasks draws within)
  const counts = givenFrameCounts(fc, T);
  const k = mode === 'connect' ? counts.connect : counts.end;
  if (k < 1)
    throw new UsageError(
      `--${mode}: the run's clip has ${tubelets} tubelet${tubelets === 1 ? '' : 's'} of ${unit} frames; ` +
        `${mode === 'connect' ? 'connecting needs 3' : 'giving frames needs 2'} or more`,
    );
  const blank = (frames: number) => tf.zeros([1, frames, ...clip.slice(1)]); // generated: the sampler overwrites
  const given = (parts: tf.Tensor[], frames: boolean[]): PromptInputs => {
    const joined = tf.concat(parts, 1);
    tf.dispose(parts);
    return { given: { clip: joined, frames } };
  };
  if (mode === 'image') {
    const still = await read('image', argv.image!, unit, 'start', true); // a still: a tubelet of equal frames
    return given([still, blank(T - unit)], frameMask('first', T, unit));
  }
  if (mode === 'connect') {
    const [a, b] = argv.connect!;
    const parts = [
      await read('connect', a!, k, 'end'),
      blank(T - 2 * k),
      await read('connect', b!, k, 'start'),
    ];
    return given(parts, frameMask('both', T, k));
  }
  const ft = space.ft; // --frames counts output (pixel) frames; a latent run decodes ft per model frame
  if (argv.frames !== undefined && argv.frames % ft)
    throw new UsageError(
      `--frames ${argv.frames}: the run's VAE decodes ${ft} frames per latent frame; give a multiple`,
    );
  const length = argv.frames === undefined ? T : argv.frames / ft;
  if (length <= k)
    throw new UsageError(
      `--frames ${length * ft}: the output holds the ${k * ft} given frames; ask for more than ${k * ft}`,
    );
  const backward = argv.backward === true;
  const video = await read('extend', argv.extend!, k, backward ? 'start' : 'end');
  return { extend: { video, frames: length, backward, overlap: k } };
}

/** The prompt's inputs, read (and for a latent run encoded through its VAE) at the run's clip. */
export async function promptOf(
  mode: PromptMode,
  argv: PromptArgs,
  cfg: ExperimentConfig,
  clip: ClipShape,
): Promise<PromptInputs> {
  const space = await promptSpace(cfg, clip);
  try {
    return await promptInputs(mode, argv, cfg, clip, space);
  } finally {
    space.dispose();
  }
}
