/**
 * VAE runs trained from YAML like any model: every evaluation reports val/psnr and val/ssim and writes
 * samples/recon-step-N.gif|png with the first evaluation clips beside their reconstructions (input | 1-px gap |
 * reconstruction).
 */
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import { buildSynthetic } from '@vtx/data';
import { PNG } from 'pngjs';
import { afterAll, describe, expect, it } from 'vitest';
import { train } from '../../src/train.js';

const root = mkdtempSync(join(tmpdir(), 'vtx-recon-eval-'));
afterAll(() => rmSync(root, { recursive: true, force: true }));
const sink = new Writable({ write: (_c, _e, cb) => cb() });

/** The logical screen size of a GIF (bytes 6-9, little-endian). */
function gifSize(path: string): { width: number; height: number } {
  const b = readFileSync(path);
  expect(b.subarray(0, 6).toString('latin1')).toBe('GIF89a');
  return { width: b.readUInt16LE(6), height: b.readUInt16LE(8) };
}

describe('VAE evaluation', () => {
  it('writes recon-step-N.gif (input | reconstruction) at every evaluation and reports PSNR/SSIM', async () => {
    const pixels = join(root, 'pixels');
    await buildSynthetic(pixels, { kind: 'synthetic', count: 6, frames: 2, height: 8, width: 8, seed: 3 });
    const run = join(root, 'vae');
    const summary = await train(
      {
        name: 'vae-recon',
        backend: 'cpu',
        data: { dataset: pixels, batchSize: 3, worker: false },
        model: { kind: 'vae', factors: [1, 4, 4], latentChannels: 2, width: 8, depth: 1, heads: 2 },
        train: { steps: 2, logEvery: 1, evalEvery: 1, ema: { enabled: false } },
        eval: { batches: 1 },
        log: { tensorboard: false, progress: 'off' },
      },
      { out: run, terminal: sink },
    );
    expect(summary.metrics['val/psnr']).toBeGreaterThan(0);
    expect(summary.metrics['val/ssim']).toBeGreaterThan(-1);
    expect(summary.metrics['val/ssim']).toBeLessThanOrEqual(1);
    for (const step of ['000001', '000002']) {
      const gif = join(run, 'samples', `recon-step-${step}.gif`);
      expect(existsSync(gif)).toBe(true);
      expect(existsSync(join(run, 'samples', `recon-step-${step}.png`))).toBe(true);
      // 3 clips of 2 x 8 x 8 in one row; a tile is input (8) + 1-px gap + reconstruction (8) = 17 px wide,
      // magnified floor(96 / 17) = 5 times, with 2-px padding around tiles
      const scale = Math.floor(96 / 17);
      expect(gifSize(gif)).toEqual({ width: 3 * (17 * scale + 2) + 2, height: 8 * scale + 2 + 2 });
    }
    // the PNG sheet: one row per clip, one column per frame
    const png = PNG.sync.read(readFileSync(join(run, 'samples', 'recon-step-000002.png')));
    expect(png.width).toBe(2 * (17 * 5 + 2) + 2);
    expect(png.height).toBe(3 * (8 * 5 + 2) + 2);
  }, 600_000);
});
