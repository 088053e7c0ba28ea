/**
 * bench/peer/convs.json, the convolution shapes the bench times in vtx and PyTorch: each is a convolution that
 * configs/unet-tiny.yaml's U-Net runs at its batch (read off a forward pass's kernels), and the flop count the
 * GFLOP/s are credited with is the closed form.
 */
import { readFileSync } from 'node:fs';
import * as tf from '@tensorflow/tfjs-core';
import { DiffusionConfig, ModelConfig, buildModel, makeProcess, type ClipShape } from '@vtx/models';
import { readConfigTree } from '@vtx/config';
import { describe, expect, it } from 'vitest';
import { CONVS_FILE, convGflop, convOutShape, loadConvs } from '../convs.js';

describe('bench/peer/convs.json', () => {
  const convs = loadConvs();

  it('has unique names, odd kernels, and the closed-form output shape and flops', () => {
    expect(new Set(convs.map((c) => c.name)).size).toBe(convs.length);
    for (const c of convs) expect(c.kernel % 2, c.name).toBe(1);
    const s2 = { name: 's2', input: [2, 9, 8, 3], filters: 5, kernel: 3, stride: 2 } as const;
    expect(convOutShape({ ...s2, input: [...s2.input] })).toEqual([2, 5, 4, 5]); // floor((9 + 2 - 3) / 2) + 1
    // 2 flops x (2·5·4 outputs x 5 channels) x (3·3·3 taps)
    expect(convGflop({ ...s2, input: [...s2.input] })).toBeCloseTo((2 * 2 * 5 * 4 * 5 * 27) / 1e9, 15);
  });

  it('every shape is a convolution of configs/unet-tiny.yaml at its batch', async () => {
    const tree = await readConfigTree(new URL('../../configs/unet-tiny.yaml', import.meta.url).pathname);
    const cfg = tree.value as {
      data: { batchSize: number; dataset: { size: number } };
      model: unknown;
      diffusion: unknown;
    };
    const size = cfg.data.dataset.size;
    const clip: ClipShape = [1, size, size, 1];
    const model = buildModel(
      ModelConfig.parse(cfg.model),
      clip,
      makeProcess(DiffusionConfig.parse(cfg.diffusion)),
    );
    const inputs = [tf.zeros([1, ...clip]), tf.fill([1, 1], 500), tf.zeros([1, 1])];
    const prof = await tf.profile(() => model.apply(inputs) as tf.Tensor);
    // (H, W, Cin, k, Cout, H') of every Conv2D the forward pass ran
    const ran = new Set(
      prof.kernels
        .filter((k) => k.name === 'Conv2D')
        .map((k) => {
          const [[, h, w, cin], [kh, , , cout]] = k.inputShapes as [number[], number[]];
          return [h, w, cin, kh, cout, k.outputShapes[0]![1]].join(',');
        }),
    );
    expect(ran.size).toBeGreaterThan(5);
    for (const c of convs) {
      const [n, h, w, cin] = c.input;
      expect(n, c.name).toBe(cfg.data.batchSize);
      const key = [h, w, cin, c.kernel, c.filters, convOutShape(c)[1]].join(',');
      expect(ran.has(key), `${c.name} (${key}) is not among the U-Net's [${[...ran].join(' | ')}]`).toBe(
        true,
      );
    }
    model.dispose();
    tf.dispose(inputs);
  });

  it('is the file conv_reference.py reads (same directory)', () => {
    const py = readFileSync(new URL('../peer/conv_reference.py', import.meta.url), 'utf8');
    expect(py).toMatch(/os\.path\.join\(HERE, "convs\.json"\)/);
    expect(CONVS_FILE.pathname.endsWith('bench/peer/convs.json')).toBe(true);
  });
});
