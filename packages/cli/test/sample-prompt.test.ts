/**
 * `vtx sample` prompted with pictures and videos (issue 22): --image, --extend [--backward], --connect A B, --edit
 * --strength. The flag checks are usage errors naming the flag (exit 2, nothing written); on a tiny frame-conditioned
 * video DiT (6 frames of 16x16, tubelets of 2 frames) each mode writes its sheet, and the given frames in the written
 * PNG sheet are the input's pixels exactly (reading the input the way the command does, at the run's size). PNG
 * fixtures are written with pngjs, GIF and MP4 fixtures with ffmpeg (the ffmpeg tests fail loudly without it unless
 * VTX_SKIP_FFMPEG=1). Training on wasm, a few seconds per run.
 */
import { spawnSync } from 'node:child_process';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { PNG } from 'pngjs';
import { beforeAll, describe, expect, it } from 'vitest';
import { readPromptClip } from '@vtx/data';
import { encodePng } from '@vtx/media';
import { captureCli } from './helpers/cli.js';
import { tinyRun, tinyVideoDiT, wasmRunsDir } from '../../train/test/helpers/tiny.js';
import { hasFfmpeg, needFfmpeg } from '../../data/test/helpers/ffmpeg.js';

const dir = wasmRunsDir('sample-prompt');
const io = captureCli();
const { run } = io;
const T = 6; // frames of the frame-conditioned run: 3 tubelets of 2
let plain = ''; // trained without frame conditioning (4 frames)
let framed = '';

/** An h x w RGB picture with every pixel different (a seeded pattern), as PNG bytes. */
function pattern(h: number, w: number, seed: number): Buffer {
  const data = new Uint8Array(h * w * 3);
  for (let i = 0; i < data.length; i++) data[i] = (i * 37 + seed * 101 + ((i * i) % 13)) % 256;
  return Buffer.from(encodePng(data, w, h, 3));
}

/** Encode `frames` pattern frames of 24x24 into `out` (.gif or .mp4) with ffmpeg. */
function video(out: string, frames: number, seed: number): void {
  const raw = Buffer.concat(
    Array.from({ length: frames }, (_, f) => PNG.sync.read(pattern(24, 24, seed + f)).data),
  );
  const input = ['-f', 'rawvideo', '-pix_fmt', 'rgba', '-s', '24x24', '-r', '4', '-i', '-'];
  const codec = out.endsWith('.mp4') ? ['-c:v', 'libx264', '-pix_fmt', 'yuv420p'] : [];
  const r = spawnSync('ffmpeg', ['-hide_banner', '-loglevel', 'error', '-y', ...input, ...codec, out], {
    input: raw,
  });
  if (r.status !== 0) throw new Error(`ffmpeg could not encode ${out}: ${r.stderr.toString()}`);
}

beforeAll(async () => {
  process.env['VTX_BACKEND'] = 'wasm';
  writeFileSync(join(dir, 'pic.png'), pattern(32, 40, 1)); // not the run's 16x16: resized
  writeFileSync(join(dir, 'small.png'), pattern(16, 16, 2));
  if (hasFfmpeg) {
    video(join(dir, 'a.gif'), 5, 10);
    video(join(dir, 'b.mp4'), 7, 20);
  }
  plain = await tinyRun(join(dir, 'plain'));
  framed = await tinyRun(join(dir, 'framed'), {
    data: {
      dataset: { kind: 'synthetic', count: 32, frames: T, height: 16, width: 16 },
      cacheDir: join(dir, 'framed', 'cache'),
      batchSize: 4,
      worker: false,
    },
    model: { ...tinyVideoDiT, attention: 'factorised', condition: 'class', frameConditioning: {} },
  });
}, 600_000);

/** Frame `f` of sample `k` in a written contact sheet of (count, frames, 16, 16, 3) clips: (16, 16, 3) bytes. */
function sheetFrame(file: string, frames: number, k: number, f: number): Uint8Array {
  const png = PNG.sync.read(readFileSync(file));
  const [h, w, s, pad] = [16, 16, 6, 2]; // gridFrames' scale for 16x16 tiles: floor(96 / 16)
  const column = png.width - (frames * (w * s + pad) + pad); // the label column on the left
  const out = new Uint8Array(h * w * 3);
  for (let y = 0; y < h; y++)
    for (let x = 0; x < w; x++) {
      const px = column + pad + f * (w * s + pad) + x * s;
      const py = pad + k * (h * s + pad) + y * s;
      for (let c = 0; c < 3; c++) out[(y * w + x) * 3 + c] = png.data[(py * png.width + px) * 4 + c]!;
    }
  return out;
}

/** The bytes the sheet shows for frame `f` of a prompt clip read the way `vtx sample` reads it. */
async function inputFrame(
  file: string,
  frames: number,
  from: 'start' | 'end',
  f: number,
): Promise<Uint8Array> {
  const clip = await readPromptClip(file, { height: 16, width: 16, channels: 3, frames, from });
  const frame = clip.data.subarray(f * 768, (f + 1) * 768);
  return Uint8Array.from(frame, (v) => Math.max(0, Math.min(255, Math.round(((v + 1) / 2) * 255))));
}

describe('vtx sample prompt flags (no run needed)', () => {
  const sample = (...flags: string[]) => run('sample', join(dir, 'none'), '--no-mp4', ...flags);
  it.each([
    [['--image', 'a.png', '--edit', 'b.mp4', '--strength', '0.5'], /--image and --edit: give one of --image/],
    [['--extend', 'a.gif', '--connect', 'a.gif', 'b.gif'], /--extend and --connect: give one of/],
    [['--edit', 'b.mp4'], /--edit: needs --strength S/],
    [['--edit', 'b.mp4', '--strength', '1.5'], /--strength 1.5: expected a number from 0 to 1/],
    [['--edit', 'b.mp4', '--strength', '-0.1'], /--strength -0.1: expected a number from 0 to 1/],
    [['--image', 'a.png', '--strength', '0.5'], /--strength: only with --edit F/],
    [['--image', 'a.png', '--backward'], /--backward: only with --extend F/],
    [['--frames', '8'], /--frames: only with --extend F/],
    [['--extend', 'a.gif', '--frames', '0'], /--frames 0: expected a positive integer/],
    [['--connect', 'a.gif'], /--connect: expected two videos, A B \(got 1\)/],
    [['--image', 'a.png', '--size', '4,16,16'], /--size: not with --image/],
  ])('%j: exit 2 naming the flag', async (flags, message) => {
    expect(await sample(...flags)).toBe(2);
    expect(io.err).toMatch(message);
    expect(io.out).toBe('');
  });
});

describe('vtx sample with pictures and videos', () => {
  const sample = (runDir: string, stem: string, ...flags: string[]) =>
    run('sample', runDir, '--count', '2', '--steps', 'ddim2', '--no-mp4', '--out', join(dir, stem), ...flags);

  it('a masked mode on a run trained without frame conditioning: exit 2 naming the flag, nothing written', async () => {
    expect(await sample(plain, 'no-fc', '--image', join(dir, 'small.png'))).toBe(2);
    expect(io.err).toMatch(/^error: --image: .* was trained without frame conditioning .*use --edit/);
    expect(existsSync(join(dir, 'no-fc.png'))).toBe(false);
  });

  it('files that cannot serve: exit 2 naming the flag and the file', async () => {
    expect(await sample(framed, 'bad', '--image', join(dir, 'absent.png'))).toBe(2);
    expect(io.err).toMatch(/^error: --image .*absent\.png: no such file\n/);
    expect(await sample(framed, 'bad', '--extend', join(dir, 'small.png'))).toBe(2);
    expect(io.err).toMatch(/--extend .*small\.png: is a still image \(1 frame\); 2 are needed/);
    expect(await sample(plain, 'bad', '--edit', join(dir, 'small.png'), '--strength', '0.5')).toBe(2);
    expect(io.err).toMatch(/--edit .*small\.png: is a still image \(1 frame\); 4 are needed/);
    expect(existsSync(join(dir, 'bad.png'))).toBe(false);
  });

  it('--image: the picture, resized with a notice, is the first tubelet of every sample, exactly', async () => {
    const pic = join(dir, 'pic.png');
    expect(await sample(framed, 'image', '--image', pic, '--class', '1', '3')).toBe(0);
    expect(io.err).toMatch(/--image .*pic\.png: 40x32 resized to 16x16 \(scaled to cover, centre-cropped\)/);
    const want = await inputFrame(pic, 1, 'start', 0);
    for (const k of [0, 1])
      for (const f of [0, 1]) expect(sheetFrame(join(dir, 'image.png'), T, k, f)).toEqual(want);
    // the generated frames are the model's, not copies of the picture
    expect(sheetFrame(join(dir, 'image.png'), T, 0, 2)).not.toEqual(want);
  });

  it('--extend forward and --backward: the video’s last (first) frames start (end) the clip, exactly', async (ctx) => {
    needFfmpeg(ctx);
    const gif = join(dir, 'a.gif');
    expect(await sample(framed, 'fwd', '--extend', gif)).toBe(0);
    expect(await sample(framed, 'bwd', '--extend', gif, '--backward')).toBe(0);
    // without --out the files say the mode
    expect(
      await run('sample', framed, '--count', '1', '--steps', 'ddim2', '--extend', gif, '--backward'),
    ).toBe(0);
    expect(io.out).toMatch(/samples\/sample-0-extend-backward\.png\n/);
    expect(existsSync(join(framed, 'samples', 'sample-0-extend-backward.gif'))).toBe(true);
    expect(await sample(framed, 'long', '--extend', gif, '--frames', '15')).toBe(0); // 2.5 windows of 6
    for (const f of [0, 1]) {
      const last = await inputFrame(gif, 2, 'end', f);
      const first = await inputFrame(gif, 2, 'start', f);
      for (const k of [0, 1]) {
        expect(sheetFrame(join(dir, 'fwd.png'), T, k, f)).toEqual(last);
        expect(sheetFrame(join(dir, 'bwd.png'), T, k, T - 2 + f)).toEqual(first);
        expect(sheetFrame(join(dir, 'long.png'), 15, k, f)).toEqual(last);
      }
    }
    const sheet = PNG.sync.read(readFileSync(join(dir, 'long.png')));
    expect(sheet.height).toBe(2 * (16 * 6 + 2) + 2); // two samples
    expect(await sample(framed, 'short', '--extend', gif, '--frames', '2')).toBe(2);
    expect(io.err).toMatch(/--frames 2: the output holds the 2 given frames; ask for more than 2/);
  });

  it('--connect A B: A’s last frames start the clip and B’s first frames end it, exactly', async (ctx) => {
    needFfmpeg(ctx);
    const [a, b] = [join(dir, 'a.gif'), join(dir, 'b.mp4')];
    expect(await sample(framed, 'connect', '--connect', a, b)).toBe(0);
    for (const f of [0, 1]) {
      expect(sheetFrame(join(dir, 'connect.png'), T, 1, f)).toEqual(await inputFrame(a, 2, 'end', f));
      expect(sheetFrame(join(dir, 'connect.png'), T, 1, T - 2 + f)).toEqual(
        await inputFrame(b, 2, 'start', f),
      );
    }
  });

  it('--edit at strength 0 returns the video (on a run without frame conditioning: editing needs none)', async (ctx) => {
    needFfmpeg(ctx);
    const mp4 = join(dir, 'b.mp4');
    expect(await sample(plain, 'edit0', '--edit', mp4, '--strength', '0')).toBe(0);
    for (let f = 0; f < 4; f++)
      expect(sheetFrame(join(dir, 'edit0.png'), 4, 0, f)).toEqual(await inputFrame(mp4, 4, 'start', f));
    expect(await sample(plain, 'edit1', '--edit', mp4, '--strength', '0.6')).toBe(0);
    expect(sheetFrame(join(dir, 'edit1.png'), 4, 0, 0)).not.toEqual(await inputFrame(mp4, 4, 'start', 0));
  });
});
