/**
 * The coherence-scaling verdict on hand-made sweep reports, by the rule of statistics.ts: the slope of each rate on
 * log10 compute over the seeds, with each rate's binomial noise. Rates that rise beyond the noise reproduce the
 * finding; a fall is resolved against it; a flat line or few samples' noise is inconclusive (naming the budget), and
 * samples that never show an occlusion cannot read permanence. (Rewritten with the rule of issue 24: the old
 * "partly" and the old "not reproduced" for a precise flat line are now inconclusive; a resolved fall of one rate is
 * "not reproduced" even when the other rises.)
 */
import { describe, expect, it } from 'vitest';
import { coherenceScalingVerdict } from '../../src/ablate/coherence-verdict.js';
import { ablation } from '../../src/ablate/registry.js';
import type { ReportRow, SweepReport } from '../../src/sweep/report.js';

const COMPUTE = [100, 300, 1000, 3000]; // train Gflop: 30x
const OFFSETS = [0, 0.01, -0.01]; // each seed moves every rate alike

function report(
  permanence: number[],
  consistency: number[],
  occluded: number[] = permanence.map(() => 0.8),
  samples?: number,
  seeds = 3,
): SweepReport {
  const clamp = (v: number) => Math.min(1, Math.max(0, v));
  const rows: ReportRow[] = COMPUTE.flatMap((c, i) =>
    OFFSETS.slice(0, seeds).map((o, seed) => {
      const m = {
        'sample/permanence': clamp(permanence[i]! + (permanence[i]! > 0 ? o : 0)),
        'sample/consistency': clamp(consistency[i]! + o),
        'sample/occluded': occluded[i]!,
      };
      return {
        name: `b${i}_seed-${seed}`,
        axes: { label: `b${i}`, seed },
        state: 'completed',
        params: 1000 * (i + 1),
        trainGflop: c,
        final: m,
        best: {},
        records: [],
      } satisfies ReportRow;
    }),
  );
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
    expect(text).toContain('3 seeds each; each rate over 128 samples');
    expect(text).toMatch(/sample\/permanence: Pearson r of the budgets' means with log10 compute 0\.99/);
    // least-squares slope on log10 C: the rates span 1.48 decades of compute
    expect(text).toMatch(
      /- sample\/permanence grows with training compute \(slope per decade of compute\): effect \+0\.4\d+ \[\+0\.\d+, \+0\.\d+\], 3 seeds, paired — resolved, as in the paper\./,
    );
    expect(text).toMatch(/Power law over every run: sample\/permanence = .*C\^/);
    expect(text).toMatch(
      /\| b0 \| 1000 \| 100 \| 0\.8 \[0\.7\d, 0\.8\d\] \(3 seeds: 0\.8, 0\.8, 0\.8\) \| 0\.05 \[/,
    );
  });

  it('a flat line is inconclusive, with the seeds estimated to decide it; few samples are too', () => {
    const flat = report([0.02, 0.03, 0.02, 0.03], [0.95, 0.96, 0.95, 0.96]);
    const v0 = coherenceScalingVerdict(flat, { samples: 512 });
    expect(v0.verdict).toBe('inconclusive');
    expect(v0.lines.join('\n')).toMatch(/sample\/consistency grows .* unresolved: needs ~\d+ seeds per arm/);
    // 32 samples: the rise is within the binomial noise
    const noisy = report([0.1, 0.3, 0.2, 0.25], [0.5, 0.6, 0.55, 0.6]);
    const v = coherenceScalingVerdict(noisy, { samples: 32 });
    expect(v.verdict).toBe('inconclusive');
    expect(v.lines.join('\n')).toContain('Unresolved: sample/permanence grows with training compute');
    // the same numbers over 4096 samples are resolved: both rise beyond the noise
    expect(coherenceScalingVerdict(noisy, { samples: 4096 }).verdict).toBe('reproduced');
  });

  it('one rate rising and the other flat is inconclusive; a rate falling beyond the noise is not reproduced', () => {
    const one = report([0.05, 0.2, 0.45, 0.7], [0.95, 0.96, 0.95, 0.96]);
    const v = coherenceScalingVerdict(one, { samples: 512 });
    expect(v.verdict).toBe('inconclusive');
    expect(v.lines.join('\n')).toContain(
      'Unresolved: sample/consistency grows with training compute (slope per decade of compute) (resolved as in the paper: sample/permanence grows',
    );
    const falls = report([0.7, 0.45, 0.2, 0.05], [0.95, 0.96, 0.95, 0.96]);
    expect(coherenceScalingVerdict(falls, { samples: 512 }).verdict).toBe('not reproduced');
    // falling permanence is resolved against the paper even while consistency rises
    const mixed = report([0.7, 0.45, 0.2, 0.05], [0.3, 0.5, 0.7, 0.9]);
    expect(coherenceScalingVerdict(mixed, { samples: 512 }).verdict).toBe('not reproduced');
  });

  it('one seed per budget is inconclusive however clear the rise', () => {
    const v = coherenceScalingVerdict(
      report([0.05, 0.2, 0.45, 0.7], [0.3, 0.5, 0.7, 0.9], undefined, 512, 1),
    );
    expect(v.verdict).toBe('inconclusive');
    expect(v.lines.join('\n')).toContain('unresolved (one seed)');
  });

  it('permanence cannot be read when no sample shows an occlusion, and missing runs or metrics are inconclusive', () => {
    const none = report([0, 0, 0, 0], [0.95, 0.96, 0.95, 0.96], [0, 0, 0, 0]);
    const v = coherenceScalingVerdict(none, { samples: 512 });
    expect(v.verdict).toBe('inconclusive');
    expect(v.lines.join('\n')).toContain(
      'unresolved (no sample of any run hides its subject and shows it again, so nothing can re-emerge)',
    );
    const partial = report([0.05, 0.2, 0.45, 0.7], [0.3, 0.5, 0.7, 0.9]);
    partial.rows[1]!.state = 'partial';
    partial.rows[2]!.state = 'interrupted';
    expect(coherenceScalingVerdict(partial).verdict).toBe('inconclusive');
    const unscored = report([0.05, 0.2, 0.45, 0.7], [0.3, 0.5, 0.7, 0.9]);
    delete unscored.rows[0]!.final['sample/consistency'];
    expect(coherenceScalingVerdict(unscored).lines[0]).toMatch(/^b0_seed-0 reported no sample\/permanence/);
  });

  it('is the registered verdict of coherence-scaling, judged by sample/permanence', () => {
    const a = ablation('coherence-scaling');
    expect(a.metric).toBe('sample/permanence');
    expect(a.verdict(report([0.05, 0.2, 0.45, 0.7], [0.3, 0.5, 0.7, 0.9], undefined, 128)).verdict).toBe(
      'reproduced',
    );
  });
});
