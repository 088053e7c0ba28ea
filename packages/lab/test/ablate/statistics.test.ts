/**
 * The one statistical rule of the ablation verdicts (statistics.ts): the bootstrap interval of a mean and of a
 * difference against their normal closed forms on seeded samples, pairing over seeds, the binomial noise of a rate,
 * determinism, the budget estimate, and the verdict mapping over claims.
 */
import { describe, expect, it } from 'vitest';
import { Rng } from '@vtx/data';
import {
  accuracySE,
  armsOf,
  better,
  bootstrap,
  claimLines,
  decide,
  exactClaim,
  meanInterval,
  seedsToResolve,
  statClaim,
  type Arm,
} from '../../src/ablate/statistics.js';
import type { ReportRow, SweepReport } from '../../src/sweep/report.js';

/** n draws of N(mu, sd) from a seeded generator (Box-Muller). */
function normals(n: number, mu: number, sd: number, seed: number): number[] {
  const rng = new Rng(seed);
  return Array.from(
    { length: n },
    () => mu + sd * Math.sqrt(-2 * Math.log(1 - rng.next())) * Math.cos(2 * Math.PI * rng.next()),
  );
}

const arm = (name: string, values: number[], seeds = values.map((_, i) => i), samples?: number): Arm => ({
  name,
  seeds,
  values,
  rows: [],
  ...(samples ? { samples } : {}),
});

const sampleSd = (v: number[]) => {
  const m = v.reduce((s, x) => s + x, 0) / v.length;
  return Math.sqrt(v.reduce((s, x) => s + (x - m) ** 2, 0) / (v.length - 1));
};

describe('bootstrap intervals', () => {
  it('of a mean: mean ± 1.96·sd/√n for many seeds (normal closed form)', () => {
    const v = normals(400, 5, 2, 1);
    const m = v.reduce((s, x) => s + x, 0) / v.length;
    const half = (1.96 * sampleSd(v)) / Math.sqrt(v.length);
    const i = meanInterval(arm('a', v));
    expect(i.estimate).toBeCloseTo(m, 12);
    expect(Math.abs(i.lo - (m - half))).toBeLessThan(0.08 * half);
    expect(Math.abs(i.hi - (m + half))).toBeLessThan(0.08 * half);
  });

  it('of an unpaired difference: d ± 1.96·√(s1²/n1 + s2²/n2)', () => {
    const a = normals(300, 1, 1, 2);
    const b = normals(200, 0.5, 2, 3);
    // different seeds: resampled independently
    const c = better(
      arm('a', a),
      arm(
        'b',
        b,
        b.map((_, i) => 1000 + i),
      ),
      true,
    );
    expect(c.paired).toBe(false);
    const d = a.reduce((s, x) => s + x, 0) / a.length - b.reduce((s, x) => s + x, 0) / b.length;
    const half = 1.96 * Math.sqrt(sampleSd(a) ** 2 / a.length + sampleSd(b) ** 2 / b.length);
    expect(c.interval!.estimate).toBeCloseTo(d, 12);
    expect(Math.abs(c.interval!.lo - (d - half))).toBeLessThan(0.1 * half);
    expect(Math.abs(c.interval!.hi - (d + half))).toBeLessThan(0.1 * half);
    // lower is better: the same difference, negated
    const down = better(
      arm('a', a),
      arm(
        'b',
        b,
        b.map((_, i) => 1000 + i),
      ),
      false,
    );
    expect(down.interval!.estimate).toBeCloseTo(-d, 12);
  });

  it('pairs over shared seeds: a small consistent difference resolves paired, not unpaired', () => {
    const base = normals(5, 0, 1, 4); // seeds spread by 1
    const eps = normals(5, 0, 0.01, 5);
    const b = base;
    const a = base.map((x, i) => x + 0.1 + eps[i]!);
    const paired = better(arm('a', a), arm('b', b), true);
    expect(paired.paired).toBe(true);
    expect(paired.status).toBe('for');
    expect(paired.interval!.lo).toBeGreaterThan(0.05);
    const unpaired = better(arm('a', a), arm('b', b, [10, 11, 12, 13, 14]), true);
    expect(unpaired.paired).toBe(false);
    expect(unpaired.status).toBe('unresolved');
    expect(unpaired.interval!.hi - unpaired.interval!.lo).toBeGreaterThan(1);
    // the estimate of the seeds that would resolve it grows with the spread
    expect(unpaired.seedsNeeded).toBeGreaterThan(5);
  });

  it('adds a rate’s binomial noise: constant seeds of 0.5 over 100 samples give ±1.96·0.05/√3', () => {
    const i = meanInterval(arm('r', [0.5, 0.5, 0.5], [0, 1, 2], 100));
    const half = (1.96 * accuracySE(0.5, 100)) / Math.sqrt(3);
    expect(accuracySE(0.5, 100)).toBeCloseTo(0.05, 12);
    expect(Math.abs((i.hi - i.lo) / 2 - half)).toBeLessThan(0.05 * half);
    // without samples the same values have no spread
    const flat = meanInterval(arm('r', [0.5, 0.5, 0.5]));
    expect(flat.hi - flat.lo).toBe(0);
  });

  it('is deterministic: the same arms give the same interval; another generator seed another', () => {
    const a = arm('a', normals(7, 0, 1, 6));
    const first = meanInterval(a);
    expect(meanInterval(a)).toEqual(first);
    const other = bootstrap([a], ([m]) => m!, { seed: 99 });
    expect(other.lo).not.toBe(first.lo);
    expect(other.estimate).toBe(first.estimate);
  });

  it('estimates the seeds that resolve an effect: n·(h/|d|)²', () => {
    expect(seedsToResolve({ estimate: 0.1, lo: -0.1, hi: 0.3 }, 3)).toBe(12);
    expect(seedsToResolve({ estimate: 0, lo: -0.1, hi: 0.1 }, 3)).toBe(Infinity);
  });
});

describe('claims and the verdict', () => {
  const up = arm('up', [1.1, 1.2, 1.15]);
  const mid = arm('mid', [1.0, 1.05, 1.02]);
  const low = arm('low', [0.5, 0.55, 0.52]);

  it('reproduced when every claim is resolved in the paper’s direction', () => {
    const claims = [better(up, mid, true), better(mid, low, true)];
    expect(claims.map((c) => c.status)).toEqual(['for', 'for']);
    expect(decide(claims)).toBe('reproduced');
    expect(claimLines(claims).join('\n')).toContain('Every claim is resolved in the paper');
  });

  it('not reproduced when one claim is resolved against the paper', () => {
    const claims = [better(up, mid, true), better(low, mid, true, 'low better than mid')];
    expect(claims[1]!.status).toBe('against');
    expect(decide(claims)).toBe('not reproduced');
    expect(claimLines(claims).join('\n')).toContain('Resolved against the paper: low better than mid.');
  });

  it('inconclusive with an unresolved claim, naming it and its budget; one seed resolves nothing', () => {
    const noisy = arm('noisy', [0.9, 1.3, 1.1]);
    const claims = [better(up, low, true), better(noisy, mid, true)];
    expect(claims[1]!.status).toBe('unresolved');
    expect(decide(claims)).toBe('inconclusive');
    const text = claimLines(claims).join('\n');
    expect(text).toMatch(
      /Unresolved: noisy better than mid \(resolved as in the paper: up better than low\)/,
    );
    expect(text).toMatch(/needs ~\d+ seeds per arm \(estimate/);
    // one seed per arm: however large the gap, nothing is resolved
    const one = better(arm('a', [10]), arm('b', [0]), true);
    expect(one.status).toBe('unresolved');
    expect(one.reason).toBe('one seed');
    expect(decide([one])).toBe('inconclusive');
    expect(claimLines([one]).join('\n')).toContain('unresolved (one seed): needs at least 3 seeds per arm');
    expect(decide([])).toBe('inconclusive');
  });

  it('a trend claim: a statistic over several arms; an exact claim has no noise', () => {
    const c = statClaim('rises', [low, mid, up], (m) => m[2]! - m[0]!);
    expect(c).toMatchObject({ status: 'for', paired: true, seeds: 3 });
    expect(statClaim('falls', [low, mid, up], (m) => m[0]! - m[2]!).status).toBe('against');
    expect(exactClaim('cheapest', true).status).toBe('for');
    expect(exactClaim('cheapest', false).status).toBe('against');
  });

  it('groups a sweep’s completed rows into arms, one value per seed, sorted by seed', () => {
    const row = (axes: Record<string, unknown>, v: number, state: ReportRow['state'] = 'completed') =>
      ({
        name: JSON.stringify(axes),
        axes,
        state,
        final: { 'val/mse': v },
        best: {},
        records: [],
      }) as ReportRow;
    const report = {
      plan: {},
      metric: 'val/mse',
      fits: [],
      files: [],
      rows: [
        row({ 'model.size': 'S', seed: 2 }, 3),
        row({ 'model.size': 'S', seed: 0 }, 1),
        row({ 'model.size': 'B', seed: 0 }, 5),
        row({ 'model.size': 'B', seed: 1 }, 9, 'partial'),
      ],
    } as unknown as SweepReport;
    const arms = armsOf(report);
    expect([...arms.keys()]).toEqual(['model.size="S"', 'model.size="B"']);
    expect(arms.get('model.size="S"')).toMatchObject({ seeds: [0, 2], values: [1, 3] });
    expect(armsOf(report, { key: 'model.size' }).get('B')).toMatchObject({ seeds: [0], values: [5] });
  });
});
