/**
 * The coherence-scaling verdict on hand-made sweep reports: rates that rise with training compute beyond their
 * binomial noise reproduce the finding, a precise flat line does not, a few samples' noise is inconclusive, one
 * metric rising is partly, a fall is not reproduced, and samples that never show an occlusion cannot read permanence.
 */
import { describe, expect, it } from 'vitest';
import { coherenceScalingVerdict } from '../../src/ablate/coherence-verdict.js';
import { ablation } from '../../src/ablate/registry.js';
import type { ReportRow, SweepReport } from '../../src/sweep/report.js';

const COMPUTE = [100, 300, 1000, 3000]; // train Gflop: 30x

function report(
  permanence: number[],
  consistency: number[],
  occluded: number[] = permanence.map(() => 0.8),
  samples?: number,
): SweepReport {
  const rows: ReportRow[] = COMPUTE.map((c, i) => {
    const m = {
      'sample/permanence': permanence[i]!,
      'sample/consistency': consistency[i]!,
      'sample/occluded': occluded[i]!,
    };
    return {
      name: `b${i}`,
      axes: { label: `b${i}` },
      state: 'completed',
      params: 1000 * (i + 1),
      trainGflop: c,
      final: m,
      best: {},
      records: [],
    };
  });
  const runs = samples === undefined ? [] : [{ overrides: { 'eval.judge': { samples } } }];
  return {
    plan: { runs } as unknown as SweepReport['plan'],
    rows,
    metric: 'sample/permanence',
    fits: [],
    files: [],
  };
}

describe('coherence-scaling verdict', () => {
  it('both rates rising with compute beyond the noise: reproduced, with r, the slope and the power law', () => {
    const v = coherenceScalingVerdict(report([0.05, 0.2, 0.45, 0.7], [0.3, 0.5, 0.7, 0.9], undefined, 128));
    expect(v.verdict).toBe('reproduced');
    const text = v.lines.join('\n');
    expect(text).toContain('each rate over 128 samples');
    expect(text).toMatch(/sample\/permanence: Pearson r with log10 compute 0\.99/);
    // least-squares slope on log10 C: the rates span 1.48 decades of compute
    expect(text).toMatch(/sample\/permanence: .*slope \+0\.4\d per decade/);
    expect(text).toMatch(/Power law: sample\/permanence = .*C\^/);
    expect(text).toContain('Both grow with training compute');
  });

  it('a flat line measured precisely is not reproduced; the same with few samples is inconclusive', () => {
    const flat = report([0.02, 0.03, 0.02, 0.03], [0.95, 0.96, 0.95, 0.96]);
    expect(coherenceScalingVerdict(flat, { samples: 512 }).verdict).toBe('not reproduced');
    expect(coherenceScalingVerdict(flat, { samples: 512 }).lines.join('\n')).toContain(
      'Neither grows with training compute',
    );
    // 32 samples: a rise of 0.15 is within two standard errors (about 0.2)
    const noisy = report([0.1, 0.3, 0.2, 0.25], [0.5, 0.6, 0.55, 0.6]);
    const v = coherenceScalingVerdict(noisy, { samples: 32 });
    expect(v.verdict).toBe('inconclusive');
    expect(v.lines.join('\n')).toContain('the samples cannot tell');
    // the same numbers over 4096 samples are resolved: both rise beyond the noise (r 0.52 and 0.66)
    expect(coherenceScalingVerdict(noisy, { samples: 4096 }).verdict).toBe('reproduced');
  });

  it('one rate rising is partly reproduced; a rate falling beyond the noise is not', () => {
    const one = report([0.05, 0.2, 0.45, 0.7], [0.95, 0.96, 0.95, 0.96]);
    const v = coherenceScalingVerdict(one, { samples: 512 });
    expect(v.verdict).toBe('partly reproduced');
    expect(v.lines.at(-1)).toBe('Only permanence grows with training compute at this scale.');
    const falls = report([0.7, 0.45, 0.2, 0.05], [0.95, 0.96, 0.95, 0.96]);
    expect(coherenceScalingVerdict(falls, { samples: 512 }).verdict).toBe('not reproduced');
    // rising consistency with falling permanence is not "partly"
    const mixed = report([0.7, 0.45, 0.2, 0.05], [0.3, 0.5, 0.7, 0.9]);
    expect(coherenceScalingVerdict(mixed, { samples: 512 }).verdict).toBe('inconclusive');
  });

  it('permanence cannot be read when no sample shows an occlusion, and missing runs or metrics are inconclusive', () => {
    const none = report([0, 0, 0, 0], [0.95, 0.96, 0.95, 0.96], [0, 0, 0, 0]);
    const v = coherenceScalingVerdict(none, { samples: 512 });
    expect(v.verdict).toBe('inconclusive');
    expect(v.lines.join('\n')).toContain(
      'Permanence cannot be read: no sample of any run hides its subject and shows it again',
    );
    const partial = report([0.05, 0.2, 0.45, 0.7], [0.3, 0.5, 0.7, 0.9]);
    partial.rows[1]!.state = 'partial';
    partial.rows[2]!.state = 'interrupted';
    expect(coherenceScalingVerdict(partial).verdict).toBe('inconclusive');
    const unscored = report([0.05, 0.2, 0.45, 0.7], [0.3, 0.5, 0.7, 0.9]);
    delete unscored.rows[0]!.final['sample/consistency'];
    expect(coherenceScalingVerdict(unscored).lines[0]).toMatch(/^b0 reported no sample\/permanence/);
  });

  it('is the registered verdict of coherence-scaling, judged by sample/permanence', () => {
    const a = ablation('coherence-scaling');
    expect(a.metric).toBe('sample/permanence');
    expect(a.verdict(report([0.05, 0.2, 0.45, 0.7], [0.3, 0.5, 0.7, 0.9], undefined, 128)).verdict).toBe(
      'reproduced',
    );
  });
});
