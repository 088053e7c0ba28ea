import { existsSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { barChart, lineChart, renderSvg, scatterChart, svgToPng } from '../../src/plot/charts.js';
import { plotRun, smoothCurve } from '../../src/plot/run-plot.js';

describe('bar chart whiskers', () => {
  type Spec = { data?: { values: { lo: number; hi: number }[] }; layer?: unknown[] };
  it('draws an interval lo..hi when given, else ±err, and no whisker layer without either', () => {
    const spec = barChart({
      title: 't',
      x: 'arm',
      y: { title: 'acc' },
      bars: [
        { label: 'a', y: 0.5, lo: 0.4, hi: 0.55 },
        { label: 'b', y: 0.3, err: 0.1 },
      ],
    }) as Spec;
    expect(spec.layer).toHaveLength(2);
    expect(spec.data!.values.map((v) => [v.lo, v.hi])).toEqual([
      [0.4, 0.55],
      [0.3 - 0.1, 0.3 + 0.1],
    ]);
    const plain = barChart({
      title: 't',
      x: 'arm',
      y: { title: 'acc' },
      bars: [{ label: 'a', y: 1 }],
    }) as Spec;
    expect(plain.layer).toBeUndefined();
  });
});

describe('vtx plot', () => {
  it('writes loss, lr and validation charts from metrics.jsonl', async () => {
    const run = mkdtempSync(join(tmpdir(), 'vtx-plot-'));
    const lines = [];
    for (let s = 10; s <= 100; s += 10) lines.push({ step: s, loss: 1 / s, lr: 1e-3 * (1 - s / 200) });
    lines.push(
      { step: 50, 'val/loss': 0.03, 'val/top1': 0.5 },
      { step: 100, 'val/loss': 0.02, 'val/top1': 0.7 },
    );
    writeFileSync(join(run, 'metrics.jsonl'), lines.map((l) => JSON.stringify(l)).join('\n') + '\n');
    const files = await plotRun(run);
    for (const f of ['loss.svg', 'loss.png', 'lr.svg', 'val-top1.svg'])
      expect(existsSync(join(run, 'plots', f)), f).toBe(true);
    expect(files).toHaveLength(6);
    const svg = readFileSync(join(run, 'plots', 'loss.svg'), 'utf8');
    expect(svg.startsWith('<svg')).toBe(true);
    expect(svg).toContain('val/loss'); // legend entry
    const png = readFileSync(join(run, 'plots', 'loss.png'));
    expect([...png.subarray(0, 8)]).toEqual([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]);
  });

  it('fails clearly on a directory without metrics', async () => {
    await expect(plotRun(mkdtempSync(join(tmpdir(), 'vtx-plot-')))).rejects.toThrow(/metrics.jsonl/);
  });

  it('debiased EMA smoothing matches the closed form', () => {
    // y = (1, 3): avg1 = 0.5*1 -> /0.5 = 1; avg2 = 0.5*0.5 + 0.5*3 = 1.75 -> /0.75 = 7/3
    const s = smoothCurve(
      [
        { x: 0, y: 1 },
        { x: 1, y: 3 },
      ],
      0.5,
    );
    expect(s[0]!.y).toBeCloseTo(1, 12);
    expect(s[1]!.y).toBeCloseTo(7 / 3, 12);
  });

  it('renders a scatter chart whose fit has no drawable point: the points without the fit line', async () => {
    // two runs at almost the same x (the descriptive-captions sweep's two caption arms): the power-law fit through
    // them overflows, and the chart must still render (it crashed vega with an undefined label row)
    const chart = (predict: (x: number) => number) =>
      scatterChart({
        title: 't',
        x: { title: 'Gflop', log: true },
        y: { title: 'acc', log: true },
        points: [
          { x: 100, y: 0.5, label: 'a' },
          { x: 100.001, y: 0.9, label: 'b' },
        ],
        fits: [{ predict, label: 'fit' }],
      });
    type Layered = { layer: { data?: { values: unknown[] } }[] };
    const broken = chart(() => Infinity);
    expect((broken as Layered).layer).toHaveLength(2);
    expect(await renderSvg(broken)).toContain('<path');
    const fitted = chart((x) => x / 200) as Layered;
    expect(fitted.layer).toHaveLength(4);
    expect(fitted.layer.at(-1)!.data!.values).toHaveLength(1);
  });

  it('renders a chart headless and rasterises it', async () => {
    const svg = await renderSvg(
      lineChart({
        title: 't',
        x: { title: 'step' },
        y: { title: 'loss', log: true },
        series: [
          {
            name: 'a',
            points: [
              { x: 1, y: 1 },
              { x: 2, y: 0.5 },
            ],
          },
        ],
      }),
    );
    expect(svg).toContain('<path');
    expect(svgToPng(svg).length).toBeGreaterThan(1000);
  });
});
