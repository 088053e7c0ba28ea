/**
 * One picture or video file as uint8 RGB frames (T, H, W, 3) at a given height x width: the one reader of files a
 * user hands a trained run (`vtx predict RUN --video/--image`, and through ./prompt-clip.ts `vtx sample --image/
 * --extend/--connect/--edit`). A PNG or JPEG goes through ./builders/image.ts (pngjs / jpeg-js, no ffmpeg needed),
 * a GIF, MP4 or any other video through the ffmpeg CLI (./builders/ffmpeg.ts): scaled to cover and centre-cropped,
 * or stretched; optionally resampled to an fps, or each stored frame once (`passthrough`: a GIF whose frames show
 * for different times). `readInputClip` tells the two apart by the file's bytes, not its name. The source's size,
 * frame count and frame rate come back too, so the caller can say what was resized.
 */
import { readFile } from 'node:fs/promises';

import { dataError, DataError, messageOf } from './errors.js';
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
  /** Videos: each frame the file stores once, whatever time it shows for (ffmpeg's passthrough); not with fps. */
  passthrough?: boolean | undefined;
  /** Videos: keep at most this many frames (default: all), the first ones or the last (`from`). */
  maxFrames?: number | undefined;
  from?: 'start' | 'end' | undefined;
  /** The ffmpeg binary (default: FFMPEG_PATH, else ffmpeg on PATH). */
  ffmpeg?: string | undefined;
}

export interface InputClip {
  /** (T, H, W, 3) uint8, row-major. */
  data: Uint8Array;
  shape: ClipShape;
  /**
   * The file's own size; frames it gave (for `from: 'start'`, up to the ones kept); a video's frame rate (null for
   * an image); its kind.
   */
  source: { height: number; width: number; frames: number; fps: number | null; kind: 'image' | 'video' };
}

/** Read `file` as a picture (PNG or JPEG, by its bytes) or else a video. */
export async function readInputClip(file: string, o: InputClipOptions): Promise<InputClip> {
  const bytes = await readBytes(file);
  return isStill(bytes) ? stillClip(file, bytes, o) : readVideoClip(file, o);
}

/** Decode a video file's frames at height x width (all of them, or `maxFrames` from its start or end). */
export async function readVideoClip(file: string, o: InputClipOptions): Promise<InputClip> {
  const ffmpeg = ffmpegPath(o.ffmpeg);
  await checkFfmpeg(ffmpeg); // a missing ffmpeg is its own DataError, not the file's fault
  const info = await probe(file, ffmpeg).catch((e: unknown) => {
    throw dataError(file, `not a picture or video ffmpeg can read (${firstLine(e)})`, undefined, e);
  });
  const kept: Uint8Array[] = [];
  const max = o.maxFrames ?? Infinity;
  let count = 0;
  try {
    const { height, width, resize, fps, passthrough } = o;
    await decodeFrames(file, { height, width, resize, fps, passthrough, ffmpeg }, (f) => {
      count++;
      kept.push(f);
      if (o.from === 'end' && kept.length > max) kept.shift();
      return o.from === 'end' || kept.length < max;
    });
  } catch (e) {
    if (e instanceof DataError) throw e;
    throw dataError(file, `ffmpeg could not decode it (${firstLine(e)})`, undefined, e);
  }
  if (count === 0) throw dataError(file, 'not a picture or video ffmpeg can read (no frames decoded)');
  const size = o.height * o.width * 3;
  const data = new Uint8Array(kept.length * size);
  kept.forEach((f, i) => data.set(f, i * size));
  return {
    data,
    shape: [kept.length, o.height, o.width, 3],
    source: { height: info.height, width: info.width, frames: count, fps: info.fps || null, kind: 'video' },
  };
}

/** Decode a PNG or JPEG file as a one-frame clip at height x width. */
export async function readImageClip(file: string, o: InputClipOptions): Promise<InputClip> {
  return stillClip(file, await readBytes(file), o);
}

async function readBytes(file: string): Promise<Uint8Array> {
  return readFile(file).catch((e: NodeJS.ErrnoException) => {
    throw dataError(
      file,
      e.code === 'ENOENT' ? 'no such file' : `cannot read it (${messageOf(e)})`,
      undefined,
      e,
    );
  });
}

/** PNG or JPEG by magic number (what `decodeImage` reads); anything else goes to ffmpeg. */
function isStill(b: Uint8Array): boolean {
  return (
    (b[0] === 0x89 && b[1] === 0x50 && b[2] === 0x4e && b[3] === 0x47) || (b[0] === 0xff && b[1] === 0xd8)
  );
}

function stillClip(file: string, bytes: Uint8Array, o: InputClipOptions): InputClip {
  let img;
  try {
    img = decodeImage(bytes);
  } catch (e) {
    throw dataError(file, `not a readable image (${messageOf(e)})`, undefined, e);
  }
  const out = resizeImage(img, o.height, o.width, o.resize);
  return {
    data: out.data,
    shape: [1, o.height, o.width, 3],
    source: { height: img.height, width: img.width, frames: 1, fps: null, kind: 'image' },
  };
}

const firstLine = (e: unknown) => messageOf(e).split('\n')[0]!;
