/**
 * `runAblation(name)`: run an ablation's sweep (resumable, local pool) into `runs/ablations/<name>`, report it into
 * `docs/ablations/<name>/` (the sweep report plus a README with the finding, the command, the table, the charts and
 * the verdict), and return the verdict.
 */
import { promises as fs } from 'node:fs';
import { availableParallelism, cpus } from 'node:os';
import { join } from 'node:path';
import { writeFileAtomic } from '../checkpoint/index.js';
import { barChart, writeChart } from '../plot/charts.js';
import { formatValue } from '../sweep/naming.js';
import { markdownTable, metricOf, sweepReport, type ReportRow, type SweepReport } from '../sweep/report.js';
import { runSweep } from '../sweep/run.js';
import { ablation } from './registry.js';
import type { Ablation, VerdictResult } from './types.js';

export interface AblateOptions {
  /** Where sweeps run (default runs/ablations). */
  runs?: string;
  /** Where reports go (default docs/ablations). */
  docs?: string;
  /** Only re-report an existing sweep directory; start nothing. */
  reportOnly?: boolean;
  signal?: AbortSignal;
  onEvent?: (line: string) => void;
}

export interface AblationResult {
  ablation: Ablation;
  /** The reason it did not run, when it could not. */
  unavailable?: string;
  verdict?: VerdictResult;
  report?: SweepReport;
  readme: string;
}

const n4 = (v: number | undefined) =>
  v === undefined || !Number.isFinite(v) ? '' : String(+v.toPrecision(4));

/** The README of an ablation's docs folder. */
export function ablationReadme(
  a: Ablation,
  r: SweepReport | undefined,
  v: VerdictResult | undefined,
  extra: {
    unavailable?: string;
    charts: string[];
    wallSeconds?: number;
  },
): string {
  const cmd = `pnpm vtx ablate ${a.name}`;
  const head = [
    `# ${a.title}`,
    '',
    `**Paper:** ${a.paper}.`,
    '',
    `**Finding tested:** ${a.finding}`,
    '',
    `**Reproduce:** \`${cmd}\`${a.sweep ? ` (sweep: [\`${a.sweep}\`](../../../${a.sweep}))` : ''}.`,
    '',
  ];
  if (!r || !v) return [...head, `## Not run here`, '', `${extra.unavailable ?? 'not run'}.`, ''].join('\n');
  const m = r.metric;
  const stageRows = (r.stages ?? []).map((row) => [
    row.name,
    row.state,
    row.model ?? '',
    row.params === undefined ? '' : String(row.params),
    row.step === undefined ? '' : `${row.step}/${row.steps}`,
    n4(row.finalLoss),
    Object.entries(row.final)
      .map(([k, x]) => `${k} ${n4(x)}`)
      .join(', '),
    row.seconds === undefined ? '' : row.seconds.toFixed(0),
  ]);
  const backends = [...new Set([...(r.stages ?? []), ...r.rows].flatMap((row) => row.backend ?? []))];
  const rows = r.rows.map((row) => [
    row.name,
    row.state,
    row.params === undefined ? '' : String(row.params),
    row.tokens === undefined ? '' : String(row.tokens),
    n4(row.gflops),
    n4(row.trainGflop),
    n4(row.finalLoss),
    n4(metricOf(row, m)),
    n4(row.best[m]),
    row.seconds === undefined ? '' : row.seconds.toFixed(0),
  ]);
  const header = [
    'run',
    'state',
    'params',
    'tokens',
    'Gflops',
    'train Gflop',
    'final train loss',
    m,
    `best ${m}`,
    'seconds',
  ];
  return [
    ...head,
    `## Verdict: ${v.verdict}`,
    '',
    ...v.lines,
    '',
    ...(stageRows.length
      ? [
          '## Stages',
          '',
          'Run first, once; the runs below start from them (`${stage.<name>}` in the sweep file).',
          '',
          markdownTable(
            ['stage', 'state', 'model', 'params', 'steps', 'final train loss', 'last evaluation', 'seconds'],
            stageRows,
          ),
          '',
        ]
      : []),
    '## Results',
    '',
    markdownTable(header, rows),
    '',
    `Gflops: forward multiply-adds per sample (DiT's convention); train Gflop: 3 x forward x samples seen. Final train loss: mean over the last 10% of logged steps. The full table (every validation metric, final and best) is in [report.md](report.md) and [runs.csv](runs.csv).`,
    '',
    ...extra.charts.map((c) => `![${c}](${c})`),
    '',
    '## Caveats (why this may differ from the paper)',
    '',
    ...a.caveats.map((c) => `- ${c}`),
    '',
    `Run on ${availableParallelism()} CPU cores (${cpus()[0]?.model.trim() ?? 'unknown CPU'}), tfjs ${backends.join(' / ') || 'wasm'} backend, shared with other work${extra.wallSeconds ? `; sweep wall time ${Math.round(extra.wallSeconds / 60)} min` : ''}.`,
    '',
  ].join('\n');
}

/**
 * With a `seed` axis: one bar per combination of the other axes (an arm), the metric's mean over its seeds with the
 * sample standard deviation as the whisker. Empty without seeds.
 */
export function armBars(report: SweepReport, metric: string): { label: string; y: number; err: number }[] {
  const axes = report.plan.axes.filter((k) => k !== 'seed');
  if (!report.plan.axes.includes('seed') || !axes.length) return [];
  const groups = new Map<string, number[]>();
  const done = (r: ReportRow) => r.state === 'completed' && metricOf(r, metric) !== undefined;
  for (const r of report.rows.filter(done)) {
    const label = axes
      .filter((k) => k in r.axes)
      .map((k) =>
        k === 'label' ? formatValue(r.axes[k]) : `${k.split('.').at(-1)}-${formatValue(r.axes[k])}`,
      )
      .join('_');
    groups.set(label, [...(groups.get(label) ?? []), metricOf(r, metric)!]);
  }
  return [...groups].map(([label, ys]) => {
    const mean = ys.reduce((s, y) => s + y, 0) / ys.length;
    const sd = ys.length > 1 ? Math.sqrt(ys.reduce((s, y) => s + (y - mean) ** 2, 0) / (ys.length - 1)) : 0;
    return { label, y: mean, err: sd };
  });
}

/** Run (or resume) an ablation and write its report. */
export async function runAblation(name: string, opts: AblateOptions = {}): Promise<AblationResult> {
  const a = ablation(name);
  const docs = join(opts.docs ?? join('docs', 'ablations'), a.name);
  const dir = join(opts.runs ?? join('runs', 'ablations'), a.name);
  await fs.mkdir(docs, { recursive: true });
  const readme = join(docs, 'README.md');
  const unavailable = await a.unavailable?.();
  if (unavailable !== undefined || !a.sweep) {
    const why = unavailable ?? 'no sweep defined';
    await writeFileAtomic(readme, ablationReadme(a, undefined, undefined, { unavailable: why, charts: [] }));
    return { ablation: a, unavailable: why, readme };
  }
  const started = performance.now();
  const ran = opts.reportOnly
    ? undefined
    : await runSweep(a.sweep, {
        out: dir,
        ...(opts.signal ? { signal: opts.signal } : {}),
        ...(opts.onEvent ? { onEvent: opts.onEvent } : {}),
      });
  // the wall time of the invocation that did the work, kept for re-reports and resumes that had nothing left to do
  const wallFile = join(dir, 'ablation-wall-time.json');
  const didWork = [...(ran?.stageOutcomes ?? []), ...(ran?.outcomes ?? [])].some(
    (o) => o.result !== 'skipped',
  );
  let wallSeconds: number | undefined;
  if (didWork) {
    wallSeconds = (performance.now() - started) / 1000;
    await writeFileAtomic(wallFile, `${JSON.stringify({ seconds: wallSeconds })}\n`);
  } else
    wallSeconds = await fs
      .readFile(wallFile, 'utf8')
      .then((t) => (JSON.parse(t) as { seconds?: number }).seconds)
      .catch(() => undefined);
  const report = await sweepReport(dir, { out: docs, metric: a.metric, title: `${a.title}: sweep report` });
  const verdict = a.verdict(report);
  const bars = report.rows
    .filter((r) => r.state === 'completed')
    .map((r) => ({ label: r.name, y: metricOf(r, a.metric) ?? NaN }));
  await writeChart(
    join(docs, 'metric-by-run'),
    barChart({ title: `${a.name}: ${a.metric} by run`, x: 'run', y: { title: a.metric }, bars }),
  );
  const arms = armBars(report, a.metric);
  if (arms.length)
    await writeChart(
      join(docs, 'metric-by-arm'),
      barChart({
        title: `${a.name}: ${a.metric}, mean ± sd over seeds`,
        x: 'arm',
        y: { title: a.metric },
        bars: arms,
      }),
    );
  const charts = [
    ...(arms.length ? ['metric-by-arm.svg'] : []),
    'metric-by-run.svg',
    ...report.files.filter((f) => f.endsWith('.svg')).map((f) => f.slice(docs.length + 1)),
  ];
  await writeFileAtomic(
    readme,
    ablationReadme(a, report, verdict, { charts, ...(wallSeconds ? { wallSeconds } : {}) }),
  );
  return { ablation: a, verdict, report, readme };
}
