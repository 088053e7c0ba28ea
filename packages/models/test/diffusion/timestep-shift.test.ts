/**
 * The timestep shift of rectified flow (./src/diffusion/timestep-shift.ts) against SD3's closed form (Esser et al.
 * 2024 §5.3.2: t_m = sqrt(m / n) t_n / (1 + (sqrt(m / n) - 1) t_n), written out here), its auto value from a model's
 * token grid, and its use by the process: training timesteps and the sampling grid shifted alike.
 */
import * as tf from '@tensorflow/tfjs-core';
import { describe, expect, it } from 'vitest';

import {
  DiffusionConfig,
  autoShift,
  makeProcess,
  resolveShift,
  shiftTimestep,
  type FlowProcess,
} from '../../src/diffusion/index.js';
import { gridOf } from '../../src/types.js';
import { flowConfig, values } from './helpers.js';

const T = 1000;
const sd3 = (m: number, n: number, tn: number) => {
  const r = Math.sqrt(m / n);
  return (r * tn) / (1 + (r - 1) * tn);
};
const tokens = (clip: number[], patch: number[]) => gridOf(clip, patch).reduce((a, b) => a * b, 1);

describe('timestep shift', () => {
  it("is SD3's resolution-dependent shift, the identity at s = 1, monotone, and composes by multiplying", () => {
    for (const [m, n] of [
      [1024, 256],
      [4096, 256],
      [64, 256],
    ] as const) {
      for (const tn of [0, 0.1, 0.37, 0.5, 0.9, 1]) {
        expect(shiftTimestep(tn, Math.sqrt(m / n))).toBeCloseTo(sd3(m, n, tn), 12);
      }
    }
    const grid = Array.from({ length: 101 }, (_, i) => i / 100);
    expect(grid.map((tau) => shiftTimestep(tau, 1))).toEqual(grid);
    for (const s of [0.25, 2, 3, 8]) {
      const shifted = grid.map((tau) => shiftTimestep(tau, s));
      shifted.slice(1).forEach((v, i) => expect(v).toBeGreaterThan(shifted[i]!));
      // s > 1 moves every interior tau toward noise (1), s < 1 toward data
      grid.slice(1, -1).forEach((tau, i) => expect(Math.sign(shifted[i + 1]! - tau)).toBe(Math.sign(s - 1)));
      // the odds tau / (1 - tau) are multiplied by s
      expect(shiftTimestep(0.2, s) / (1 - shiftTimestep(0.2, s))).toBeCloseTo((s * 0.2) / 0.8, 12);
    }
    expect(shiftTimestep(shiftTimestep(0.3, 2), 1.5)).toBeCloseTo(shiftTimestep(0.3, 3), 12);
    expect(() => shiftTimestep(0.5, 0)).toThrow(/must be positive/);
  });

  it("auto: s = sqrt(m / n) with m and n the model's token counts (the patch cancels; frames count)", () => {
    // DiT/2 on 32x32 against a 16x16 base: 256 vs 64 tokens, s = 2
    const dit = [1, 2, 2];
    expect(autoShift([4, 1, 32, 32, 4], [1, 16, 16])).toBeCloseTo(
      Math.sqrt(tokens([1, 32, 32], dit) / tokens([1, 16, 16], dit)),
      12,
    );
    expect(autoShift([4, 1, 32, 32, 4], [1, 16, 16])).toBeCloseTo(2, 12);
    // a video DiT with tubelet 2x4x4 on 8x16x16 clips against a 1x16x16 base (Open-Sora 1.2 counts frames)
    const tube = [2, 4, 4];
    expect(autoShift([2, 8, 16, 16, 3], [2, 16, 16])).toBeCloseTo(
      Math.sqrt(tokens([8, 16, 16], tube) / tokens([2, 16, 16], tube)),
      12,
    );
    // SD3's spatial-only rule: a base with the clips' frame count
    expect(autoShift([2, 8, 32, 32, 3], [8, 16, 16])).toBeCloseTo(2, 12);
    expect(resolveShift(3)).toBe(3);
    expect(resolveShift({ auto: { baseSize: [1, 16, 16] } }, [1, 1, 64, 64, 1])).toBeCloseTo(4, 12);
    expect(() => resolveShift({ auto: { baseSize: [1, 16, 16] } })).toThrow(/timestepShift: auto needs/);
    expect(() => autoShift([2, 16, 16], [1, 16, 16])).toThrow(/clips \(B, T, H, W, C\)/);
  });

  it('is a rectified-flow key: a number or { auto: { baseSize } }, off (1) by default, checked with its path', () => {
    expect(flowConfig().timestepShift).toBe(1);
    expect(flowConfig({ timestepShift: { auto: { baseSize: [1, 16, 16] } } }).timestepShift).toEqual({
      auto: { baseSize: [1, 16, 16] },
    });
    for (const bad of [0, -2, { auto: { baseSize: [1, 16] } }, { auto: {} }, 'auto']) {
      const r = DiffusionConfig.safeParse({ process: 'rectified-flow', timestepShift: bad });
      expect(r.success).toBe(false);
      expect(r.error!.issues.some((i) => i.path[0] === 'timestepShift')).toBe(true);
    }
    const g = DiffusionConfig.safeParse({ process: 'gaussian', timestepShift: 2 });
    expect(g.success).toBe(false);
    expect(JSON.stringify(g.error!.issues)).toContain('timestepShift');
  });

  it('shifts the training timesteps: the same draws, mapped by T f_s(t / T); auto from the batch shape', () => {
    for (const timestepSampling of ['uniform', 'logit-normal'] as const) {
      const plain = values(makeProcess(flowConfig({ timestepSampling })).sampleTimesteps(64, 7));
      const shifted = values(
        makeProcess(flowConfig({ timestepSampling, timestepShift: 3 })).sampleTimesteps(64, 7),
      );
      plain.forEach((t, i) => expect(shifted[i]! / (T * shiftTimestep(t / T, 3))).toBeCloseTo(1, 5));
      expect(shifted.every((t) => t > 0 && t < T)).toBe(true);
      const auto = makeProcess(
        flowConfig({ timestepSampling, timestepShift: { auto: { baseSize: [1, 4, 4] } } }),
      );
      // (B, 1, 12, 12, C) against 1x4x4: s = 3
      expect(values(auto.sampleTimesteps(64, 7, [64, 1, 12, 12, 3]))).toEqual(shifted);
      expect(() => auto.sampleTimesteps(64, 7)).toThrow(/timestepShift: auto needs/);
    }
    // evaluation's grid is not shifted
    const shiftedProcess = makeProcess(flowConfig({ timestepShift: 3 }));
    expect(values(shiftedProcess.timestepsAt(Int32Array.from([0, 250, 999])))).toEqual([0, 250, 999]);
  });

  it('shifts the sampling grid by timestepShift times the sampling-only shift', async () => {
    const seen = async (p: FlowProcess, shape: number[]) => {
      const taus: number[] = [];
      const x = await p.sample((xt: tf.Tensor) => tf.concat([xt, xt], -1), shape, {
        seed: 1,
        onStep: (s) => void taus.push(s.modelTimestep / T),
      });
      x.dispose();
      return taus;
    };
    const steps = 8;
    const grid = (s: number) => Array.from({ length: steps }, (_, i) => shiftTimestep(1 - i / steps, s));
    const fixed = makeProcess(
      flowConfig({ samplingSteps: '8', timestepShift: 2, shift: 1.5 }),
    ) as FlowProcess;
    (await seen(fixed, [2, 1, 4, 4, 1])).forEach((tau, i) => expect(tau).toBeCloseTo(grid(3)[i]!, 5));
    const auto = makeProcess(
      flowConfig({ samplingSteps: '8', timestepShift: { auto: { baseSize: [1, 2, 2] } } }),
    ) as FlowProcess;
    (await seen(auto, [2, 1, 4, 4, 1])).forEach((tau, i) => expect(tau).toBeCloseTo(grid(2)[i]!, 5));
    const none = makeProcess(flowConfig({ samplingSteps: '8' })) as FlowProcess;
    (await seen(none, [2, 1, 4, 4, 1])).forEach((tau, i) => expect(tau).toBeCloseTo(1 - i / steps, 6));
  });
});
