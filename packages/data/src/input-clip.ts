/**
 * One video or image file as a uint8 clip (T, H, W, 3) at a given height x width, for a model to read (`vtx predict
 * RUN --video F`): a video through the ffmpeg CLI (./builders/ffmpeg.ts: scaled to cover and centre-cropped, or
 * stretched; optionally resampled to an fps), a PNG or JPEG through ./builders/image.ts as one frame. The source's
 * size and frame rate come back too, so the caller can say what was resized.
 */
import { readFile } from 'node:fs/promises';

import { dataError, messageOf } from './errors.js';
import { checkFfmpeg, decodeFrames, ffmpegPath, probe } from './builders/ffmpeg.js';
import { decodeImage, resizeImage } from './builders/image.js';
import type { ClipShape } from './format/schema.js';

export interface InputClipOptions {
  height: number;
  width: number;
  /** 'crop': scale to cover, then centre-crop (keeps the aspect); 'stretch': scale to the size. */
  resize: 'crop' | 'stretch';
  /** Videos: resample to this frame rate (default: the source's). */
  fps?: number | undefined;
  /** Videos: decode at most this many frames (default: all). */
  maxFrames?: number | undefined;
  /** The ffmpeg binary (default: FFMPEG_PATH, else ffmpeg on PATH). */
  ffmpeg?: string | undefined;
}

export interface InputClip {
  /** (T, H, W, 3) uint8, row-major. */
  data: Uint8Array;
  shape: ClipShape;
  /** The file's own size, and a video's frame rate (null for an image). */
  source: { height: number; width: number; fps: number | null };
}

/** Decode a video file's frames at height x width (all of them, or the first `maxFrames`). */
export async function readVideoClip(file: string, o: InputClipOptions): Promise<InputClip> {
  const ffmpeg = ffmpegPath(o.ffmpeg);
  await checkFfmpeg(ffmpeg);
  let info;
  try {
    info = await probe(file, ffmpeg);
  } catch (e) {
    throw dataError(file, `not a readable video (${messageOf(e)})`, undefined, e);
  }
  const frames: Uint8Array[] = [];
  const max = o.maxFrames ?? Infinity;
  try {
    await decodeFrames(
      file,
      { height: o.height, width: o.width, resize: o.resize, fps: o.fps, ffmpeg },
      (f) => {
        frames.push(f);
        return frames.length < max;
      },
    );
  } catch (e) {
    throw dataError(file, `cannot decode (${messageOf(e)})`, undefined, e);
  }
  if (frames.length === 0) throw dataError(file, 'no frames decoded');
  const size = o.height * o.width * 3;
  const data = new Uint8Array(frames.length * size);
  frames.forEach((f, i) => data.set(f, i * size));
  return {
    data,
    shape: [frames.length, o.height, o.width, 3],
    source: { height: info.height, width: info.width, fps: info.fps || null },
  };
}

/** Decode a PNG or JPEG file as a one-frame clip at height x width. */
export async function readImageClip(file: string, o: InputClipOptions): Promise<InputClip> {
  let bytes: Uint8Array;
  try {
    bytes = await readFile(file);
  } catch (e) {
    throw dataError(file, `cannot read (${(e as NodeJS.ErrnoException).code ?? messageOf(e)})`, undefined, e);
  }
  let img;
  try {
    img = decodeImage(bytes);
  } catch (e) {
    throw dataError(file, messageOf(e), undefined, e);
  }
  const out = resizeImage(img, o.height, o.width, o.resize);
  return {
    data: out.data,
    shape: [1, o.height, o.width, 3],
    source: { height: img.height, width: img.width, fps: null },
  };
}
