/**
 * A picture or a video as a diffusion model's prompt (`vtx sample --image/--extend/--connect/--edit`): a PNG or JPEG
 * (pngjs / jpeg-js, no ffmpeg needed), or a GIF, MP4 or any other video the ffmpeg CLI reads, decoded to
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
import { readFile } from 'node:fs/promises';

import type { NormalizeConfig } from './config.js';
import { dataError, DataError, messageOf } from './errors.js';
import { decodeImage, resizeImage } from './builders/image.js';
import { checkFfmpeg, decodeFrames, ffmpegPath, probe } from './builders/ffmpeg.js';
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
  const bytes = await readFile(file).catch((e: NodeJS.ErrnoException) => {
    throw dataError(file, e.code === 'ENOENT' ? 'no such file' : `cannot read it (${messageOf(e)})`);
  });
  const still = isStill(bytes);
  const {
    frames: rgb,
    width,
    height,
    count,
  } = still ? decodeStill(file, bytes, o) : await decodeVideo(file, o);
  if (rgb.length < o.frames) {
    const has = still ? 'is a still image (1 frame)' : `has ${count} frame${count === 1 ? '' : 's'}`;
    throw dataError(file, `${has}; ${o.frames} are needed`);
  }
  const { scale, bias } = normalization(o.normalize, 'uint8', o.channels);
  const px = o.height * o.width;
  const data = new Float32Array(o.frames * px * o.channels);
  rgb.forEach((f, t) => {
    for (let i = 0; i < px; i++) {
      const [r, g, b] = [f[3 * i]!, f[3 * i + 1]!, f[3 * i + 2]!];
      const at = (t * px + i) * o.channels;
      if (o.channels === 1) data[at] = (0.299 * r + 0.587 * g + 0.114 * b) * scale[0]! + bias[0]!;
      else for (let c = 0; c < 3; c++) data[at + c] = [r, g, b][c]! * scale[c]! + bias[c]!;
    }
  });
  return {
    data,
    shape: [o.frames, o.height, o.width, o.channels],
    source: { width, height, frames: count, kind: still ? 'image' : 'video' },
    resized: width !== o.width || height !== o.height,
  };
}

/** PNG or JPEG by magic number (what `decodeImage` reads); anything else goes to ffmpeg. */
function isStill(b: Uint8Array): boolean {
  return (
    (b[0] === 0x89 && b[1] === 0x50 && b[2] === 0x4e && b[3] === 0x47) || (b[0] === 0xff && b[1] === 0xd8)
  );
}

interface Decoded {
  /** The kept frames, each (H, W, 3) uint8 at the target size. */
  frames: Uint8Array[];
  width: number;
  height: number;
  /** Frames the file gave (for 'start': up to the ones needed). */
  count: number;
}

function decodeStill(file: string, bytes: Uint8Array, o: PromptClipOptions): Decoded {
  let img;
  try {
    img = decodeImage(bytes);
  } catch (e) {
    throw dataError(file, `not a readable image (${messageOf(e)})`);
  }
  const sized = resizeImage(img, o.height, o.width, 'crop');
  return { frames: [sized.data], width: img.width, height: img.height, count: 1 };
}

async function decodeVideo(file: string, o: PromptClipOptions): Promise<Decoded> {
  const ffmpeg = ffmpegPath(o.ffmpeg);
  await checkFfmpeg(ffmpeg); // a missing ffmpeg is its own DataError, not the file's fault
  const info = await probe(file, ffmpeg).catch((e: unknown) => {
    throw dataError(file, `not a picture or video ffmpeg can read (${firstLine(e)})`);
  });
  const kept: Uint8Array[] = [];
  let count = 0;
  try {
    await decodeFrames(
      file,
      { height: o.height, width: o.width, resize: 'crop', passthrough: true, ffmpeg },
      (f) => {
        count++;
        kept.push(f);
        if (o.from === 'end' && kept.length > o.frames) kept.shift();
        return !(o.from === 'start' && kept.length === o.frames);
      },
    );
  } catch (e) {
    if (e instanceof DataError) throw e;
    throw dataError(file, `ffmpeg could not decode it (${firstLine(e)})`);
  }
  if (count === 0) throw dataError(file, 'not a picture or video ffmpeg can read (no frames decoded)');
  return { frames: kept, width: info.width, height: info.height, count };
}

const firstLine = (e: unknown) => messageOf(e).split('\n')[0]!;
