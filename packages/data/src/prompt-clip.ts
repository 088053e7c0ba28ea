/**
 * A picture or a video as a diffusion model's prompt (`vtx sample --image/--extend/--connect/--edit`): a PNG or JPEG
 * (pngjs / jpeg-js, no ffmpeg needed), or a GIF, MP4 or any other video the ffmpeg CLI reads (./input-clip.ts, the
 * one file reader), decoded to
 * (T, H, W, C) float32 at a run's clip size and in its data range (the run's `normalize`, by default uint8 ->
 * [-1, 1]). The format is told by the file's bytes, not its name.
 *
 * - Size: a file of another size is scaled to cover and centre-cropped (the video builder's default `resize: crop`);
 *   the result says so (`resized`), for the caller to log.
 * - Channels: every input decodes to RGB (a grey PNG or video as equal R, G, B; a PNG's alpha is dropped). A
 *   3-channel run takes the RGB as it is; a 1-channel run takes its luma (ITU-R BT.601: 0.299 R + 0.587 G +
 *   0.114 B, ffmpeg's own RGB -> grey); any other channel count is an error.
 * - Frames: the first or the last `frames` frames the file stores (each once, whatever time it shows for); a file
 *   with fewer is an error naming it.
 */
import type { NormalizeConfig } from './config.js';
import { dataError } from './errors.js';
import { readInputClip } from './input-clip.js';
import { normalization } from './loader/transforms.js';

export interface PromptClipOptions {
  height: number;
  width: number;
  /** The run's channels: 3 (RGB) or 1 (luma). */
  channels: number;
  /** How many frames the prompt needs (1 for a still). */
  frames: number;
  /** Take the first frames of the file ('start') or its last ('end'). */
  from: 'start' | 'end';
  /** The run's `data.transforms.normalize`; default uint8 [0, 255] -> [-1, 1], as the loader does. */
  normalize?: NormalizeConfig | undefined;
  /** ffmpeg binary for videos (default: FFMPEG_PATH, else ffmpeg on PATH). */
  ffmpeg?: string | undefined;
}

export interface PromptClip {
  /** (T, H, W, C) float32 in the run's data range. */
  data: Float32Array;
  shape: [number, number, number, number];
  /** What the file held: its size, frames decoded (up to what was needed for 'start'), and its kind. */
  source: { width: number; height: number; frames: number; kind: 'image' | 'video' };
  /** True when the file's size differed from the run's and was scaled and cropped. */
  resized: boolean;
}

/** Read `file` as a prompt clip; a DataError naming the file for an unreadable file or one with too few frames. */
export async function readPromptClip(file: string, o: PromptClipOptions): Promise<PromptClip> {
  if (o.channels !== 1 && o.channels !== 3)
    throw dataError(file, `the run has ${o.channels} channels; pictures and videos give RGB (3) or luma (1)`);
  const { height, width, frames, from, ffmpeg } = o;
  const read = { height, width, resize: 'crop', passthrough: true, maxFrames: frames, from, ffmpeg } as const;
  const { data: rgb, shape, source } = await readInputClip(file, read);
  if (shape[0] < frames) {
    const has =
      source.kind === 'image'
        ? 'is a still image (1 frame)'
        : `has ${source.frames} frame${source.frames === 1 ? '' : 's'}`;
    throw dataError(file, `${has}; ${frames} are needed`);
  }
  const { scale, bias } = normalization(o.normalize, 'uint8', o.channels);
  const px = height * width;
  const data = new Float32Array(frames * px * o.channels);
  for (let p = 0; p < frames * px; p++) {
    const [r, g, b] = [rgb[3 * p]!, rgb[3 * p + 1]!, rgb[3 * p + 2]!];
    if (o.channels === 1) data[p] = (0.299 * r + 0.587 * g + 0.114 * b) * scale[0]! + bias[0]!;
    else for (let c = 0; c < 3; c++) data[3 * p + c] = [r, g, b][c]! * scale[c]! + bias[c]!;
  }
  return {
    data,
    shape: [frames, height, width, o.channels],
    source: { width: source.width, height: source.height, frames: source.frames, kind: source.kind },
    resized: source.width !== width || source.height !== height,
  };
}
