import { describe, expect, it } from 'vitest';
import { ABLATIONS, ablation } from '../../src/ablate/registry.js';
import {
  accuracySE,
  attentionVerdict,
  gflopsCorrelationVerdict,
  judgedSamples,
  orderVerdict,
  paretoFront,
  patchVerdict,
  vivitVariantsVerdict,
} from '../../src/ablate/verdicts.js';
import { captionsVerdict } from '../../src/ablate/captions-verdict.js';
import { tubeletInitVerdict } from '../../src/ablate/tubelet-verdict.js';
import { ablationReadme } from '../../src/ablate/run.js';
import { armBars, seedsOf, totalCompute } from '../../src/ablate/report-summary.js';
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

/** One row per seed of an arm: `<name>_seed-<s>` with the arm's axes and `seed`. */
function seeded(
  name: string,
  axes: Record<string, unknown>,
  metric: string,
  values: readonly number[],
  extra: (seed: number) => Partial<ReportRow> = () => ({}),
): ReportRow[] {
  return values.map((v, seed) =>
    row(`${name}_seed-${seed}`, { ...axes, seed }, { [metric]: v }, extra(seed)),
  );
}

/** Three seeds around a value: v·(1 + [0, +j, -j]). */
const three = (v: number, j = 0.01) => [v, v * (1 + j), v * (1 - j)];

describe('ablation verdicts (the rule of statistics.ts over seeds)', () => {
  const order = ['adaLN-Zero', 'adaLN', 'cross-attention', 'in-context'];
  const cond = (vals: number[][]) =>
    rep(
      'val/mse',
      order.flatMap((c, i) => seeded(c, { 'model.conditioning': c }, 'val/mse', vals[i]!)),
    );

  it('order: reproduced when every neighbouring pair is resolved in the paper order', () => {
    const v = orderVerdict(cond([three(1), three(2), three(3), three(4)]), 'model.conditioning', order);
    expect(v.verdict).toBe('reproduced');
    const text = v.lines.join('\n');
    expect(text).toContain(
      'Observed order of the means by val/mse (lower is better): adaLN-Zero > adaLN > cross-attention > in-context.',
    );
    expect(text).toMatch(/\| adaLN-Zero \| 1 \[0\.99\d*, 1\.01\] \(3 seeds: 1, 1\.01, 0\.99\) \|/);
    expect(text).toMatch(
      /- adaLN-Zero better than adaLN: effect \+1 \[.*\], 3 seeds, paired — resolved, as in the paper\./,
    );
    expect(text).toContain('Rule (packages/lab/src/ablate/statistics.ts)');
  });

  it('order: not reproduced when a pair is resolved against the paper; inconclusive within the seeds', () => {
    expect(
      orderVerdict(cond([three(2), three(1), three(3), three(4)]), 'model.conditioning', order).verdict,
    ).toBe('not reproduced');
    // adaLN and cross-attention overlap over the seeds: unresolved, the rest as in the paper
    const v = orderVerdict(
      cond([three(1), [2, 3, 2.5], [2.4, 2.6, 2.9], three(4)]),
      'model.conditioning',
      order,
    );
    expect(v.verdict).toBe('inconclusive');
    expect(v.lines.join('\n')).toMatch(
      /Unresolved: adaLN better than cross-attention \(resolved as in the paper: /,
    );
  });

  it('order: one seed per arm is inconclusive, however large the gaps ("one seed")', () => {
    const v = orderVerdict(cond([[1], [2], [3], [4]]), 'model.conditioning', order);
    expect(v.verdict).toBe('inconclusive');
    expect(v.lines.join('\n')).toContain('unresolved (one seed): needs at least 3 seeds per arm');
  });

  it('is inconclusive while runs are missing', () => {
    const r = cond([three(1), three(2), three(3), three(4)]);
    r.rows[3]!.state = 'partial';
    expect(orderVerdict(r, 'model.conditioning', order).verdict).toBe('inconclusive');
  });

  it('gflops correlation: the sign of r over seeds, for losses and accuracies', () => {
    const g = [1, 2, 4, 8];
    const mk = (metric: string, ys: number[], seeds = 3) =>
      rep(
        metric,
        g.flatMap((x, i) =>
          seeded(`g${x}`, { 'model.size': x }, metric, three(ys[i]!).slice(0, seeds), () => ({ gflops: x })),
        ),
      );
    expect(gflopsCorrelationVerdict(mk('val/mse', [4, 3, 2, 1])).verdict).toBe('reproduced');
    expect(gflopsCorrelationVerdict(mk('val/top1', [0.1, 0.2, 0.3, 0.4])).verdict).toBe('reproduced');
    const worse = gflopsCorrelationVerdict(mk('val/mse', [1, 2, 3, 4]));
    expect(worse.verdict).toBe('not reproduced');
    expect(worse.lines[0]).toMatch(
      /Pearson r between the mean val\/mse and log10 Gflops over 4 configurations: 1 \(paper, FID vs Gflops over 12 DiTs: -0\.93\)/,
    );
    expect(gflopsCorrelationVerdict(mk('val/mse', [4, 3, 2, 1], 1)).verdict).toBe('inconclusive');
  });

  it('Pareto front of accuracy vs Gflops', () => {
    const rows = [
      row('a', {}, { 'val/top1': 0.9 }, { gflops: 10 }),
      row('b', {}, { 'val/top1': 0.8 }, { gflops: 5 }),
      row('c', {}, { 'val/top1': 0.7 }, { gflops: 6 }), // dominated by b
    ];
    expect([...paretoFront(rows, 'val/top1')].sort()).toEqual(['a', 'b']);
  });

  it('ViViT: model 4 cheapest (closed form) and model 2 more accurate than every cheaper variant', () => {
    const names = [
      'spatio-temporal',
      'factorised-encoder',
      'factorised-self-attention',
      'factorised-dot-product',
    ];
    const v = (acc: number[], g: number[]) =>
      rep(
        'val/top1',
        names.flatMap((n, i) =>
          seeded(n, { 'model.variant': n }, 'val/top1', three(acc[i]!), () => ({ gflops: g[i]! })),
        ),
      );
    const paper = vivitVariantsVerdict(v([0.8, 0.79, 0.77, 0.76], [455, 284, 372, 277]));
    expect(paper.verdict).toBe('reproduced');
    expect(paper.lines.join('\n')).toContain(
      'model 4 (factorised dot-product) has the fewest Gflops (277; fewest: factorised-dot-product 277): closed form — resolved, as in the paper.',
    );
    // model 2 below the cheaper model 4: off the front
    expect(vivitVariantsVerdict(v([0.8, 0.7, 0.77, 0.76], [455, 284, 372, 277])).verdict).toBe(
      'not reproduced',
    );
    // model 4 not the cheapest
    expect(vivitVariantsVerdict(v([0.8, 0.79, 0.77, 0.76], [455, 284, 372, 290])).verdict).toBe(
      'not reproduced',
    );
  });

  it('ViT patch: each smaller patch better than the next larger one', () => {
    const p = (accs: number[][]) =>
      rep(
        'val/top1',
        [14, 7, 4].flatMap((q, i) =>
          seeded(`p${q}`, { 'model.patch': q }, 'val/top1', accs[i]!, () => ({ tokens: (28 / q) ** 2 })),
        ),
      );
    expect(patchVerdict(p([three(0.5), three(0.6), three(0.7)])).verdict).toBe('reproduced');
    expect(patchVerdict(p([three(0.5), three(0.7), three(0.6)])).verdict).toBe('not reproduced');
    const noisy = patchVerdict(p([three(0.5), [0.6, 0.75, 0.68], [0.7, 0.66, 0.72]]));
    expect(noisy.verdict).toBe('inconclusive');
    expect(noisy.lines.join('\n')).toContain('Unresolved: p=4 better than p=7');
  });

  it('attention: joint better per step, factorised better at equal compute, over seeds', () => {
    const curve = (f: (s: number) => number) =>
      Array.from({ length: 10 }, (_, i) => ({ step: (i + 1) * 10, loss: f((i + 1) * 10) }));
    const jitter = [1, 1.01, 0.99];
    // joint: 2 Gflop/step, lower loss per step; factorised: 1 Gflop/step, lower loss at the same compute
    const joint = seeded('joint', { 'model.attention': 'joint' }, 'val/mse', three(0.5), (s) => ({
      gflops: 2,
      step: 100,
      steps: 100,
      trainGflop: 200,
      records: curve((x) => jitter[s]! / (2 * x)),
    }));
    const fact = seeded('fact', { 'model.attention': 'factorised' }, 'val/mse', three(0.6), (s) => ({
      gflops: 1,
      step: 100,
      steps: 100,
      trainGflop: 100,
      records: curve((x) => jitter[s]! / (1.2 * x)),
    }));
    const v = attentionVerdict(rep('val/mse', [...joint, ...fact]));
    expect(v.verdict).toBe('reproduced');
    expect(v.lines.join(' ')).toContain('joint costs 2x');
    expect(v.lines.join('\n')).toMatch(
      /factorised better than joint at equal training compute \(smoothed training loss at 100 Gflop\): effect \+/,
    );
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

  it('reproduced: paper order, every neighbouring pair resolved', () => {
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
    expect(text).toContain(
      '| central (central frame) | 79.2% | 0.935 [0.93, 0.94] (3 seeds: 0.93, 0.94, 0.935) |',
    );
    expect(text).toContain('scratch (no image pretraining; not in the paper)');
    expect(text).toContain('Observed order of the means: central > uniform > inflate > random.');
    expect(text).toContain('The random tubelet is 12.5 points below the best initialised one (central)');
  });

  it('inconclusive when a pair overlaps over the seeds; not reproduced when a pair is resolved against', () => {
    const noisy = tubeletInitVerdict(
      tub({
        central: [0.93, 0.9, 0.95],
        uniform: [0.92, 0.91, 0.93],
        inflate: [0.87, 0.88, 0.875],
        random: [0.8, 0.82, 0.81],
      }),
    );
    expect(noisy.verdict).toBe('inconclusive');
    expect(noisy.lines.join('\n')).toMatch(
      /Unresolved: central better than uniform \(resolved as in the paper: uniform better than inflate; inflate better than random\)/,
    );
    // what the old rule called "partly" (central best, the rest out of order) is not reproduced: a pair is against
    const winner = tubeletInitVerdict(
      tub({ central: [0.95, 0.95], uniform: [0.8, 0.8], inflate: [0.9, 0.9], random: [0.7, 0.7] }),
    );
    expect(winner.verdict).toBe('not reproduced');
    expect(winner.lines.join('\n')).toContain('Resolved against the paper: uniform better than inflate.');
  });

  it('not reproduced when central is not best; inconclusive while runs are missing or with one seed', () => {
    const r = tub({ central: [0.8, 0.8], uniform: [0.9, 0.9], inflate: [0.7, 0.7], random: [0.6, 0.6] });
    expect(tubeletInitVerdict(r).verdict).toBe('not reproduced');
    r.rows[0]!.state = 'partial';
    expect(tubeletInitVerdict(r).verdict).toBe('inconclusive');
    const one = tub({ central: [0.95], uniform: [0.9], inflate: [0.85], random: [0.5] });
    expect(tubeletInitVerdict(one).verdict).toBe('inconclusive');
    expect(tubeletInitVerdict(one).lines.join('\n')).toContain('(one seed)');
  });

  it('arm bars: the mean over seeds with its bootstrap interval per label; none without a seed axis', () => {
    const r = tub({ central: [0.9, 0.8], random: [0.5, 0.5] });
    r.plan = { axes: ['label', 'seed'] } as SweepReport['plan'];
    const bars = armBars(r, 'val/top1');
    expect(bars.map((b) => b.label)).toEqual(['central', 'random']);
    expect(bars[0]!.y).toBeCloseTo(0.85, 12);
    // two seeds: the resampled means are 0.8, 0.85 and 0.9 with probabilities 1/4, 1/2, 1/4
    expect(bars[0]!.lo).toBeCloseTo(0.8, 12);
    expect(bars[0]!.hi).toBeCloseTo(0.9, 12);
    expect(bars[1]!.hi - bars[1]!.lo).toBe(0);
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
  // seeds move every accuracy of both arms alike (mean offset 0)
  const OFFSETS = [0, 0.01, -0.01];
  const caps = (desc: Arm, terse: Arm, samples = 128, seeds = 3) => {
    const shift = (v: readonly number[], o: number) => v.map((x) => Math.min(1, Math.max(0, x + o)));
    const arm = (a: Arm, o: number) => ({
      ...scored('sample/', shift(a.held, o)),
      ...(a.inDist ? scored('in-distribution/', shift(a.inDist, o)) : {}),
    });
    const rows = OFFSETS.slice(0, seeds).flatMap((o, seed) => [
      row(`caption-descriptive_seed-${seed}`, { 'data.caption': 'descriptive', seed }, arm(desc, o)),
      row(`caption-terse_seed-${seed}`, { 'data.caption': 'terse', seed }, arm(terse, o)),
    ]);
    const r = rep('sample/acc/mean', rows);
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

  it('reproduced: ahead on both means and on every held-out attribute the judge reads, by the rule', () => {
    const v = captionsVerdict(caps({ held: good, inDist: good }, { held: chance, inDist: chance }), opts);
    expect(v.verdict).toBe('reproduced');
    const text = v.lines.join('\n');
    expect(text).toContain('in 128 samples per arm, seed and set');
    // per attribute: chance, the judge's ceiling, both arms and the difference (bold: resolved) per prompt set
    expect(text).toContain(
      "| attribute | chance | judge's validation accuracy | held-out combinations: descriptive / terse | difference [95% interval] | in distribution: descriptive / terse | difference [95% interval] |",
    );
    expect(text).toMatch(
      /\| colour \(held out in combination\) \| 0\.13 \| 1\.00 \| 0\.60 \/ 0\.13 \| \*\*\+0\.47\*\* \[0\.4\d, 0\.5\d\] \| 0\.60 \/ 0\.13 \|/,
    );
    expect(text).toMatch(
      /\| shape † \| 0\.20 \| 0\.24 \| 0\.20 \/ 0\.20 \| [+−]0\.00 \[-0\.\d\d, 0\.\d\d\] \|/,
    );
    expect(text).toContain('The judge reads shape (0.24, chance 0.20) below 0.8');
    expect(text).toContain('Fréchet distance to real in-distribution clips: descriptive 50, terse 50');
    // both held-out attributes right at once: at least 0.6 + 1 - 1
    expect(text).toContain('both right), at least: descriptive 0.60, terse 0.00');
    // without an in-distribution scoring: one prompt set, and it says so
    const held = captionsVerdict(caps({ held: good }, { held: chance }), opts);
    expect(held.verdict).toBe('reproduced');
    expect(held.lines[0]).toContain('In-distribution prompts were not scored.');
  });

  it('inconclusive when a claim is within the noise, naming it and a held-out attribute not learned in distribution', () => {
    const desc = [0.2, 0.15, 0.3, 0.25, 0.5, 1];
    const some = captionsVerdict(caps({ held: desc, inDist: desc }, { held: chance, inDist: chance }), opts);
    expect(some.verdict).toBe('inconclusive');
    const text = some.lines.join('\n');
    expect(text).toContain(
      'Unresolved: descriptive ahead on colour, held-out combinations (resolved as in the paper: descriptive ahead on the mean, held-out combinations; descriptive ahead on the mean, in distribution; descriptive ahead on background, held-out combinations).',
    );
    expect(text).toContain(
      'On colour the descriptive model is not above chance in distribution either (0.15, chance 0.13',
    );
    // learned in distribution but not composed: no such note
    const composed = captionsVerdict(
      caps({ held: desc, inDist: good }, { held: chance, inDist: chance }),
      opts,
    );
    expect(composed.verdict).toBe('inconclusive');
    expect(composed.lines.join('\n')).not.toContain('not above chance in distribution');
  });

  it('not reproduced when terse is ahead; inconclusive within noise; the binomial noise shrinks with samples', () => {
    expect(captionsVerdict(caps({ held: chance }, { held: good }), opts).verdict).toBe('not reproduced');
    expect(captionsVerdict(caps({ held: chance }, { held: chance }), opts).verdict).toBe('inconclusive');
    // the same gap resolved at 512 samples is noise at 8
    const better = { held: [0.2, 0.3, 0.33, 0.25, 0.5, 0.45] };
    expect(captionsVerdict(caps(better, { held: chance }, 512), opts).verdict).toBe('reproduced');
    expect(captionsVerdict(caps(better, { held: chance }, 8), opts).verdict).toBe('inconclusive');
    // one seed per arm: inconclusive, says so
    const one = captionsVerdict(caps({ held: good }, { held: chance }, 128, 1), opts);
    expect(one.verdict).toBe('inconclusive');
    expect(one.lines.join('\n')).toContain('(one seed)');
  });

  it('the re-captioning ablation: arms named by their label (recaptioned vs terse), in every claim and column', () => {
    const r = caps({ held: good, inDist: good }, { held: chance, inDist: chance });
    for (const row of r.rows) {
      const arm = row.axes['data.caption'] === 'descriptive' ? 'recaptioned' : 'terse';
      row.axes = { label: arm, seed: row.axes['seed'] };
    }
    const named = { ...opts, key: 'label', arms: { ahead: 'recaptioned', behind: 'terse' } };
    const v = captionsVerdict(r, named);
    expect(v.verdict).toBe('reproduced');
    const text = v.lines.join('\n');
    expect(text).toContain('held-out combinations: recaptioned / terse | difference [95% interval]');
    expect(text).toContain('difference = recaptioned − terse');
    expect(text).toContain('both right), at least: recaptioned 0.60, terse 0.00');
    expect(text).not.toContain('descriptive /');
    // the default arms (data.caption) are not in these rows: it says which arms it looked for
    expect(captionsVerdict(r, opts).lines[0]).toBe(
      'The sweep needs a descriptive and a terse run (data.caption).',
    );
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

describe('ablation README: seeds and total compute', () => {
  const runs = (axes: string[], rows: ReportRow[], stages: ReportRow[] = []): SweepReport => ({
    ...rep('val/top1', rows),
    plan: { axes } as SweepReport['plan'],
    ...(stages.length ? { stages } : {}),
  });

  it('sums the runs’ and stages’ seconds and training Gflop, and names the seeds', () => {
    const r = runs(
      ['model.patch', 'seed'],
      [
        ...seeded('p4', { 'model.patch': 4 }, 'val/top1', [0.5, 0.6], () => ({
          seconds: 60,
          trainGflop: 100,
        })),
        ...seeded('p7', { 'model.patch': 7 }, 'val/top1', [0.4, 0.5], () => ({
          seconds: 30,
          trainGflop: 25,
        })),
      ],
      [row('vit', {}, {}, { seconds: 120, trainGflop: 1000 })],
    );
    expect(totalCompute(r)).toEqual({ seconds: 300, trainGflop: 1250, runs: 5 });
    expect(seedsOf(r)).toBe('0, 1 (every arm)');
    const md = ablationReadme(ablation('vit-patch'), r, patchVerdict(r), { charts: [] });
    expect(md).toContain(
      '**Seeds:** 0, 1 (every arm). **Total compute:** 5 runs and stages, 5.0 run-minutes',
    );
    expect(md).toContain('and 1250 training Gflop.');
  });

  it('reads seeds from family labels, else says one seed', () => {
    const fam = runs(
      ['label'],
      [row('dit-c1', { label: 'dit-c1' }, {}), row('dit-c1-seed2', { label: 'dit-c1-seed2' }, {})],
    );
    expect(seedsOf(fam)).toMatch(/^0, 2 \(in the run labels/);
    expect(seedsOf(runs(['model.patch'], [row('p4', { 'model.patch': 4 }, {})]))).toBe(
      "one (the base config's)",
    );
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
