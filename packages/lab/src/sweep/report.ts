/**
 * `vtx sweep report <dir>`: every run of a sweep in one table (Markdown and CSV) — axes, params, forward Gflops,
 * training compute, final and best metrics — a power law fitted to the metric against training compute and against
 * Gflops (exponent, R², and the Pearson r of the metric with log Gflops, DiT's -0.93), and charts: training loss
 * curves overlaid (DiT Fig. 2 left), metric vs Gflops and vs training compute on log axes (DiT Fig. 8).
 *
 *   <out>/report.md  <out>/runs.csv  <out>/report.json
 *   <out>/loss-curves.svg|png  <out>/<metric>-vs-gflops.svg|png  <out>/<metric>-vs-compute.svg|png
 */
import { promises as fs } from 'node:fs';
import { join, relative } from 'node:path';
import { lineChart, scatterChart, writeChart } from '../plot/charts.js';
import { curve, smoothCurve } from '../plot/run-plot.js';
import { readMetrics, type MetricsRecord, writeFileAtomic } from '@vtx/runs';
import type { RunSummary } from '@vtx/train';
import {
  readPlan,
  readSummary,
  runDir,
  runState,
  stageDir,
  stageState,
  stateLabel,
  type RunStateLabel,
  type SweepPlan,
} from './plan.js';
import { fitPowerLaw, pearson, type PowerLawFit } from './power-law.js';
import { readRecaptionRecord } from './caption-stage.js';

export interface ReportRow {
  name: string;
  axes: Record<string, unknown>;
  state: RunStateLabel;
  model?: string;
  /** The tfjs backend it trained on. */
  backend?: string;
  step?: number;
  steps?: number;
  params?: number;
  tokens?: number;
  /** Forward Gflops per sample. */
  gflops?: number;
  /** Training compute so far, Gflop. */
  trainGflop?: number;
  /** Mean training loss over the last 10% of logged steps (less noisy than the last step's loss). */
  finalLoss?: number;
  /** The last evaluation. */
  final: Record<string, number>;
  /** The best value of each validation metric over the run (min for losses, max for accuracies). */
  best: Record<string, number>;
  seconds?: number;
  records: MetricsRecord[];
}

export interface FitSummary {
  x: 'trainGflop' | 'gflops';
  metric: string;
  fit?: Omit<PowerLawFit, 'predict'>;
  /** Pearson r of the metric with log10(x). */
  pearsonLog: number;
}

export interface SweepReport {
  plan: SweepPlan;
  rows: ReportRow[];
  /** The sweep's stages (runs that completed before `rows` started), when it has any. */
  stages?: ReportRow[];
  /** The metric the fits and charts use: `val/loss` when every completed run has it, else `finalLoss`. */
  metric: string;
  fits: FitSummary[];
  files: string[];
}

/** Whether larger is better for a metric name (accuracies, closed-form readers' rates), else smaller (losses, errors). */
export const higherIsBetter = (key: string) =>
  /top\d|acc|accuracy|auc|psnr|ssim|one-subject|permanence|consistency|occluded/i.test(key);

/** The fields of a report row a summary gives. */
function summaryFields(s: RunSummary | undefined): Partial<ReportRow> {
  if (!s) return {};
  return {
    model: s.model,
    backend: s.backend,
    step: s.step,
    steps: s.steps,
    params: s.params,
    tokens: s.tokensPerSample,
    gflops: s.gflops,
    trainGflop: s.trainGflop,
    seconds: s.seconds,
  };
}

/** One row from a run directory's summary and metrics. */
export async function collectRow(
  rd: string,
  name: string,
  axes: Record<string, unknown>,
): Promise<ReportRow> {
  const state = await runState(rd);
  const summary = await readSummary(rd);
  const records = await readMetrics(join(rd, 'metrics.jsonl')).catch(() => [] as MetricsRecord[]);
  const best: Record<string, number> = {};
  let final: Record<string, number> = {};
  for (const rec of records) {
    const vals = Object.entries(rec).filter(
      (e): e is [string, number] =>
        e[0].startsWith('val/') && typeof e[1] === 'number' && Number.isFinite(e[1]),
    );
    if (vals.length) final = Object.fromEntries(vals);
    for (const [k, v] of vals) {
      const b = best[k];
      if (b === undefined || (higherIsBetter(k) ? v > b : v < b)) best[k] = v;
    }
  }
  const losses = curve(records, 'loss');
  const tail = losses.slice(-Math.max(1, Math.ceil(losses.length / 10)));
  const finalLoss = tail.length ? tail.reduce((s, p) => s + p.y, 0) / tail.length : summary?.finalLoss;
  return {
    name,
    axes,
    state: stateLabel(state),
    ...summaryFields(summary),
    ...(finalLoss !== undefined ? { finalLoss } : {}),
    final: summary?.metrics && Object.keys(summary.metrics).length ? summary.metrics : final,
    best,
    records,
  };
}

/** One row per run from its summary and metrics. */
export async function collectRows(dir: string, plan: SweepPlan): Promise<ReportRow[]> {
  const rows: ReportRow[] = [];
  for (const r of plan.runs) rows.push(await collectRow(runDir(dir, r.name), r.name, r.axes));
  return rows;
}

/**
 * One row per stage; a caption stage's carries what its captioner wrote (`recaption/agreement`: the fraction of
 * re-captions equal to the old caption) and its seconds.
 */
export async function collectStageRows(dir: string, plan: SweepPlan): Promise<ReportRow[]> {
  const rows: ReportRow[] = [];
  for (const s of plan.stages ?? []) {
    if (s.kind !== 'caption') {
      rows.push(await collectRow(stageDir(dir, s.name), s.name, {}));
      continue;
    }
    const rec = await readRecaptionRecord(dir, s.name);
    const final: Record<string, number> =
      rec?.agreement != null ? { 'recaption/agreement': rec.agreement } : {};
    rows.push({
      name: s.name,
      axes: {},
      state: stateLabel(await stageState(dir, s)),
      final,
      best: final,
      ...(rec ? { seconds: rec.seconds } : {}),
      records: [],
    });
  }
  return rows;
}

/** The value a row is judged by: a validation metric's last value, or the smoothed final training loss. */
export function metricOf(row: ReportRow, metric: string): number | undefined {
  return metric === 'finalLoss' ? row.finalLoss : row.final[metric];
}

/** Power-law fits of `metric` vs training compute and vs Gflops over the completed rows. */
export function fitRows(rows: readonly ReportRow[], metric: string): FitSummary[] {
  const done = rows.filter((r) => r.state === 'completed' && metricOf(r, metric) !== undefined);
  return (['trainGflop', 'gflops'] as const).map((x) => {
    const xs = done.map((r) => r[x] ?? NaN);
    const ys = done.map((r) => metricOf(r, metric)!);
    const fit = fitPowerLaw(xs, ys);
    const fitOut = fit ? { a: fit.a, exponent: fit.exponent, r2: fit.r2, n: fit.n } : undefined;
    return { x, metric, ...(fitOut ? { fit: fitOut } : {}), pearsonLog: pearson(xs.map(Math.log10), ys) };
  });
}

const num = (v: number | undefined, digits = 4) =>
  v === undefined || !Number.isFinite(v)
    ? ''
    : Math.abs(v) >= 1e5 || (Math.abs(v) < 1e-3 && v !== 0)
      ? v.toExponential(3)
      : String(+v.toPrecision(digits));

const csvCell = (s: string) => (/[",\n]/.test(s) ? `"${s.replace(/"/g, '""')}"` : s);
const mdCell = (s: string) => s.replace(/\|/g, '\\|');

/** Table columns: axes, then cost, then metrics (final and best of every validation key). */
export function tableOf(
  rows: readonly ReportRow[],
  axes: readonly string[],
): { header: string[]; cells: string[][] } {
  const valKeys = [...new Set(rows.flatMap((r) => [...Object.keys(r.final), ...Object.keys(r.best)]))].sort();
  const header = [
    'run',
    ...axes,
    'state',
    'step',
    'params',
    'tokens',
    'gflops',
    'train_gflop',
    'final_loss',
    ...valKeys.flatMap((k) => [k, `best ${k}`]),
    'seconds',
  ];
  const cells = rows.map((r) => [
    r.name,
    ...axes.map((a) => (a in r.axes ? JSON.stringify(r.axes[a]) : '')),
    r.state,
    r.step === undefined ? '' : `${r.step}/${r.steps}`,
    r.params === undefined ? '' : String(r.params),
    r.tokens === undefined ? '' : String(r.tokens),
    num(r.gflops),
    num(r.trainGflop),
    num(r.finalLoss),
    ...valKeys.flatMap((k) => [num(r.final[k]), num(r.best[k])]),
    r.seconds === undefined ? '' : r.seconds.toFixed(0),
  ]);
  return { header, cells };
}

export function markdownTable(header: readonly string[], cells: readonly string[][]): string {
  return [
    `| ${header.map(mdCell).join(' | ')} |`,
    `| ${header.map(() => '---').join(' | ')} |`,
    ...cells.map((c) => `| ${c.map(mdCell).join(' | ')} |`),
  ].join('\n');
}

export function csvTable(header: readonly string[], cells: readonly string[][]): string {
  return [header, ...cells].map((row) => row.map(csvCell).join(',')).join('\n') + '\n';
}

/** "L = 3.2·C^-0.071 (R² 0.93, n = 8)" */
export function describeFit(f: FitSummary, metricLabel = f.metric): string {
  const x = f.x === 'trainGflop' ? 'C' : 'G';
  if (!f.fit) return `${metricLabel} vs ${x}: too few runs or distinct ${x} values to fit`;
  return `${metricLabel} = ${num(f.fit.a)}·${x}^${f.fit.exponent.toFixed(3)} (R² ${f.fit.r2.toFixed(3)}, n = ${f.fit.n}; Pearson r with log ${x}: ${num(f.pearsonLog, 3)})`;
}

/** Write the report files for the sweep in `dir` into `out` (default `<dir>/report`). */
export async function sweepReport(
  dir: string,
  opts: { out?: string; png?: boolean; metric?: string; title?: string } = {},
): Promise<SweepReport> {
  const plan = await readPlan(dir);
  const rows = await collectRows(dir, plan);
  const stages = await collectStageRows(dir, plan);
  const out = opts.out ?? join(dir, 'report');
  await fs.mkdir(out, { recursive: true });
  const completed = rows.filter((r) => r.state === 'completed');
  const metric =
    opts.metric ??
    (completed.length && completed.every((r) => r.final['val/loss'] !== undefined)
      ? 'val/loss'
      : 'finalLoss');
  const fits = fitRows(rows, metric);
  const png = opts.png ?? true;
  const files: string[] = [];
  const slug = metric.replace(/[^A-Za-z0-9]+/g, '-');

  const series = rows
    .filter((r) => r.records.length)
    .map((r) => ({ name: r.name, points: smoothCurve(curve(r.records, 'loss'), 0.6) }));
  if (series.length)
    files.push(
      ...(await writeChart(
        join(out, 'loss-curves'),
        lineChart({
          title: `${plan.name}: training loss (EMA 0.6)`,
          x: { title: 'step' },
          y: { title: 'training loss', log: series.every((s) => s.points.every((p) => p.y > 0)) },
          series,
        }),
        { png },
      )),
    );
  for (const f of fits) {
    const pts = completed
      .map((r) => ({ x: r[f.x] ?? NaN, y: metricOf(r, metric) ?? NaN, label: r.name }))
      .filter((p) => Number.isFinite(p.x) && Number.isFinite(p.y));
    if (!pts.length) continue;
    const fit = fitPowerLaw(
      pts.map((p) => p.x),
      pts.map((p) => p.y),
    );
    const xTitle = f.x === 'gflops' ? 'forward Gflops per sample (log)' : 'training compute, Gflop (log)';
    files.push(
      ...(await writeChart(
        join(out, `${slug}-vs-${f.x === 'gflops' ? 'gflops' : 'compute'}`),
        scatterChart({
          title: `${plan.name}: ${metric} vs ${f.x === 'gflops' ? 'Gflops' : 'training compute'}`,
          x: { title: xTitle, log: true },
          y: { title: `${metric} (log)`, log: pts.every((p) => p.y > 0) },
          points: pts,
          ...(fit
            ? {
                fits: [
                  {
                    predict: fit.predict,
                    label: `fit: exponent ${fit.exponent.toFixed(3)}, R² ${fit.r2.toFixed(2)}`,
                  },
                ],
              }
            : {}),
        }),
        { png },
      )),
    );
  }

  const { header, cells } = tableOf(rows, plan.axes);
  const stageTable = tableOf(stages, []);
  await writeFileAtomic(join(out, 'runs.csv'), csvTable(header, cells));
  files.push(join(out, 'runs.csv'));
  const rel = (p: string) => relative(out, p);
  const md = [
    `# ${opts.title ?? `Sweep ${plan.name}`}`,
    '',
    `${rows.length} runs (${completed.length} completed) from \`${relative(process.cwd(), plan.file) || plan.file}\`; axes: ${plan.axes.map((a) => `\`${a}\``).join(', ') || '(none)'}.`,
    '',
    markdownTable(header, cells),
    '',
    ...(stages.length
      ? [
          '## Stages',
          '',
          'Runs that completed before the runs above started (`${stage.<name>}` in the sweep file names them).',
          '',
          markdownTable(stageTable.header, stageTable.cells),
          '',
        ]
      : []),
    '## Power-law fits',
    '',
    `Metric: \`${metric}\`${metric === 'finalLoss' ? ' (mean training loss over the last 10% of logged steps)' : ' (last evaluation)'}. C = training compute in Gflop (3 x forward flops x samples seen), G = forward Gflops per sample; fitted by least squares in log-log space.`,
    '',
    ...fits.map((f) => `- ${describeFit(f)}`),
    '',
    '## Charts',
    '',
    ...files.filter((f) => f.endsWith('.svg')).map((f) => `![${rel(f)}](${rel(f)})`),
    '',
  ].join('\n');
  await writeFileAtomic(join(out, 'report.md'), md);
  files.push(join(out, 'report.md'));
  const json = {
    name: plan.name,
    metric,
    fits,
    rows: rows.map(({ records: _records, ...r }) => r),
    ...(stages.length ? { stages: stages.map(({ records: _records, ...r }) => r) } : {}),
  };
  await writeFileAtomic(join(out, 'report.json'), `${JSON.stringify(json, null, 2)}\n`);
  files.push(join(out, 'report.json'));
  return { plan, rows, ...(stages.length ? { stages } : {}), metric, fits, files };
}
