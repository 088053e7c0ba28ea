/**
 * `vtx sample` prompts on a latent run (a video DiT on `vtx encode` latents of a tiny VAE with factors 2x4x4): files are
 * read at the pixel size behind the latent clip and encoded through the run's VAE. --edit at strength 0 gives the
 * VAE's own reconstruction of the input (its full model with zero noise, computed here independently); --image and
 * --extend write clips of the right pixel length. Trained for a few steps on wasm.
 */
import { spawnSync } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import * as tf from '@tensorflow/tfjs-core';
import { buildSynthetic, readPromptClip } from '@vtx/data';
import { PNG } from 'pngjs';
import { beforeAll, describe, expect, it } from 'vitest';
import { encodeDataset, loadRun, train } from '../../train/src/index.js';
import { encodePng, labelColumnWidth } from '@vtx/media';
import { captureCli } from './helpers/cli.js';
import { tinyVideoDiT, wasmRunsDir } from '../../train/test/helpers/tiny.js';
import { hasFfmpeg, needFfmpeg } from '../../data/test/helpers/ffmpeg.js';

const dir = wasmRunsDir('sample-prompt-latent');
const io = captureCli();
const sink = new Writable({ write: (_c, _e, cb) => cb() });
const quiet = { tensorboard: false, progress: 'off' } as const;
let vae = '';
let dit = '';

/** Frame `f` of sample `k` of a written sheet of 16x16 pixel frames: (16, 16, 3) bytes. */
function sheetFrame(file: string, frames: number, k: number, f: number): Uint8Array {
  const png = PNG.sync.read(readFileSync(file));
  const [h, w, s, pad] = [16, 16, 6, 2];
  const column = png.width - (frames * (w * s + pad) + pad);
  const out = new Uint8Array(h * w * 3);
  for (let y = 0; y < h; y++)
    for (let x = 0; x < w; x++)
      for (let c = 0; c < 3; c++)
        out[(y * w + x) * 3 + c] =
          png.data[
            ((pad + k * (h * s + pad) + y * s) * png.width + column + pad + f * (w * s + pad) + x * s) * 4 + c
          ]!;
  return out;
}

beforeAll(async () => {
  process.env['VTX_BACKEND'] = 'wasm';
  const pixels = join(dir, 'pixels');
  await buildSynthetic(pixels, { kind: 'synthetic', count: 16, frames: 4, height: 16, width: 16, seed: 3 });
  vae = join(dir, 'vae');
  await train(
    {
      name: 'vae',
      backend: 'wasm',
      data: { dataset: pixels, batchSize: 4, worker: false },
      model: { kind: 'vae', factors: [2, 4, 4], latentChannels: 2, width: 8, depth: 1, heads: 2 },
      train: { steps: 4, logEvery: 1, ema: { enabled: false } },
      eval: { batches: 1 },
      log: quiet,
    },
    { out: vae, terminal: sink },
  );
  const latents = join(dir, 'latents');
  await encodeDataset({ vaeRun: vae, dataset: pixels, out: latents, batchSize: 8, previews: 0 });
  dit = join(dir, 'dit');
  await train(
    {
      name: 'latent-dit',
      seed: 3,
      backend: 'wasm',
      data: { dataset: latents, batchSize: 4, worker: false },
      // latents (2, 4, 4, 2): tubelets of 1 latent frame = 2 pixel frames
      model: { ...tinyVideoDiT, patch: [1, 2, 2], condition: 'class', frameConditioning: {} },
      diffusion: { samplingSteps: 'ddim2', sampler: 'ddim', cfgScale: 1 },
      optim: { kind: 'adamw', lr: 1e-3 },
      train: { steps: 2, logEvery: 1, checkpointEvery: 2, ema: { enabled: false } },
      eval: { batches: 1 },
      sample: { count: 0 },
      log: quiet,
    },
    { out: dit, terminal: sink },
  );
  writeFileSync(join(dir, 'pic.png'), encodePng(pattern(16 * 16 * 3, 1), 16, 16, 3));
  if (hasFfmpeg) {
    const raw = Buffer.from(pattern(16 * 16 * 3 * 6, 2));
    const input = ['-f', 'rawvideo', '-pix_fmt', 'rgb24', '-s', '16x16', '-r', '4', '-i', '-'];
    const r = spawnSync('ffmpeg', ['-loglevel', 'error', '-y', ...input, join(dir, 'clip.gif')], {
      input: raw,
    });
    if (r.status !== 0) throw new Error(`ffmpeg: ${r.stderr.toString()}`);
  }
}, 600_000);

/** n seeded bytes. */
function pattern(n: number, seed: number): Uint8Array {
  return Uint8Array.from({ length: n }, (_, i) => (i * 37 + seed * 101 + ((i * i) % 13)) % 256);
}

describe('vtx sample prompts on a latent run', () => {
  const sample = (stem: string, ...flags: string[]) =>
    io.run(
      'sample',
      dit,
      '--count',
      '1',
      '--class',
      '0',
      '--weights',
      'live',
      '--no-mp4',
      '--out',
      join(dir, stem),
      ...flags,
    );

  it("--edit at strength 0: the VAE's reconstruction of the input", async (ctx) => {
    needFfmpeg(ctx);
    expect(await sample('edit0', '--edit', join(dir, 'clip.gif'), '--strength', '0')).toBe(0);
    // reference: the VAE's full model on the first 4 frames with zero noise (z = the posterior mean)
    const input = await readPromptClip(join(dir, 'clip.gif'), {
      height: 16,
      width: 16,
      channels: 3,
      frames: 4,
      from: 'start',
    });
    const run = await loadRun(vae);
    const x = tf.tensor(input.data, [1, 4, 16, 16, 3]);
    const [recon] = run.model.predict([x, tf.zeros([1, 2, 4, 4, 2])]) as tf.Tensor[];
    const want = Uint8Array.from(await recon!.data(), (v) =>
      Math.round(((Math.min(1, Math.max(-1, v)) + 1) / 2) * 255),
    );
    tf.dispose([x, recon!]);
    run.model.dispose();
    let worst = 0;
    for (let f = 0; f < 4; f++) {
      const got = sheetFrame(join(dir, 'edit0.png'), 4, 0, f);
      got.forEach((b, i) => (worst = Math.max(worst, Math.abs(b - want[f * 768 + i]!))));
    }
    expect(worst).toBeLessThanOrEqual(1); // the scale factor in and out, and rounding
  });

  it('--image and --extend: pixel clips of the asked length, the files read at the pixel size', async (ctx) => {
    // twice in one process: the VAE decoder the first command cached is loaded again once the first freed it
    expect(await sample('plain')).toBe(0);
    expect(await sample('image', '--image', join(dir, 'pic.png'))).toBe(0);
    expect(io.err).not.toMatch(/resized/); // 16x16 pixels behind 4x4 latents: read as they are
    // the sheet's width: the label column, then one 16x16 frame (x6, 2 px apart) per pixel frame
    const label = labelColumnWidth(['class 0 (left-to-right)']);
    const frames = (stem: string) =>
      (PNG.sync.read(readFileSync(join(dir, `${stem}.png`))).width - 2 - label) / 98;
    expect(frames('image')).toBe(4); // 2 latent frames
    needFfmpeg(ctx);
    expect(await sample('long', '--extend', join(dir, 'clip.gif'), '--frames', '8')).toBe(0);
    expect(frames('long')).toBe(8); // 4 latent frames
    expect(await sample('odd', '--extend', join(dir, 'clip.gif'), '--frames', '7')).toBe(2);
    expect(io.err).toMatch(/--frames 7: the run's VAE decodes 2 frames per latent frame; give a multiple/);
  });
});
