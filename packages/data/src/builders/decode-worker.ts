/**
 * Worker-thread entry for the video builder: decodes one video at a time with ffmpeg (spawned here,
 * so the pipe is drained promptly even while the main thread writes shards: 120 frames took 0.38 s
 * with a free reading thread and 6.9 s with a busy one, docs/notes/video-decoding.md) and posts each
 * finished clip with its buffer transferred.
 *
 * In: job {job, path, clip}. Out: clip {job, k, data, firstFrame} | done {job, info, frames} | error {job, reason}.
 */
import { parentPort } from 'node:worker_threads';

import { messageOf } from '../errors.js';
import { decodeFrames, probe, type DecodeOptions, type VideoInfo } from './ffmpeg.js';

/** How a decoded frame stream is cut into clips (in sampled frames, after fps resampling). */
export interface ClipCut {
  /** Frames per clip. */
  frames: number;
  /** Keep every `stride`-th decoded frame. */
  stride: number;
  /** Sampled frames between clip starts. */
  clipStride: number;
  maxClips: number | null;
}

export type DecodeJob =
  { type: 'job'; job: number; path: string; decode: DecodeOptions; cut: ClipCut } | { type: 'close' };
export type DecodeResult =
  | { type: 'clip'; job: number; k: number; data: Uint8Array; firstFrame: number }
  | { type: 'done'; job: number; info: VideoInfo; frames: number }
  | { type: 'error'; job: number; reason: string };

const port = parentPort;
if (!port) throw new Error('@vtx/data decode worker: must run in a worker thread');

async function decode(job: number, file: string, o: DecodeOptions, cut: ClipCut): Promise<void> {
  const info = await probe(file, o.ffmpeg);
  const held: Uint8Array[] = []; // sampled frames from `heldFrom` on
  let heldFrom = 0;
  let sampled = 0;
  let decoded = 0;
  let k = 0;
  const frameBytes = o.height * o.width * 3;
  await decodeFrames(file, o, (frame) => {
    if (decoded++ % cut.stride !== 0) return true;
    held.push(frame);
    sampled++;
    const start = k * cut.clipStride;
    if (sampled >= start + cut.frames) {
      const data = new Uint8Array(cut.frames * frameBytes);
      for (let f = 0; f < cut.frames; f++) data.set(held[start + f - heldFrom]!, f * frameBytes);
      port!.postMessage(
        { type: 'clip', job, k, data, firstFrame: start * cut.stride } satisfies DecodeResult,
        [data.buffer],
      );
      k++;
      const drop = Math.min(held.length, k * cut.clipStride - heldFrom);
      held.splice(0, drop);
      heldFrom += drop;
      if (cut.maxClips !== null && k >= cut.maxClips) return false;
    }
    return true;
  });
  port!.postMessage({ type: 'done', job, info, frames: sampled } satisfies DecodeResult);
}

port.on('message', (m: DecodeJob) => {
  if (m.type === 'close') {
    port.close();
    return;
  }
  decode(m.job, m.path, m.decode, m.cut).catch((e: unknown) =>
    port.postMessage({ type: 'error', job: m.job, reason: messageOf(e) } satisfies DecodeResult),
  );
});
