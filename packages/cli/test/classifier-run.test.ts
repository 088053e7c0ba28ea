/**
 * The commands on a trained classifier run. `vtx eval`'s per-class accuracy and confusion matrix: the training's
 * last evaluation and `vtx eval` write `eval/classes-step-N.json`, consistent with top-1 and named by the data.
 *
 * `vtx predict RUN --video F | --image F` on a tiny ViViT run (4x16x16 clips, 3 evaluation views), against an
 * independent reference: the run's model applied by hand to the windows a 3-view test takes of the same pixels
 * (normalised to [-1, 1]), its logits averaged, then the softmax. The video is lossless (PNG frames in Matroska),
 * so ffmpeg returns the pixels written. Also: a resized video says so; usage errors name the flag (exit 2).
 */
import { execFileSync } from 'node:child_process';
import { existsSync, readFileSync, readdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import * as tf from '@tensorflow/tfjs-core';
import { mulberry32 } from '@vtx/core';
import { encodePng } from '@vtx/media';
import { loadRun, train } from '@vtx/train';
import { PassThrough } from 'node:stream';
import { beforeAll, describe, expect, it } from 'vitest';
import { captureCli } from './helpers/cli.js';
import { tinyClassifier, wasmRunsDir } from '../../train/test/helpers/tiny.js';

const hasFfmpeg = (() => {
  try {
    execFileSync('ffmpeg', ['-hide_banner', '-version'], { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
})();
if (!hasFfmpeg) console.warn('classifier-run.test: SKIPPED the video cases: ffmpeg is not on PATH');

const dir = wasmRunsDir('classifier-run');
const io = captureCli();
const runDir = join(dir, 'run');
const [T, H, W] = [12, 16, 16];
/** 12 frames of 16x16 RGB, seeded noise: every window differs. */
const pixels = (() => {
  const rand = mulberry32(5);
  return Uint8Array.from({ length: T * H * W * 3 }, () => Math.floor(rand() * 256));
})();

/** Write `frames` (T, h, w, 3) as a lossless video (PNG frames in Matroska) at 8 fps. */
function writeVideo(file: string, frames: Uint8Array, h: number, w: number): void {
  const raw = `${file}.rgb`;
  writeFileSync(raw, frames);
  execFileSync('ffmpeg', [
    ...['-hide_banner', '-loglevel', 'error', '-y', '-f', 'rawvideo', '-pix_fmt', 'rgb24'],
    ...['-s', `${w}x${h}`, '-r', '8', '-i', raw, '-c:v', 'png', '-pix_fmt', 'rgb24', file],
  ]);
}

/** The reference: softmax of the run's logits averaged over windows starting at `starts` of `clip` (T, H, W, 3). */
async function reference(clip: Uint8Array, t: number, starts: number[]): Promise<number[]> {
  const run = await loadRun(runDir);
  try {
    const x = tf.tensor(
      Float32Array.from(clip, (v) => (v / 255) * 2 - 1),
      [1, t, H, W, 3],
    );
    const logits = starts.map(
      (s) => run.model.apply(tf.slice(x, [0, s, 0, 0, 0], [1, 4, H, W, 3])) as tf.Tensor,
    );
    const p = tf.softmax(tf.div(tf.addN(logits), starts.length));
    const out = Array.from(await p.data());
    tf.dispose([x, p, ...logits]);
    return out;
  } finally {
    run.model.dispose();
  }
}

interface Out {
  views: number;
  crops: number;
  top: { class: number; name: string; probability: number }[];
}

beforeAll(async () => {
  await train(tinyClassifier(join(dir, 'cache'), { eval: { batches: 1, views: 3 } }), {
    out: runDir,
    terminal: new PassThrough(),
  });
}, 600_000);

describe('vtx eval: classes', () => {
  interface Classes {
    classes: string[];
    perClass: { class: number; name: string; clips: number; correct: number; accuracy: number | null }[];
    confusion: number[][];
  }

  it('the last evaluation of training and vtx eval write per-class accuracy and the confusion matrix', async () => {
    expect(existsSync(join(runDir, 'eval', 'classes-step-000020.json'))).toBe(true);
    expect(await io.run('eval', runDir, '--json')).toBe(0);
    const out = JSON.parse(io.out) as { classesFile: string; classes: Classes } & Record<string, number>;
    const { classes, confusion, perClass } = out.classes;
    expect(out.classesFile).toBe(join(runDir, 'eval', 'classes-step-000020.json'));
    expect(JSON.parse(readFileSync(out.classesFile, 'utf8'))).toEqual({ step: 20, ...out.classes });
    // named by the training data's index.json, in its numbering
    const cache = join(dir, 'cache');
    const dataset = readdirSync(cache).find((d) => d.startsWith('synthetic-'))!;
    const index = JSON.parse(readFileSync(join(cache, dataset, 'index.json'), 'utf8')) as {
      labels: { names: string[] };
    };
    expect(classes).toEqual(index.labels.names);
    // one evaluation batch of 4 clips: the matrix counts them, its diagonal is top-1
    const total = confusion.flat().reduce((a, b) => a + b, 0);
    expect(total).toBe(4);
    const diagonal = confusion.reduce((a, row, k) => a + row[k]!, 0);
    expect(out['val/top1']).toBeCloseTo(diagonal / total, 6);
    perClass.forEach((c, k) => {
      expect(c.clips).toBe(confusion[k]!.reduce((a, b) => a + b, 0));
      expect(c.correct).toBe(confusion[k]![k]);
    });
    io.out = '';
    expect(await io.run('eval', runDir)).toBe(0);
    expect(io.out).toContain('per-class accuracy (correct / clips)');
    const rows = io.out.split('confusion matrix (rows: true class')[1]!.trim().split('\n').slice(1);
    expect(rows.map((r) => r.trim().split(/\s+/).slice(-4).map(Number))).toEqual(confusion);
  });
});

describe('vtx predict RUN', () => {
  it.skipIf(!hasFfmpeg)(
    "--video: the run's 3 windows of the decoded frames, logits averaged, as an independent reference",
    async () => {
      const video = join(dir, 'clip.mkv');
      writeVideo(video, pixels, H, W);
      expect(await io.run('predict', runDir, '--video', video, '--json', '--top', '4')).toBe(0);
      const out = JSON.parse(io.out) as Out;
      expect([out.views, out.crops]).toEqual([3, 1]);
      const want = await reference(pixels, T, [0, 4, 8]); // round(i · (12 - 4) / 2)
      expect(out.top.map((p) => p.class).sort()).toEqual([0, 1, 2, 3]);
      for (const p of out.top) expect(p.probability).toBeCloseTo(want[p.class]!, 5);
      const probs = out.top.map((p) => p.probability);
      expect(probs).toEqual([...probs].sort((a, b) => b - a));
      expect(io.err).toMatch(
        /16x16 at 8 fps, resized to 16x16 .*; 12 frames; 3 window\(s\) x 1 crop\(s\) of 4x16x16/,
      );
      // human lines: rank, name, class, 4 significant digits
      io.out = '';
      expect(await io.run('predict', runDir, '--video', video, '--top', '2')).toBe(0);
      const lines = io.out.trim().split('\n');
      expect(lines).toHaveLength(2);
      expect(lines[0]).toMatch(
        new RegExp(`^1\\. ${out.top[0]!.name} \\(class ${out.top[0]!.class}\\): 0\\.\\d{1,4}$`),
      );
    },
    120_000,
  );

  it.skipIf(!hasFfmpeg)(
    '--video larger than the run: scaled to cover and centre-cropped, and it says so',
    async () => {
      const video = join(dir, 'wide.mkv');
      const wide = Uint8Array.from({ length: 6 * 24 * 40 * 3 }, (_, i) => (i * 7) % 256);
      writeVideo(video, wide, 24, 40);
      expect(await io.run('predict', runDir, '--video', video, '--json')).toBe(0);
      const out = JSON.parse(io.out) as Out;
      expect(io.err).toMatch(
        /40x24 at 8 fps, resized to 16x16 \(scaled to cover, centre crop\); 6 frames; 3 window/,
      );
      expect(out.top.reduce((s, p) => s + p.probability, 0)).toBeCloseTo(1, 5);
    },
  );

  it('--image: one frame repeated to the 4 frames the model takes, and it says so', async () => {
    const frame = pixels.subarray(0, H * W * 3);
    const png = join(dir, 'frame.png');
    writeFileSync(png, encodePng(frame, W, H, 3));
    expect(await io.run('predict', runDir, '--image', png, '--json', '--top', '4')).toBe(0);
    const out = JSON.parse(io.out) as Out;
    expect(io.err).toMatch(/the last of 1 repeated to the 4 frames the model takes/);
    const four = new Uint8Array(4 * frame.length);
    for (let i = 0; i < 4; i++) four.set(frame, i * frame.length);
    const want = await reference(four, 4, [0]);
    for (const p of out.top) expect(p.probability).toBeCloseTo(want[p.class]!, 5);
  });

  it('usage errors name the flag (exit 2); an unreadable file is a failure naming it (exit 1)', async () => {
    expect(await io.run('predict', runDir)).toBe(2);
    expect(io.err).toMatch(/give one of --video FILE or --image FILE/);
    io.err = '';
    expect(await io.run('predict', runDir, '--video', 'a.mp4', '--weights', 'w.safetensors')).toBe(2);
    expect(io.err).toMatch(/--weights belongs to the parity check/);
    io.err = '';
    expect(await io.run('predict', '--video', 'a.mp4')).toBe(2);
    expect(io.err).toMatch(/--video needs a classifier run: vtx predict RUN --video FILE/);
    io.err = '';
    expect(await io.run('predict', '--model', 'DiT-XL/2', '--weights', 'w.safetensors')).toBe(2);
    expect(io.err).toMatch(/--inputs, --out missing/);
    io.err = '';
    const missing = join(dir, 'missing.png');
    expect(await io.run('predict', runDir, '--image', missing)).toBe(1);
    expect(io.err).toContain(`${missing}: no such file`);
  });
});
