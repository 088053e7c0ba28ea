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
import { markdownTable, metricOf, sweepReport, type SweepReport } from '../sweep/report.js';
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
    `Run on ${availableParallelism()} CPU cores (${cpus()[0]?.model.trim() ?? 'unknown CPU'}), tfjs wasm backend, shared with other work${extra.wallSeconds ? `; sweep wall time ${Math.round(extra.wallSeconds / 60)} min` : ''}.`,
    '',
  ].join('\n');
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
  if (!opts.reportOnly)
    await runSweep(a.sweep, {
      out: dir,
      ...(opts.signal ? { signal: opts.signal } : {}),
      ...(opts.onEvent ? { onEvent: opts.onEvent } : {}),
    });
  const wallSeconds = opts.reportOnly ? undefined : (performance.now() - started) / 1000;
  const report = await sweepReport(dir, { out: docs, metric: a.metric, title: `${a.title}: sweep report` });
  const verdict = a.verdict(report);
  const bars = report.rows
    .filter((r) => r.state === 'completed')
    .map((r) => ({ label: r.name, y: metricOf(r, a.metric) ?? NaN }));
  await writeChart(
    join(docs, 'metric-by-run'),
    barChart({ title: `${a.name}: ${a.metric} by run`, x: 'run', y: { title: a.metric }, bars }),
  );
  const charts = [
    'metric-by-run.svg',
    ...report.files.filter((f) => f.endsWith('.svg')).map((f) => f.slice(docs.length + 1)),
  ];
  await writeFileAtomic(
    readme,
    ablationReadme(a, report, verdict, { charts, ...(wallSeconds ? { wallSeconds } : {}) }),
  );
  return { ablation: a, verdict, report, readme };
}
