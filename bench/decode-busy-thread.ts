/**
 * Decoding on a busy thread (docs/notes/video-decoding.md): ffmpeg writes raw frames into a pipe, and when the thread
 * that reads the pipe is blocked, the pipe fills and ffmpeg waits. Encodes a 640x360 H.264 test video, then decodes
 * the same frames three ways and prints one JSON line each: on the main thread with the event loop free; on a main
 * thread that runs blocking "training steps" of `--step-ms`; in a worker thread (frames posted to the main thread
 * as transferables) while the main thread runs the same steps, timed from when the started worker is told to go.
 *
 *   node --conditions=@vtx/source --import tsx bench/decode-busy-thread.ts [--frames 120] [--step-ms 300]
 *
 * Needs the ffmpeg CLI (scripts/install-ffmpeg.sh). Not a test: the times vary with the machine and its load.
 */
import { spawn, spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { createRequire } from 'node:module';
import os from 'node:os';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { parseArgs } from 'node:util';
import { isMainThread, parentPort, Worker, workerData } from 'node:worker_threads';

const SIZE = 112;

/** Decode `frames` frames of `file` at SIZE x SIZE RGB24 through a pipe, handing each frame to `onFrame`. */
function decode(
  file: string,
  frames: number,
  onFrame: (frame: Uint8Array<ArrayBuffer>) => void,
): Promise<void> {
  const args = ['-hide_banner', '-loglevel', 'error', '-nostdin', '-threads', '1', '-i', file];
  args.push(
    '-vf',
    `scale=${SIZE}:${SIZE}`,
    '-frames:v',
    String(frames),
    '-pix_fmt',
    'rgb24',
    '-f',
    'rawvideo',
  );
  const bytes = SIZE * SIZE * 3;
  return new Promise((resolve, reject) => {
    const p = spawn('ffmpeg', [...args, 'pipe:1'], { stdio: ['ignore', 'pipe', 'inherit'] });
    let frame = new Uint8Array(bytes);
    let fill = 0;
    p.stdout.on('data', (chunk: Buffer) => {
      for (let at = 0; at < chunk.length;) {
        const n = Math.min(bytes - fill, chunk.length - at);
        frame.set(chunk.subarray(at, at + n), fill);
        [fill, at] = [fill + n, at + n];
        if (fill === bytes) [frame, fill] = [(onFrame(frame), new Uint8Array(bytes)), 0];
      }
    });
    p.on('error', reject);
    p.on('close', (code) => (code === 0 ? resolve() : reject(new Error(`ffmpeg exited with ${code}`))));
  });
}

/** Block the thread for `ms`, as a tfjs step on a CPU backend does. */
function blockFor(ms: number): void {
  const end = performance.now() + ms;
  while (performance.now() < end);
}

/** Run `work` while the main thread runs blocking steps of `stepMs` (yielding once between steps). */
async function whileBusy(stepMs: number, work: Promise<unknown>): Promise<number> {
  const t0 = performance.now();
  if (stepMs === 0) await work;
  let done = stepMs === 0;
  void work.then(() => (done = true));
  while (!done) {
    blockFor(stepMs);
    await new Promise((r) => setImmediate(r));
  }
  await work;
  return (performance.now() - t0) / 1000;
}

/** A worker thread on this file, through tsx's ESM hooks (an inherited `--import tsx` does not reach it). */
function startWorker(data: { file: string; frames: number }): Worker {
  const tsx = path.dirname(createRequire(import.meta.url).resolve('tsx/package.json'));
  const api = pathToFileURL(path.join(tsx, 'dist/esm/api/index.mjs')).href;
  const boot = `import(${JSON.stringify(api)}).then((m) => { m.register(); return import(${JSON.stringify(import.meta.url)}); });`;
  return new Worker(boot, { eval: true, workerData: data });
}

if (isMainThread) {
  const { values: a } = parseArgs({
    options: { frames: { type: 'string', default: '120' }, 'step-ms': { type: 'string', default: '300' } },
  });
  const [frames, stepMs] = [Number(a.frames), Number(a['step-ms'])];
  const dir = mkdtempSync(path.join(os.tmpdir(), 'vtx-decode-'));
  const file = path.join(dir, 'testsrc2.mp4');
  const enc = spawnSync('ffmpeg', [
    ...['-hide_banner', '-loglevel', 'error', '-f', 'lavfi', '-i', 'testsrc2=size=640x360:rate=30'],
    ...['-t', String(Math.ceil(frames / 30) + 1), '-c:v', 'libx264', '-g', '60', '-pix_fmt', 'yuv420p', file],
  ]);
  if (enc.status !== 0)
    throw new Error(`ffmpeg could not encode the test video (${String(enc.error ?? enc.status)})`);
  const report = (how: string, seconds: number, got: number) =>
    console.log(JSON.stringify({ how, frames: got, stepMs, seconds: +seconds.toFixed(3) }));
  let got = 0;
  report(
    'main thread, event loop free',
    await whileBusy(
      0,
      decode(file, frames, () => got++),
    ),
    got,
  );
  got = 0;
  report(
    'main thread, blocking steps',
    await whileBusy(
      stepMs,
      decode(file, frames, () => got++),
    ),
    got,
  );
  got = 0;
  const worker = startWorker({ file, frames });
  await new Promise((resolve, reject) => worker.once('message', resolve).once('error', reject)); // started
  const finished = new Promise<void>((resolve, reject) => {
    worker.on('message', (m: Uint8Array | 'done') => (m === 'done' ? resolve() : got++));
    worker.on('error', reject);
  });
  worker.postMessage('go');
  report('worker thread, main thread blocking steps', await whileBusy(stepMs, finished), got);
  await worker.terminate();
  rmSync(dir, { recursive: true, force: true });
} else {
  const { file, frames } = workerData as { file: string; frames: number };
  const port = parentPort!;
  port.once('message', () => {
    // a failed decode rejects unhandled: the worker dies and the main thread's 'error' handler reports it
    void decode(file, frames, (f) => port.postMessage(f, [f.buffer])).then(() => port.postMessage('done'));
  });
  port.postMessage('ready');
}
