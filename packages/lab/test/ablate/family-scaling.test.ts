import { mkdtempSync, rmSync, existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import {
  crossing,
  familyCharts,
  familyScalingVerdict,
  parseFamilyLabel,
} from '../../src/ablate/family-scaling.js';
import type { ReportRow, SweepReport } from '../../src/sweep/report.js';

const OPTS = { transformer: 'dit', baseline: 'unet', metrics: ['val/loss', 'sample/class-acc'] };
const BUDGETS = [100, 200, 400, 1000]; // training Gflop

function row(label: string, compute: number, m: Record<string, number>): ReportRow {
  return {
    name: label,
    axes: { label },
    state: 'completed',
    final: m,
    best: m,
    records: [],
    trainGflop: compute,
  };
}

/**
 * A sweep where family f's loss at budget k and seed s is a_f·C^b_f·(1 + jitter·[0, 1, -1][(s + k + f) % 3]), and its accuracy
 * 1 - that loss (so the error follows the same law; the seeds' noise differs per budget and family f = 0, 1, so
 * it moves the slopes and does not cancel in their difference);
 * seeds 0-2 at every budget, or at the two smallest only.
 */
function sweep(law: Record<string, [number, number]>, jitter = 0.01, allSeeded = true): SweepReport {
  const rows: ReportRow[] = [];
  for (const [f, [family, [a, b]]] of Object.entries(law).entries())
    BUDGETS.forEach((c, i) => {
      for (const s of allSeeded || i < 2 ? [0, 1, 2] : [0]) {
        const loss = a * c ** b * (1 + jitter * [0, 1, -1][(s + i + f) % 3]!);
        const label = `${family}-c${i + 1}${s ? `-seed${s}` : ''}`;
        rows.push(row(label, c, { 'val/loss': loss, 'sample/class-acc': 1 - loss }));
      }
    });
  return {
    plan: { name: 'families', runs: [] } as unknown as SweepReport['plan'],
    rows,
    metric: 'val/loss',
    fits: [],
    files: [],
  };
}

describe('family scaling verdict', () => {
  it('parses run labels into family, budget, seed and learning rate', () => {
    expect(parseFamilyLabel('dit-c2')).toEqual({ family: 'dit', budget: 2, seed: 0 });
    expect(parseFamilyLabel('unet-c1-seed2')).toEqual({ family: 'unet', budget: 1, seed: 2 });
    expect(parseFamilyLabel('unet-c2-lr3e-4')).toEqual({ family: 'unet', budget: 2, seed: 0, lr: '3e-4' });
    expect(parseFamilyLabel('width-32_patch-4')).toBeUndefined();
  });

  it('crossing solves a1·C^b1 = a2·C^b2 in closed form', () => {
    // 2·C^-0.5 = 1·C^-0.25  <=>  C^-0.25 = 1/2  <=>  C = 16
    expect(crossing({ a: 2, b: -0.5 }, { a: 1, b: -0.25 })).toBeCloseTo(16, 10);
    expect(crossing({ a: 2, b: -0.5 }, { a: 1, b: -0.5 })).toBeUndefined();
  });

  it('reproduced when the transformer is steeper, resolved over the seeds, with the crossing where the laws meet', () => {
    // dit: 0.9·C^-0.3, unet: 0.5·C^-0.15: they meet at C = (0.9/0.5)^(1/0.15) ≈ 50.3, below the smallest budget
    const v = familyScalingVerdict(sweep({ dit: [0.9, -0.3], unet: [0.5, -0.15] }), OPTS);
    expect(v.verdict).toBe('reproduced');
    const text = v.lines.join('\n');
    expect(text).toMatch(/dit: b = -0\.3\d*, R² /);
    expect(text).toMatch(/unet: b = -0\.15\d*, R² /);
    expect(text).toMatch(/cross at 50\.3 training Gflop, below the smallest budget/);
    // the error 1 - acc follows the same law, so the accuracy reading agrees
    expect(text).toMatch(/\*\*sample\/class-acc\*\* \(fitted: 1 - sample\/class-acc/);
    // the claim's effect: unet's exponent minus dit's, 0.15
    expect(text).toMatch(
      /- dit's val\/loss curve steeper than unet's \(effect: exponent unet − exponent dit\): effect \+0\.15 \[\+0\.1\d*, \+0\.1\d*\], 3 seeds, paired — resolved, as in the paper\./,
    );
    // per budget, dit ahead (lower loss) with its interval
    expect(text).toMatch(/\| c4 \| 1000 \| 0\.1\d+ \[.*\] \(3 seeds: .*\) \| 1000 \| .* \| dit \|/);
  });

  it('not reproduced when the baseline is steeper, with a crossing beyond the budgets', () => {
    const v = familyScalingVerdict(sweep({ dit: [0.3, -0.1], unet: [0.9, -0.3] }), OPTS);
    expect(v.verdict).toBe('not reproduced');
    // 0.3·C^-0.1 = 0.9·C^-0.3  <=>  C^0.2 = 3  <=>  C = 243: inside [100, 1000]
    expect(v.lines.join('\n')).toMatch(/cross at 243 training Gflop, inside the budgets measured/);
  });

  it('inconclusive when the seeds spread the slopes over each other, naming the seeds to decide it', () => {
    const v = familyScalingVerdict(sweep({ dit: [0.5, -0.2], unet: [0.5, -0.19] }, 0.3), OPTS);
    expect(v.verdict).toBe('inconclusive');
    expect(v.lines.join('\n')).toMatch(/Unresolved: dit's val\/loss curve steeper than unet's/);
    expect(v.lines.join('\n')).toMatch(/needs (~\d+ seeds per arm|more than 1000 seeds)/);
  });

  it('one seed at a budget leaves the slope unresolved ("one seed"), however clear the laws', () => {
    const v = familyScalingVerdict(sweep({ dit: [0.9, -0.3], unet: [0.5, -0.15] }, 0.01, false), OPTS);
    expect(v.verdict).toBe('inconclusive');
    expect(v.lines.join('\n')).toMatch(/steeper than unet's .* unresolved \(one seed\)/);
  });

  it('tables the learning-rate trials and says when another rate beat the family own', () => {
    const r = sweep({ dit: [0.9, -0.3], unet: [0.5, -0.15] });
    r.rows.push(row('unet-c2-lr3e-3', 200, { 'val/loss': 0.01, 'sample/class-acc': 0.99 }));
    r.rows.push(row('dit-c2-lr1e-2', 200, { 'val/loss': 5, 'sample/class-acc': 0 }));
    const text = familyScalingVerdict(r, OPTS).lines.join('\n');
    expect(text).toMatch(/unet at c2: .*lr 3e-3 beats its own rate/);
    expect(text).toMatch(/dit at c2: .*Its own rate is the best of these/);
  });

  it('is inconclusive with fewer than three budgets per family', () => {
    const r = sweep({ dit: [0.9, -0.3], unet: [0.5, -0.15] });
    r.rows = r.rows.filter((x) => !/-c[34]/.test(x.name));
    expect(familyScalingVerdict(r, OPTS).verdict).toBe('inconclusive');
  });

  const dir = mkdtempSync(join(tmpdir(), 'vtx-family-'));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));
  it('draws one chart per metric with both families', async () => {
    const files = await familyCharts(OPTS)(sweep({ dit: [0.9, -0.3], unet: [0.5, -0.15] }), dir);
    expect(files).toEqual(['val-loss-by-family.svg', 'sample-class-acc-by-family.svg']);
    for (const f of files) expect(existsSync(join(dir, f))).toBe(true);
  }, 120_000);
});
