/**
 * `vtx plot <run>`: the curves of one run from its metrics.jsonl — training loss (smoothed, with validation loss
 * on the same axes), learning rate, and every validation metric — as SVG and PNG in `<run>/plots/`.
 */
import { promises as fs } from 'node:fs';
import { join } from 'node:path';
import { readMetrics, type MetricsRecord } from '@vtx/runs';
import { lineChart, writeChart, type Series } from './charts.js';

export interface PlotOptions {
  /** Output directory (default `<run>/plots`). */
  out?: string;
  /** Also write PNGs (default true). */
  png?: boolean;
  /** Exponential moving average weight for the smoothed training loss (0: none; TensorBoard's default 0.6). */
  smooth?: number;
}

/** The (step, value) points of `key` over the records that carry it as a finite number. */
export function curve(records: readonly MetricsRecord[], key: string): { x: number; y: number }[] {
  return records
    .filter((r) => typeof r[key] === 'number' && Number.isFinite(r[key]))
    .map((r) => ({ x: r.step, y: r[key] as number }));
}

/** Debiased exponential moving average (TensorBoard's smoothing). */
export function smoothCurve(
  points: readonly { x: number; y: number }[],
  weight: number,
): { x: number; y: number }[] {
  let avg = 0;
  return points.map((p, i) => {
    avg = avg * weight + (1 - weight) * p.y;
    return { x: p.x, y: avg / (1 - weight ** (i + 1)) };
  });
}

/** The validation keys present in a run's records (`val/loss`, `val/top1`, …). */
export function valKeys(records: readonly MetricsRecord[]): string[] {
  return [...new Set(records.flatMap((r) => Object.keys(r).filter((k) => k.startsWith('val/'))))].sort();
}

/** Write the run's charts; returns the files written. */
export async function plotRun(runDir: string, opts: PlotOptions = {}): Promise<string[]> {
  const records = await readMetrics(join(runDir, 'metrics.jsonl')).catch((e: NodeJS.ErrnoException) => {
    throw new Error(`${runDir}: cannot read metrics.jsonl (${e.code ?? e.message}); is it a run directory?`);
  });
  if (!records.length) throw new Error(`${runDir}/metrics.jsonl has no records yet`);
  const out = opts.out ?? join(runDir, 'plots');
  await fs.mkdir(out, { recursive: true });
  const png = opts.png ?? true;
  const name = runDir.replace(/\/+$/, '').split('/').at(-1) ?? runDir;
  const files: string[] = [];

  const loss = curve(records, 'loss');
  const series: Series[] = [{ name: 'train loss', points: loss }];
  const w = opts.smooth ?? 0.6;
  if (w > 0 && loss.length > 2) series.push({ name: `train loss (EMA ${w})`, points: smoothCurve(loss, w) });
  const val = curve(records, 'val/loss');
  if (val.length) series.push({ name: 'val/loss', points: val });
  const positive = series.every((s) => s.points.every((p) => p.y > 0));
  files.push(
    ...(await writeChart(
      join(out, 'loss'),
      lineChart({
        title: `${name}: loss`,
        x: { title: 'step' },
        y: { title: 'loss', log: positive },
        series,
      }),
      { png },
    )),
  );
  const lr = curve(records, 'lr');
  if (lr.length)
    files.push(
      ...(await writeChart(
        join(out, 'lr'),
        lineChart({
          title: `${name}: learning rate`,
          x: { title: 'step' },
          y: { title: 'lr' },
          series: [{ name: 'lr', points: lr }],
        }),
        { png },
      )),
    );
  for (const key of valKeys(records).filter((k) => k !== 'val/loss')) {
    files.push(
      ...(await writeChart(
        join(out, key.replace(/[^A-Za-z0-9_-]+/g, '-')),
        lineChart({
          title: `${name}: ${key}`,
          x: { title: 'step' },
          y: { title: key },
          series: [{ name: key, points: curve(records, key) }],
        }),
        { png },
      )),
    );
  }
  return files;
}
