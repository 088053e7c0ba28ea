/** Given-frame masks: the sampling modes' masks, the training draws (strategy frequencies, row-wise), latent frames. */
import { withBatchPart } from '@vtx/core';
import { describe, expect, it } from 'vitest';
import {
  FrameConditioning,
  drawFrameMasks,
  frameMask,
  givenFrameCounts,
  latentFrames,
} from '../../src/frames/index.js';

const rowsOf = (m: Float32Array, frames: number) =>
  Array.from({ length: m.length / frames }, (_, r) => Array.from(m.slice(r * frames, (r + 1) * frames)));

describe('frameMask', () => {
  it('gives the first n, the last n, or both ends, and leaves at least one frame to generate', () => {
    expect(frameMask('first', 4, 1)).toEqual([true, false, false, false]);
    expect(frameMask('last', 4, 2)).toEqual([false, false, true, true]);
    expect(frameMask('both', 5, [2, 1])).toEqual([true, true, false, false, true]);
    expect(() => frameMask('first', 4, 4)).toThrow(/leave at least 1/);
    expect(() => frameMask('both', 4, [0, 0])).toThrow(/at least 1/);
  });
});

describe('givenFrameCounts', () => {
  const of = (unit: number, maxGiven?: number) => ({
    config: FrameConditioning.parse(maxGiven === undefined ? {} : { maxGiven }),
    unit,
  });

  it('gives maxGiven tubelets at one end (default half the clip, always one left) and connects within one gap', () => {
    expect(givenFrameCounts(of(1), 4)).toEqual({ end: 2, connect: 1 }); // 4 tubelets: half; 3 needed per gap
    expect(givenFrameCounts(of(1), 6)).toEqual({ end: 3, connect: 2 });
    expect(givenFrameCounts(of(2), 8)).toEqual({ end: 4, connect: 2 }); // 4 tubelets of 2 frames: counts in frames
    expect(givenFrameCounts(of(1, 5), 4)).toEqual({ end: 3, connect: 1 }); // maxGiven past the clip: one stays
    expect(givenFrameCounts(of(1, 1), 8)).toEqual({ end: 1, connect: 1 });
    expect(givenFrameCounts(of(4), 4)).toEqual({ end: 0, connect: 0 }); // one tubelet: nothing can be given
    expect(givenFrameCounts(of(1), 2)).toEqual({ end: 1, connect: 0 }); // two: extend yes, connect no
  });
});

describe('drawFrameMasks', () => {
  const fc = { config: FrameConditioning.parse({}), unit: 1 };

  it('draws each strategy with its configured probability (4000 rows, within 4 standard errors)', () => {
    const frames = 8;
    const rows = rowsOf(drawFrameMasks(fc, 4000, frames, 7), frames);
    const kind = (r: number[]) => {
      const n = r.reduce((a, b) => a + b, 0);
      if (!n) return 'none';
      const lead = r.indexOf(0);
      const tail = frames - 1 - r.lastIndexOf(0);
      if (lead > 0 && tail > 0) return 'both';
      if (n === 1 && lead === 0 && tail === 0) return 'random';
      // one given frame at an end is 'first'/'last' or an end drawn by 'random': count it with the ends
      return lead > 0 ? 'first' : 'last';
    };
    const count = (k: string) => rows.filter((r) => kind(r) === k).length / rows.length;
    const p = fc.config.strategies;
    // 'random' lands on an end with probability 2/8: those rows read as first / last
    const want = {
      none: p.none,
      both: p.both,
      random: p.random * (6 / 8),
      first: p.first + p.random / 8,
      last: p.last + p.random / 8,
    };
    for (const [k, q] of Object.entries(want))
      expect(Math.abs(count(k) - q)).toBeLessThan(4 * Math.sqrt((q * (1 - q)) / rows.length));
    for (const r of rows) expect(r.reduce((a, b) => a + b, 0)).toBeLessThan(frames); // one generated at least
  });

  it('gives whole tubelets, at most maxGiven at an end', () => {
    const masks = rowsOf(
      drawFrameMasks({ config: FrameConditioning.parse({ maxGiven: 1 }), unit: 2 }, 500, 8, 3),
      8,
    );
    for (const r of masks) {
      for (let f = 0; f < 8; f += 2) expect(r[f]).toBe(r[f + 1]);
      const lead = r.indexOf(0);
      expect(lead).toBeLessThanOrEqual(2);
    }
  });

  it('is row-wise: a rank holding rows [2, 5) of a global batch of 6 draws those rows of the whole draw', () => {
    const whole = rowsOf(drawFrameMasks(fc, 6, 4, 11), 4);
    const part = withBatchPart({ offset: 2, global: 6 }, () => rowsOf(drawFrameMasks(fc, 3, 4, 11), 4));
    expect(part).toEqual(whole.slice(2, 5));
  });

  it('rejects probabilities that do not sum to 1', () => {
    expect(() =>
      FrameConditioning.parse({ strategies: { none: 0.5, first: 0.5, last: 0.5, both: 0, random: 0 } }),
    ).toThrow(/sum to 1/);
  });
});

describe('latentFrames', () => {
  it('maps pixel frames to the latent frames of a temporal factor, refusing a half-given latent frame', () => {
    expect(latentFrames([true, true, false, false, false, false], 2)).toEqual([true, false, false]);
    expect(() => latentFrames([true, false, false, false], 2)).toThrow(/only some are given/);
  });
});
