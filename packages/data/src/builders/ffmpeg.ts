/**
 * The Debian `ffmpeg` CLI as a decoder (why: docs/notes/video-decoding.md): one spawned process per
 * video, raw RGB24 frames on stdout at the target size (scaled to cover, then centre-cropped, or
 * stretched) and fps. Binary: `FFMPEG_PATH` or `ffmpeg` on PATH; `ffprobe` next to it.
 */
import { spawn } from 'node:child_process';
import path from 'node:path';

import { DataError } from '../errors.js';

export function ffmpegPath(explicit?: string): string {
  return explicit ?? process.env.FFMPEG_PATH ?? 'ffmpeg';
}

function ffprobePath(ffmpeg: string): string {
  return ffmpeg === 'ffmpeg' ? 'ffprobe' : path.join(path.dirname(ffmpeg), 'ffprobe');
}

/** Run a command; resolve with stdout, reject with stderr. ENOENT is a DataError about installing ffmpeg. */
function run(cmd: string, args: string[]): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const p = spawn(cmd, args, { stdio: ['ignore', 'pipe', 'pipe'] });
    const out: Buffer[] = [];
    const err: Buffer[] = [];
    p.stdout.on('data', (b: Buffer) => out.push(b));
    p.stderr.on('data', (b: Buffer) => err.push(b));
    p.on('error', (e: NodeJS.ErrnoException) => reject(e.code === 'ENOENT' ? missing(cmd) : e));
    p.on('close', (code) =>
      code === 0
        ? resolve(Buffer.concat(out))
        : reject(new Error(Buffer.concat(err).toString().trim() || `exit code ${code}`)),
    );
  });
}

function missing(cmd: string): DataError {
  return new DataError(
    `${cmd}: not found. Install ffmpeg (scripts/install-ffmpeg.sh, or apt-get install ffmpeg) or set FFMPEG_PATH`,
  );
}

/** Throws a DataError when ffmpeg cannot be run. */
export async function checkFfmpeg(ffmpeg: string): Promise<string> {
  const v = await run(ffmpeg, ['-hide_banner', '-version']);
  return v.toString().split('\n')[0] ?? '';
}

export interface VideoInfo {
  width: number;
  height: number;
  fps: number;
  duration: number | null;
}

/** Size, frame rate and duration of the first video stream. */
export async function probe(file: string, ffmpeg: string): Promise<VideoInfo> {
  const out = await run(ffprobePath(ffmpeg), [
    '-v',
    'error',
    '-select_streams',
    'v:0',
    '-show_entries',
    'stream=width,height,avg_frame_rate,r_frame_rate:format=duration',
    '-of',
    'json',
    file,
  ]);
  const j = JSON.parse(out.toString()) as {
    streams?: { width?: number; height?: number; avg_frame_rate?: string; r_frame_rate?: string }[];
    format?: { duration?: string };
  };
  const s = j.streams?.[0];
  if (!s?.width || !s.height) throw new Error('no video stream');
  const rate = (r?: string) => {
    const [a, b] = (r ?? '0/1').split('/').map(Number);
    return a && b ? a / b : 0;
  };
  const fps = rate(s.avg_frame_rate) || rate(s.r_frame_rate);
  const duration = j.format?.duration ? Number(j.format.duration) : null;
  return { width: s.width, height: s.height, fps, duration };
}

export interface DecodeOptions {
  height: number;
  width: number;
  /** 'crop': scale to cover then centre-crop (keeps aspect); 'stretch': scale to the size. */
  resize: 'crop' | 'stretch';
  /** Resample to this frame rate (ffmpeg's fps filter); undefined keeps the source rate. */
  fps?: number | undefined;
  /**
   * Every stored frame once, as it is (`-fps_mode passthrough`): without it ffmpeg repeats or drops frames to hold a
   * constant rate, so a GIF whose frames show for different times decodes to more frames than it holds.
   */
  passthrough?: boolean;
  ffmpeg: string;
}

/**
 * Decode `file` to H x W RGB24 frames, calling `onFrame` per frame (a fresh Uint8Array). `onFrame`
 * returning false stops decoding early (ffmpeg is killed). Rejects with ffmpeg's stderr on failure.
 */
export function decodeFrames(
  file: string,
  o: DecodeOptions,
  onFrame: (frame: Uint8Array) => boolean,
): Promise<number> {
  const filters = [
    ...(o.fps ? [`fps=${o.fps}`] : []),
    o.resize === 'crop'
      ? `scale=${o.width}:${o.height}:force_original_aspect_ratio=increase:flags=area,crop=${o.width}:${o.height}`
      : `scale=${o.width}:${o.height}:flags=area`,
  ];
  const args = [
    '-hide_banner',
    '-loglevel',
    'error',
    '-nostdin',
    '-threads',
    '1',
    '-i',
    file,
    '-vf',
    filters.join(','),
    ...(o.passthrough ? ['-fps_mode', 'passthrough'] : []),
    '-pix_fmt',
    'rgb24',
    '-f',
    'rawvideo',
    'pipe:1',
  ];
  const frameBytes = o.height * o.width * 3;
  return new Promise((resolve, reject) => {
    const p = spawn(o.ffmpeg, args, { stdio: ['ignore', 'pipe', 'pipe'] });
    let frame = new Uint8Array(frameBytes);
    let fill = 0;
    let count = 0;
    let stopped = false;
    const err: Buffer[] = [];
    p.stderr.on('data', (b: Buffer) => err.push(b));
    p.stdout.on('data', (chunk: Buffer) => {
      let at = 0;
      while (at < chunk.length && !stopped) {
        const n = Math.min(frameBytes - fill, chunk.length - at);
        frame.set(chunk.subarray(at, at + n), fill);
        fill += n;
        at += n;
        if (fill === frameBytes) {
          count++;
          if (!onFrame(frame)) {
            stopped = true;
            p.kill('SIGKILL');
          }
          frame = new Uint8Array(frameBytes);
          fill = 0;
        }
      }
    });
    p.on('error', (e: NodeJS.ErrnoException) => reject(e.code === 'ENOENT' ? missing(o.ffmpeg) : e));
    p.on('close', (code) => {
      if (stopped || code === 0) resolve(count);
      else reject(new Error(Buffer.concat(err).toString().trim() || `ffmpeg exit code ${code}`));
    });
  });
}
