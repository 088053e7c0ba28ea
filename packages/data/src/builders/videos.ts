/**
 * Video-file builder: a folder (class subfolders = labels) or a CSV/JSONL manifest of .mp4/.webm/
 * .avi/.mkv/.mov files, decoded once with the ffmpeg CLI in worker threads, resized to height x width,
 * resampled to `fps` (optional) and `stride`, and cut into clips of `frames` frames (long videos give
 * several clips). An unreadable or missing file is reported by name and skipped (listed in
 * index.json `skipped`) or fails the build, per `onError`; the previous dataset stays intact.
 */
import path from 'node:path';
import { z } from 'zod';

import { DataError } from '../errors.js';
import { DatasetWriter } from '../format/writer.js';
import type { DatasetIndex } from '../format/schema.js';
import { spawnWorker } from '../util/spawn-worker.js';
import { shardOpts, type BuildOptions } from './common.js';
import type { ClipCut, DecodeJob, DecodeResult } from './decode-worker.js';
import { checkFfmpeg, ffmpegPath, type VideoInfo } from './ffmpeg.js';
import { labelNames, listInputs, type InputItem } from './inputs.js';

const pos = z.number().int().positive();
export const VIDEO_EXTENSIONS = ['.mp4', '.webm', '.avi', '.mkv', '.mov'];

export const VideoSpec = z.strictObject({
  kind: z.literal('videos'),
  input: z
    .string()
    .describe(
      'a folder of videos (class subfolders = labels) or a manifest .csv/.jsonl (path,label[,caption])',
    ),
  name: z.string().default('videos').describe('dataset name (shard file prefix)'),
  height: pos.default(64).describe('frame height in pixels'),
  width: pos.default(64).describe('frame width in pixels'),
  resize: z
    .enum(['crop', 'stretch'])
    .default('crop')
    .describe("'crop': scale to cover, centre-crop (keeps aspect); 'stretch': scale to the size"),
  fps: z.number().positive().optional().describe('resample to this frame rate (default: the source rate)'),
  stride: pos.default(1).describe('keep every stride-th frame (after fps resampling)'),
  frames: pos.default(16).describe('frames per clip'),
  clipStride: pos.optional().describe('frames between clip starts (default: frames, back-to-back clips)'),
  maxClipsPerVideo: pos.optional().describe('clips per video at most (default: all)'),
  onError: z
    .enum(['skip', 'fail'])
    .default('skip')
    .describe("an unreadable video: 'skip' it (listed in index.json) or 'fail' the build"),
  concurrency: pos.default(2).describe('decoder worker threads'),
  ffmpeg: z.string().optional().describe('ffmpeg binary (default: FFMPEG_PATH, else ffmpeg on PATH)'),
});
export type VideoSpec = z.infer<typeof VideoSpec>;
export type VideoSpecInput = z.input<typeof VideoSpec>;

interface JobState {
  clips: Map<number, { data: Uint8Array; firstFrame: number }>;
  done: { info: VideoInfo; frames: number } | null;
  error: string | null;
}

export async function buildFromVideos(
  out: string,
  input: VideoSpecInput,
  opts: BuildOptions = {},
): Promise<DatasetIndex> {
  const spec = VideoSpec.parse(input);
  const ffmpeg = ffmpegPath(spec.ffmpeg);
  await checkFfmpeg(ffmpeg);
  const items = await listInputs(
    spec.input,
    (p, isDir) => !isDir && VIDEO_EXTENSIONS.includes(path.extname(p).toLowerCase()),
  );
  if (items.length === 0)
    throw new DataError(`${spec.input}: no videos (${VIDEO_EXTENSIONS.join(' ')}) found`);
  const names = labelNames(items);
  const w = await DatasetWriter.create(out, {
    name: spec.name,
    dtype: 'uint8',
    builder: { ...spec, ffmpeg },
    labels: names,
    ...shardOpts(opts),
  });
  const cut: ClipCut = {
    frames: spec.frames,
    stride: spec.stride,
    clipStride: spec.clipStride ?? spec.frames,
    maxClips: spec.maxClipsPerVideo ?? null,
  };
  const decode = { height: spec.height, width: spec.width, resize: spec.resize, fps: spec.fps, ffmpeg };
  const workers = Array.from({ length: Math.min(spec.concurrency, items.length) }, () =>
    spawnWorker(import.meta.url, './decode-worker'),
  );
  const jobs: JobState[] = items.map(() => ({ clips: new Map(), done: null, error: null }));
  let nextJob = 0;
  let written = 0;
  let failure: unknown = null;
  try {
    await new Promise<void>((resolve, reject) => {
      let dispatched = 0;
      let writing = Promise.resolve();
      const dispatch = (wk: (typeof workers)[number]) => {
        if (dispatched >= items.length) return;
        const job = dispatched++;
        wk.postMessage({ type: 'job', job, path: items[job]!.path, decode, cut } satisfies DecodeJob);
      };
      // Write finished videos in input order, so the dataset does not depend on worker timing.
      const flush = async () => {
        while (nextJob < items.length && (jobs[nextJob]!.done || jobs[nextJob]!.error)) {
          const j = jobs[nextJob]!;
          const item = items[nextJob]!;
          if (j.error !== null) {
            if (spec.onError === 'fail')
              throw new DataError(`${item.path}: cannot decode (${j.error})`, { file: item.path });
            w.skip(item.path, j.error);
          } else if (j.clips.size === 0) {
            w.skip(item.path, `too short: ${j.done!.frames} sampled frames < ${spec.frames}`);
          }
          for (const [k, c] of [...j.clips.entries()].sort((a, b) => a[0] - b[0])) {
            await w.add(record(spec, names, item, k, c, j.done?.info ?? null));
          }
          jobs[nextJob] = { clips: new Map(), done: j.done, error: j.error }; // release the clips
          nextJob++;
          opts.onProgress?.(++written, items.length);
        }
        if (nextJob === items.length) resolve();
      };
      for (const wk of workers) {
        wk.on('message', (m: DecodeResult) => {
          const j = jobs[m.job]!;
          if (m.type === 'clip') j.clips.set(m.k, { data: m.data, firstFrame: m.firstFrame });
          else {
            if (m.type === 'done') j.done = { info: m.info, frames: m.frames };
            else j.error = m.reason;
            dispatch(wk);
            writing = writing.then(flush).catch((e: unknown) => {
              failure = e;
              reject(e instanceof Error ? e : new Error(String(e)));
            });
          }
        });
        wk.on('error', reject);
        dispatch(wk);
      }
    });
  } catch (e) {
    await w.abort();
    throw failure ?? e;
  } finally {
    for (const wk of workers) void wk.terminate();
  }
  return w.finish();
}

function record(
  spec: VideoSpec,
  names: string[] | null,
  item: InputItem,
  k: number,
  c: { data: Uint8Array; firstFrame: number },
  info: VideoInfo | null,
) {
  const fps = (spec.fps ?? info?.fps ?? 0) / spec.stride || null;
  const rel = path.relative(path.dirname(path.resolve(spec.input)), item.path);
  return {
    id: `${rel}#${k}`,
    source: item.path,
    data: c.data,
    shape: [spec.frames, spec.height, spec.width, 3] as [number, number, number, number],
    label: item.label === null || !names ? null : names.indexOf(item.label),
    caption: item.caption,
    captionTerse: null,
    attributes: null,
    fps,
    meta: {
      originalSize: info ? [info.height, info.width] : null,
      originalFps: info?.fps ?? null,
      start: fps ? c.firstFrame / (spec.fps ?? info?.fps ?? 1) : null,
      clip: k,
    },
  };
}
