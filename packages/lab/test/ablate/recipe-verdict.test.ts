/**
 * The `recipe` ablation's verdict (recipe-verdict.ts): one claim per lever against the default arm, decided by the
 * common rule (statistics.ts) with the binomial noise of 64 judged samples.
 */
import { resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import { DIT_TINY_RECIPE_SAMPLES, leverVerdict } from '../../src/ablate/recipe-verdict.js';
import { ablation } from '../../src/ablate/registry.js';
import { loadSweep } from '../../src/sweep/expand.js';
import type { ReportRow, SweepReport } from '../../src/sweep/report.js';

const M = 'sample/one-subject';

function arm(label: string, values: readonly number[]): ReportRow[] {
  return values.map((v, seed) => ({
    name: `${label}_seed-${seed}`,
    axes: { label, seed },
    state: 'completed',
    final: { [M]: v },
    best: { [M]: v },
    records: [],
  }));
}

const report = (rows: ReportRow[]): SweepReport => ({
  plan: {} as SweepReport['plan'],
  rows,
  metric: M,
  fits: [],
  files: [],
});

describe('recipe lever verdict', () => {
  it('a lever ahead on every seed beyond 64 samples’ noise is resolved for it; one behind on every seed, against', () => {
    const v = leverVerdict(
      report([
        ...arm('default', [0.45, 0.5, 0.4]),
        ...arm('shift', [0.85, 0.9, 0.8]),
        ...arm('min-snr', [0.05, 0.1, 0.05]),
      ]),
    );
    const text = v.lines.join('\n');
    expect(v.verdict).toBe('not reproduced'); // min-snr resolved against
    expect(text).toMatch(/shift better than default: effect \+0\.4 \[\+0\.[2-4]\d*, \+0\.[4-6]/);
    expect(text).toContain('Ranked by mean: shift > default > min-snr.');
  });

  it('every lever resolved ahead is reproduced; a gap within the binomial noise of 64 samples is inconclusive', () => {
    const ahead = leverVerdict(
      report([...arm('default', [0.2, 0.25, 0.2]), ...arm('shift', [0.8, 0.85, 0.8])]),
    );
    expect(ahead.verdict).toBe('reproduced');
    const close = leverVerdict(
      report([...arm('default', [0.5, 0.5, 0.5]), ...arm('shift', [0.53, 0.53, 0.53])]),
    );
    expect(close.verdict).toBe('inconclusive');
  });

  it('one seed resolves nothing; a missing default arm is named', () => {
    const one = leverVerdict(report([...arm('default', [0.1]), ...arm('shift', [0.9])]));
    expect(one.verdict).toBe('inconclusive');
    expect(one.lines.join('\n')).toContain('one seed');
    const noBase = leverVerdict(report(arm('shift', [0.8, 0.85, 0.8])));
    expect(noBase.verdict).toBe('inconclusive');
    expect(noBase.lines.join('\n')).toContain('no completed run of default');
  });
});

describe('recipe-dit-tiny', () => {
  const ROOT = resolve(import.meta.dirname, '../../../..');

  it("judges the same four arms on dit-tiny by the judge's class accuracy, with the sweep's sample count as the binomial n", async () => {
    const a = ablation('recipe-dit-tiny');
    expect(a.metric).toBe('sample/class-acc');
    const ex = await loadSweep(resolve(ROOT, a.sweep));
    const labels = [...new Set(ex.runs.map((r) => r.name.replace(/_seed-\d+$/, '')))];
    expect(labels.map((l) => l.replace(/^recipe-dit-tiny-/, '')).sort()).toEqual([
      'default',
      'long-skips',
      'min-snr',
      'shift',
    ]);
    expect(ex.runs).toHaveLength(12);
    for (const r of ex.runs) expect(r.config.eval.judge?.samples).toBe(DIT_TINY_RECIPE_SAMPLES);
    // the rule reads 128 samples' binomial noise: a 0.06 gap on every seed resolved at 128, not at 16
    const rows = [...arm('default', [0.9, 0.9, 0.9]), ...arm('min-snr', [0.96, 0.96, 0.96])].map((r) => ({
      ...r,
      final: { 'sample/class-acc': r.final[M]! },
      best: { 'sample/class-acc': r.final[M]! },
    }));
    const rep = { ...report(rows), metric: 'sample/class-acc' };
    expect(a.verdict(rep).lines.join('\n')).toMatch(/min-snr better than default/);
    expect(leverVerdict(rep, 'default', 128).verdict).not.toBe(leverVerdict(rep, 'default', 16).verdict);
  });
});
