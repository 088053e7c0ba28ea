/**
 * Charts with uPlot (leeoniya/uPlot): a run's curves on a shared step axis (series with gaps where a record lacks
 * the key, e.g. eval metrics every evalEvery steps), and a sweep's scaling plot: the metric against compute on log
 * axes (uPlot distr 3) with the fitted power law y = a·x^b drawn as a second series.
 */
import uPlot from 'uplot';
import 'uplot/dist/uPlot.min.css';
import type { MetricsRecord } from '../src/api-types.js';

/** Tick labels with 3 significant digits (uPlot's default shows 0.0010 / 0.0012 as 0.001 twice). */
const ticks = (_u: uPlot, splits: number[]) => splits.map((v) => (v === 0 ? '0' : String(+v.toPrecision(3))));

const COLORS = ['#1f77b4', '#d62728', '#2ca02c', '#9467bd', '#ff7f0e', '#17becf'];

export interface CurveSpec {
  /** Metric keys, one series each; `right` keys go on a second y axis. */
  keys: string[];
  right?: string[];
  logY?: boolean;
}

/** A chart of `keys` over step; keeps its data so live records can be appended. */
export class CurveChart {
  readonly plot: uPlot;
  private records: MetricsRecord[] = [];

  constructor(
    readonly el: HTMLElement,
    readonly spec: CurveSpec,
    width: number,
  ) {
    const right = new Set(spec.right ?? []);
    this.plot = new uPlot(
      {
        width,
        height: 220,
        scales: { x: { time: false }, y: spec.logY ? { distr: 3 } : {}, r: {} },
        axes: [
          { label: 'step' },
          { scale: 'y', size: 60, ...(spec.logY ? {} : { values: ticks }) },
          ...(right.size
            ? [{ scale: 'r', side: 1 as const, size: 60, grid: { show: false }, values: ticks }]
            : []),
        ],
        series: [
          { label: 'step' },
          ...spec.keys.map((k, i) => ({
            label: k,
            scale: right.has(k) ? 'r' : 'y',
            stroke: COLORS[i % COLORS.length]!,
            width: 1.5,
            spanGaps: true,
            points: { show: k.startsWith('val/') },
          })),
        ],
      },
      [[], ...spec.keys.map(() => [])],
      el,
    );
  }

  /** Whether any record has one of the chart's keys (charts with no data are not shown). */
  static has(records: readonly MetricsRecord[], keys: readonly string[]): boolean {
    return records.some((r) => keys.some((k) => typeof r[k] === 'number'));
  }

  append(records: readonly MetricsRecord[]): void {
    this.records.push(...records.filter((r) => this.spec.keys.some((k) => typeof r[k] === 'number')));
    this.records.sort((a, b) => a.step - b.step);
    const val = (r: MetricsRecord, k: string) => {
      const v = r[k];
      return typeof v === 'number' && Number.isFinite(v) && (!this.spec.logY || v > 0) ? v : null;
    };
    this.plot.setData([
      this.records.map((r) => r.step),
      ...this.spec.keys.map((k) => this.records.map((r) => val(r, k))),
    ]);
    this.el.dataset['points'] = String(this.records.length);
    this.el.dataset['lastStep'] = String(this.records.at(-1)?.step ?? '');
  }
}

export interface ScalingPoint {
  x: number;
  y: number;
  label: string;
}

/** The metric against compute, log-log, points plus the fitted line a·x^b across the points' x range. */
export function scalingChart(
  el: HTMLElement,
  pts: readonly ScalingPoint[],
  fit: { a: number; exponent: number } | undefined,
  labels: { x: string; y: string },
  width: number,
): uPlot {
  const sorted = pts.filter((p) => p.x > 0 && p.y > 0).sort((a, b) => a.x - b.x);
  const xs = sorted.map((p) => p.x);
  const line = fit ? xs.map((x) => fit.a * x ** fit.exponent) : xs.map(() => null);
  return new uPlot(
    {
      width,
      height: 300,
      scales: { x: { time: false, distr: 3 }, y: { distr: 3 } },
      axes: [{ label: labels.x }, { label: labels.y }],
      series: [
        { label: labels.x },
        {
          label: labels.y,
          stroke: COLORS[0]!,
          fill: COLORS[0]!,
          paths: () => null,
          points: { show: true, size: 9, fill: COLORS[0]! },
        },
        {
          label: fit ? `fit ${fit.a.toPrecision(3)}·x^${fit.exponent.toFixed(3)}` : 'fit (too few points)',
          stroke: COLORS[1]!,
          width: 2,
          dash: [6, 4],
          points: { show: false },
        },
      ],
    },
    [xs, sorted.map((p) => p.y), line],
    el,
  );
}
