/**
 * The framing verdict of Sora's native-sizes ablation (framing-verdict.ts), by the rule of statistics.ts: per
 * sample size, native sizes ahead of squares over the seeds with each rate's binomial noise over 16 samples.
 */
import { describe, expect, it } from 'vitest';
import { framingVerdict } from '../../src/ablate/framing-verdict.js';

const SIZES = ['4x16x32', '4x32x16', '4x16x16', '4x24x40'];
const at = (values: number[]) => Object.fromEntries(SIZES.map((s) => [s, values]));

describe('framing verdict', () => {
  it('reproduced when native is ahead at every size beyond the seeds and the samples’ noise', () => {
    const v = framingVerdict({ native: at([0.9, 0.85, 0.8]), squares: at([0.3, 0.35, 0.25]) }, [0, 1, 2], 16);
    expect(v.verdict).toBe('reproduced');
    expect(v.lines.join('\n')).toContain(
      '| 4x24x40 | 0.85 [0.7', // mean 0.85, the interval widened by the binomial noise of 16 samples
    );
  });

  it('squares ahead at one size is not reproduced; zeros everywhere (this run) are inconclusive, no effect visible', () => {
    const against = framingVerdict(
      { native: { ...at([0.9, 0.85, 0.8]), '4x16x16': [0.1, 0.1, 0.15] }, squares: at([0.5, 0.45, 0.5]) },
      [0, 1, 2],
      16,
    );
    expect(against.verdict).toBe('not reproduced');
    const zeros = framingVerdict({ native: at([0, 0, 0]), squares: at([0, 0, 0]) }, [0, 1, 2], 16);
    expect(zeros.verdict).toBe('inconclusive');
    expect(zeros.lines.join('\n')).toContain('no effect visible at this budget');
  });

  it('one seed resolves nothing', () => {
    const v = framingVerdict({ native: at([0.9]), squares: at([0.1]) }, [0], 16);
    expect(v.verdict).toBe('inconclusive');
    expect(v.lines.join('\n')).toContain('(one seed)');
  });

  it('a small gap over 16 samples is within the binomial noise', () => {
    const v = framingVerdict({ native: at([0.5, 0.5, 0.5]), squares: at([0.45, 0.45, 0.45]) }, [0, 1, 2], 16);
    expect(v.verdict).toBe('inconclusive');
  });
});
