import { describe, expect, it } from 'vitest';
import { ABLATIONS, ablation } from '../../src/ablate/registry.js';
import {
  accuracySE,
  attentionVerdict,
  captionsVerdict,
  gflopsCorrelationVerdict,
  judgedSamples,
  orderVerdict,
  paretoFront,
  patchVerdict,
  tubeletInitVerdict,
  vivitVariantsVerdict,
} from '../../src/ablate/verdicts.js';
import { armBars } from '../../src/ablate/run.js';
import { loadSweep } from '../../src/sweep/expand.js';
import type { ReportRow, SweepReport } from '../../src/sweep/report.js';
import { resolve } from 'node:path';

const ROOT = resolve(__dirname, '../../../..');

function row(
  name: string,
  axes: Record<string, unknown>,
  m: Record<string, number>,
  extra: Partial<ReportRow> = {},
): ReportRow {
  return { name, axes, state: 'completed', final: m, best: m, records: [], ...extra };
}

function rep(metric: string, rows: ReportRow[]): SweepReport {
  return { plan: {} as SweepReport['plan'], rows, metric, fits: [], files: [] };
}

describe('ablation verdicts', () => {
  const cond = (vals: number[]) =>
    rep(
      'val/mse',
      ['adaLN-Zero', 'adaLN', 'cross-attention', 'in-context'].map((c, i) =>
        row(c, { 'model.conditioning': c }, { 'val/mse': vals[i]! }),
      ),
    );
  const order = ['adaLN-Zero', 'adaLN', 'cross-attention', 'in-context'];

  it('order: exact match, winner only, and wrong winner', () => {
    expect(orderVerdict(cond([1, 2, 3, 4]), 'model.conditioning', order).verdict).toBe('reproduced');
    expect(orderVerdict(cond([1, 3, 2, 4]), 'model.conditioning', order).verdict).toBe('partly reproduced');
    expect(orderVerdict(cond([2, 1, 3, 4]), 'model.conditioning', order).verdict).toBe('not reproduced');
  });

  it('is inconclusive while runs are missing', () => {
    const r = cond([1, 2, 3, 4]);
    r.rows[3]!.state = 'partial';
    expect(orderVerdict(r, 'model.conditioning', order).verdict).toBe('inconclusive');
  });

  it('gflops correlation: sign and strength, losses and accuracies', () => {
    const g = [1, 2, 4, 8];
    const mk = (metric: string, ys: number[]) =>
      rep(
        metric,
        g.map((x, i) => row(`r${i}`, {}, { [metric]: ys[i]! }, { gflops: x })),
      );
    expect(gflopsCorrelationVerdict(mk('val/mse', [4, 3, 2, 1])).verdict).toBe('reproduced');
    expect(gflopsCorrelationVerdict(mk('val/top1', [0.1, 0.2, 0.3, 0.4])).verdict).toBe('reproduced');
    expect(gflopsCorrelationVerdict(mk('val/mse', [1, 2, 3, 4])).verdict).toBe('not reproduced');
  });

  it('Pareto front of accuracy vs Gflops', () => {
    const rows = [
      row('a', {}, { 'val/top1': 0.9 }, { gflops: 10 }),
      row('b', {}, { 'val/top1': 0.8 }, { gflops: 5 }),
      row('c', {}, { 'val/top1': 0.7 }, { gflops: 6 }), // dominated by b
    ];
    expect([...paretoFront(rows, 'val/top1')].sort()).toEqual(['a', 'b']);
  });

  it('ViViT: model 4 cheapest and model 2 on the front', () => {
    const v = (acc: number[], g: number[]) =>
      rep(
        'val/top1',
        ['spatio-temporal', 'factorised-encoder', 'factorised-self-attention', 'factorised-dot-product'].map(
          (n, i) => row(n, { 'model.variant': n }, { 'val/top1': acc[i]! }, { gflops: g[i]! }),
        ),
      );
    expect(vivitVariantsVerdict(v([0.8, 0.79, 0.77, 0.76], [455, 284, 372, 277])).verdict).toBe('reproduced');
    expect(vivitVariantsVerdict(v([0.8, 0.7, 0.77, 0.76], [455, 284, 372, 277])).verdict).toBe(
      'partly reproduced',
    );
  });

  it('ViT patch: monotone improvement to smaller patches', () => {
    const p = (accs: number[]) =>
      rep(
        'val/top1',
        [14, 7, 4].map((q, i) =>
          row(`p${q}`, { 'model.patch': q }, { 'val/top1': accs[i]! }, { tokens: (28 / q) ** 2 }),
        ),
      );
    expect(patchVerdict(p([0.5, 0.6, 0.7])).verdict).toBe('reproduced');
    expect(patchVerdict(p([0.6, 0.5, 0.7])).verdict).toBe('partly reproduced');
    expect(patchVerdict(p([0.5, 0.7, 0.6])).verdict).toBe('not reproduced');
  });

  it('attention: compares per step and at equal compute from the loss curves', () => {
    const curve = (f: (s: number) => number) =>
      Array.from({ length: 10 }, (_, i) => ({ step: (i + 1) * 10, loss: f((i + 1) * 10) }));
    // joint: 2 Gflop/step, lower loss per step; factorised: 1 Gflop/step, same loss at the same compute => fact <= joint
    const joint = row(
      'joint',
      { 'model.attention': 'joint' },
      { 'val/mse': 0.5 },
      {
        gflops: 2,
        step: 100,
        steps: 100,
        trainGflop: 200,
        records: curve((s) => 1 / (2 * s)),
      },
    );
    const fact = row(
      'fact',
      { 'model.attention': 'factorised' },
      { 'val/mse': 0.6 },
      {
        gflops: 1,
        step: 100,
        steps: 100,
        trainGflop: 100,
        records: curve((s) => 1 / (1.2 * s)),
      },
    );
    const v = attentionVerdict(rep('val/mse', [joint, fact]));
    expect(v.verdict).toBe('reproduced');
    expect(v.lines.join(' ')).toContain('joint costs 2x');
  });
});

describe('ViViT tubelet initialisation verdict', () => {
  // arm -> accuracy per seed
  const tub = (accs: Record<string, number[]>) =>
    rep(
      'val/top1',
      Object.entries(accs).flatMap(([arm, ys]) =>
        ys.map((y, seed) => row(`${arm}_seed-${seed}`, { label: arm, seed }, { 'val/top1': y })),
      ),
    );

  it('reproduced: paper order, every neighbouring pair beyond 2 standard errors', () => {
    const v = tubeletInitVerdict(
      tub({
        central: [0.93, 0.94, 0.935],
        uniform: [0.9, 0.91, 0.905],
        inflate: [0.87, 0.88, 0.875],
        random: [0.8, 0.82, 0.81],
        scratch: [0.4, 0.35, 0.38],
      }),
    );
    expect(v.verdict).toBe('reproduced');
    const text = v.lines.join('\n');
    expect(text).toContain('| central (central frame) | 79.2% | 93.5% ± 0.5 (93.0%, 94.0%, 93.5%) |');
    expect(text).toContain('scratch (no image pretraining; not in the paper)');
    expect(text).toContain('Observed order of the means: central > uniform > inflate > random.');
  });

  it('partly: the order holds on the means but a pair is within the noise; or only the winner matches', () => {
    const noisy = tubeletInitVerdict(
      tub({
        central: [0.93, 0.9, 0.95],
        uniform: [0.92, 0.91, 0.93],
        inflate: [0.87, 0.88, 0.875],
        random: [0.8, 0.82, 0.81],
      }),
    );
    expect(noisy.verdict).toBe('partly reproduced');
    expect(noisy.lines.join('\n')).toMatch(/central \/ uniform is not separated by 3 seeds/);
    const winner = tubeletInitVerdict(
      tub({ central: [0.95, 0.95], uniform: [0.8, 0.8], inflate: [0.9, 0.9], random: [0.7, 0.7] }),
    );
    expect(winner.verdict).toBe('partly reproduced');
    expect(winner.lines.join('\n')).toContain('uniform vs inflate: inflate ahead by 10.0 points');
  });

  it('not reproduced when central is not best; inconclusive while runs are missing', () => {
    const r = tub({ central: [0.8, 0.8], uniform: [0.9, 0.9], inflate: [0.7, 0.7], random: [0.6, 0.6] });
    expect(tubeletInitVerdict(r).verdict).toBe('not reproduced');
    r.rows[0]!.state = 'partial';
    expect(tubeletInitVerdict(r).verdict).toBe('inconclusive');
  });

  it('arm bars: mean and sample sd over seeds per label; none without a seed axis', () => {
    const r = tub({ central: [0.9, 0.8], random: [0.5, 0.5] });
    r.plan = { axes: ['label', 'seed'] } as SweepReport['plan'];
    const bars = armBars(r, 'val/top1');
    expect(bars.map((b) => b.label)).toEqual(['central', 'random']);
    expect(bars[0]!.y).toBeCloseTo(0.85, 12);
    expect(bars[0]!.err).toBeCloseTo(Math.SQRT1_2 * 0.1, 12);
    expect(bars[1]!.err).toBe(0);
    r.plan = { axes: ['label'] } as SweepReport['plan'];
    expect(armBars(r, 'val/top1')).toEqual([]);
  });
});

describe('descriptive vs terse captions verdict', () => {
  const ATTRS = ['shape', 'colour', 'size', 'direction', 'speed', 'background'];
  // the judge's own validation accuracy: shape near chance, the rest read well
  const JUDGE = { shape: 0.24, colour: 1, size: 0.94, direction: 1, speed: 0.96, background: 1 };
  /** Accuracies per attribute (ATTRS order) as metrics `<prefix>acc/<attribute>` and their mean. */
  const scored = (prefix: string, accs: readonly number[]) => ({
    ...Object.fromEntries(ATTRS.map((a, i) => [`${prefix}acc/${a}`, accs[i]!])),
    [`${prefix}acc/mean`]: accs.reduce((s, v) => s + v, 0) / accs.length,
    [`${prefix}frechet`]: 50,
  });
  type Arm = { held: readonly number[]; inDist?: readonly number[] };
  const caps = (desc: Arm, terse: Arm, samples = 128) => {
    const arm = (a: Arm) => ({
      ...scored('sample/', a.held),
      ...(a.inDist ? scored('in-distribution/', a.inDist) : {}),
    });
    const r = rep('sample/acc/mean', [
      row('caption-descriptive', { 'data.caption': 'descriptive' }, arm(desc)),
      row('caption-terse', { 'data.caption': 'terse' }, arm(terse)),
    ]);
    r.stages = [
      row('judge', {}, Object.fromEntries(Object.entries(JUDGE).map(([a, v]) => [`val/acc/${a}`, v]))),
    ];
    r.plan = {
      runs: [{ index: 0, name: 'caption-descriptive', axes: {}, overrides: { 'eval.judge': { samples } } }],
    } as unknown as SweepReport['plan'];
    return r;
  };
  const opts = { heldOut: ['colour', 'background'], inDistribution: 'in-distribution' };
  const chance = [0.2, 0.13, 0.33, 0.25, 0.5, 0.25];
  const good = [0.2, 0.6, 0.5, 0.4, 0.6, 1];

  it('reproduced: ahead on both means and on every held-out attribute the judge reads, beyond 2 SE', () => {
    const v = captionsVerdict(caps({ held: good, inDist: good }, { held: chance, inDist: chance }), opts);
    expect(v.verdict).toBe('reproduced');
    const text = v.lines.join('\n');
    expect(text).toContain('in 128 samples per arm and set');
    // per attribute: chance, the judge's ceiling, both arms and the difference (bold: beyond 2 SE) per prompt set
    expect(text).toContain(
      "| attribute | chance | judge's validation accuracy | held-out combinations: descriptive / terse | difference (2 SE) | in distribution: descriptive / terse | difference (2 SE) |",
    );
    expect(text).toMatch(
      /\| colour \(held out in combination\) \| 0\.13 \| 1\.00 \| 0\.60 \/ 0\.13 \| \*\*\+0\.47\*\* \(±0\.\d\d\) \| 0\.60 \/ 0\.13 \|/,
    );
    expect(text).toMatch(/\| shape † \| 0\.20 \| 0\.24 \| 0\.20 \/ 0\.20 \| \+0\.00 \(±0\.\d\d\) \|/);
    expect(text).toContain('The judge reads shape (0.24, chance 0.20) below 0.8');
    expect(text).toContain('Fréchet distance to real in-distribution clips: descriptive 50, terse 50');
    // both held-out attributes right at once: at least 0.6 + 1 - 1
    expect(text).toContain('both right), at least: descriptive 0.60, terse 0.00');
    // without an in-distribution scoring: one prompt set, and it says so
    const held = captionsVerdict(caps({ held: good }, { held: chance }), opts);
    expect(held.verdict).toBe('reproduced');
    expect(held.lines[0]).toContain('In-distribution prompts were not scored.');
  });

  it('partly when only some of it is beyond the noise, naming a held-out attribute not learned in distribution either', () => {
    const desc = [0.2, 0.15, 0.3, 0.25, 0.5, 1];
    const some = captionsVerdict(caps({ held: desc, inDist: desc }, { held: chance, inDist: chance }), opts);
    expect(some.verdict).toBe('partly reproduced');
    expect(some.lines.at(-1)).toBe(
      'Descriptive captions are ahead beyond the noise on: the mean on held-out combinations; the mean in distribution; background on held-out combinations. Not on: colour on held-out combinations.',
    );
    expect(some.lines.join('\n')).toContain(
      'On colour the descriptive model is not above chance in distribution either (0.15, chance 0.13)',
    );
    // learned in distribution but not composed: no such note
    const composed = captionsVerdict(
      caps({ held: desc, inDist: good }, { held: chance, inDist: chance }),
      opts,
    );
    expect(composed.verdict).toBe('partly reproduced');
    expect(composed.lines.join('\n')).not.toContain('not above chance in distribution');
  });

  it('not reproduced when terse is ahead; inconclusive within noise; the noise shrinks with samples', () => {
    expect(captionsVerdict(caps({ held: chance }, { held: good }), opts).verdict).toBe('not reproduced');
    expect(captionsVerdict(caps({ held: chance }, { held: chance }), opts).verdict).toBe('inconclusive');
    // the same gap resolved at 512 samples is noise at 8
    const better = { held: [0.2, 0.3, 0.33, 0.25, 0.5, 0.45] };
    expect(captionsVerdict(caps(better, { held: chance }, 512), opts).verdict).toBe('reproduced');
    expect(captionsVerdict(caps(better, { held: chance }, 8), opts).verdict).toBe('inconclusive');
  });

  it('inconclusive without both arms, their sample metrics, or all runs complete', () => {
    const r = caps({ held: good }, { held: chance });
    r.rows[1]!.state = 'partial';
    expect(captionsVerdict(r, opts).verdict).toBe('inconclusive');
    const none = caps({ held: good }, { held: chance });
    for (const row of none.rows) row.final = { 'val/loss': 0.1 };
    expect(captionsVerdict(none, opts).lines.join()).toMatch(/no sample\/acc\/mean/);
  });

  it('sample count from the plan (eval.judge in the sweep set), else 64; binomial SE, smoothed at 0 and 1', () => {
    expect(judgedSamples(caps({ held: chance }, { held: chance }, 96))).toBe(96);
    expect(judgedSamples(rep('x', []))).toBe(64);
    expect(accuracySE(0.5, 100)).toBeCloseTo(0.05, 12);
    expect(accuracySE(0, 100)).toBeGreaterThan(0);
    expect(accuracySE(1, 100)).toBeCloseTo(accuracySE(0, 100), 12);
  });
});

describe('ablation registry', () => {
  it('every runnable ablation has a sweep file that expands and validates', async () => {
    for (const a of ABLATIONS.filter((x) => x.sweep)) {
      const ex = await loadSweep(resolve(ROOT, a.sweep));
      expect(ex.runs.length, a.name).toBeGreaterThanOrEqual(2);
    }
    expect(() => ablation('nope')).toThrow(/known: dit-conditioning/);
  });
});
