/**
 * `runAblation(name)`: run an ablation's sweep (resumable, local pool) into `runs/ablations/<name>`, report it into
 * `docs/ablations/<name>/` (the sweep report plus a README with the finding, the command, the table, the charts and
 * the verdict), and return the verdict. An ablation's `scores` judge each completed run's samples once more, on other
 * reference rows, after the sweep.
 */
import { existsSync, promises as fs } from 'node:fs';
import { availableParallelism, cpus } from 'node:os';
import { join } from 'node:path';
import { setMatmulPrecision, startBackend, ExperimentConfig } from '@vtx/train';
import { loadConfigFile } from '@vtx/config';
import { loadJudge, scoreRun, type RunScore } from '@vtx/eval';
import { barChart, writeChart } from '../plot/charts.js';
import { runDir, stageDir } from '../sweep/plan.js';
import { markdownTable, metricOf, sweepReport, type SweepReport } from '../sweep/report.js';
import { runSweep } from '../sweep/run.js';
import { ablation } from './registry.js';
import { armBars, seedsOf, totalCompute } from './report-summary.js';
import type { Ablation, AblationScore, VerdictResult } from './types.js';
import { writeFileAtomic } from '@vtx/runs';

export interface AblateOptions {
  /** Where sweeps run (default runs/ablations). */
  runs?: string;
  /** Where reports go (default docs/ablations). */
  docs?: string;
  /** Only re-report an existing sweep directory; start nothing. */
  reportOnly?: boolean;
  /** `k=v` overrides for every run of the sweep (`vtx ablate --set`), named in the README's command. */
  set?: readonly string[];
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
    /** Sample sheets (PNG, relative to the report folder) from the ablation's `scores`. */
    sheets?: string[];
    wallSeconds?: number;
    /** The `--set` overrides the sweep ran with. */
    set?: readonly string[];
  },
): string {
  const cmd = `pnpm vtx ablate ${a.name}${(extra.set ?? []).map((k) => ` --set ${k}`).join('')}`;
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
  const total = totalCompute(r);
  const seeds = seedsOf(r);
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
    `**Seeds:** ${seeds}. **Total compute:** ${total.runs} runs and stages, ${(total.seconds / 60).toFixed(1)} run-minutes (the sum of each run's wall time; runs share the pool, so the sweep took less wall time) and ${n4(total.trainGflop)} training Gflop.`,
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
    ...(extra.sheets?.length
      ? [
          '## Samples',
          '',
          'The first samples of each run and scoring, one row per prompt (the frames left to right; a GIF of each beside the PNG).',
          '',
          ...extra.sheets.map((f) => `${f.replace(/^samples-|\.png$/g, '')}: ![${f}](${f})`),
          '',
        ]
      : []),
    '## Caveats (why this may differ from the paper)',
    '',
    ...a.caveats.map((c) => `- ${c}`),
    '',
    `Run on ${availableParallelism()} CPU cores (${cpus()[0]?.model.trim() ?? 'unknown CPU'}), tfjs ${backends.join(' / ') || 'wasm'} backend, shared with other work${extra.wallSeconds ? `; sweep wall time ${Math.round(extra.wallSeconds / 60)} min` : ''}.`,
    '',
  ].join('\n');
}

/**
 * Judge every completed run once more per `scores` entry (see `AblationScore`): read `<run>/<name>.json` when it is
 * there, else (unless `compute` is false) sample, judge and write it, with a GIF/PNG sheet of the first samples as
 * `<docs>/samples-<run>-<name>`. The metrics join each row's `final` as `<name>/acc/<attribute>` and
 * `<name>/frechet`; returns the sample sheets that exist, relative to `docs`.
 */
export async function scoreRuns(
  scores: readonly AblationScore[],
  sweepDir: string,
  report: SweepReport,
  docs: string,
  opts: { compute?: boolean; onEvent?: (line: string) => void } = {},
): Promise<string[]> {
  const sheets: string[] = [];
  let started = false;
  for (const row of report.rows.filter((r) => r.state === 'completed'))
    for (const sc of scores) {
      const rd = runDir(sweepDir, row.name);
      const file = join(rd, `${sc.name}.json`);
      const stem = `samples-${row.name}-${sc.name}`;
      let score = await fs
        .readFile(file, 'utf8')
        .then((t) => JSON.parse(t) as RunScore)
        .catch(() => undefined);
      if (!score && opts.compute !== false) {
        const cfg = await loadConfigFile(join(rd, 'config.yaml'), ExperimentConfig);
        const evalData = { ...cfg.data, ...cfg.eval.data };
        if (typeof evalData.dataset !== 'object')
          throw new Error(
            `${rd}: score '${sc.name}' replaces dataset fields, but the evaluation dataset is a path`,
          );
        if (!started) await startBackend(cfg.backend);
        started = true;
        await setMatmulPrecision(cfg.matmulPrecision); // each run is sampled with the GEMM it trained with
        opts.onEvent?.(`score ${row.name} on ${sc.name} (judge: stage ${sc.judge})`);
        const judge = await loadJudge(stageDir(sweepDir, sc.judge));
        try {
          score = await scoreRun(rd, judge, {
            data: { ...evalData, dataset: { ...evalData.dataset, ...sc.dataset } },
            count: sc.count ?? cfg.eval.judge?.samples ?? 64,
            seed: cfg.seed,
            stem: join(docs, stem),
          });
        } finally {
          judge.dispose();
        }
        await writeFileAtomic(
          file,
          `${JSON.stringify({ judge: stageDir(sweepDir, sc.judge), ...score }, null, 2)}\n`,
        );
      }
      if (!score) continue;
      for (const [k, v] of Object.entries(score.accuracy)) row.final[`${sc.name}/acc/${k}`] = v;
      row.final[`${sc.name}/frechet`] = score.frechet;
      if (existsSync(join(docs, `${stem}.png`))) sheets.push(`${stem}.png`);
    }
  return sheets;
}

/**
 * Run (or resume) an ablation and write its report. A failure (a `reportOnly` without a sweep to report, say) leaves
 * no report directory behind where there was none before.
 */
export async function runAblation(name: string, opts: AblateOptions = {}): Promise<AblationResult> {
  const docs = join(opts.docs ?? join('docs', 'ablations'), ablation(name).name);
  const existed = existsSync(docs);
  return ablate(name, opts).catch(async (e: unknown) => {
    if (!existed) await fs.rm(docs, { recursive: true, force: true });
    throw e;
  });
}

async function ablate(name: string, opts: AblateOptions): Promise<AblationResult> {
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
        ...(opts.set?.length ? { set: opts.set } : {}),
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
  const sheets = a.scores
    ? await scoreRuns(a.scores, dir, report, docs, {
        compute: !opts.reportOnly,
        ...(opts.onEvent ? { onEvent: opts.onEvent } : {}),
      })
    : [];
  const verdict = a.verdict(report);
  const own = a.charts ? await a.charts(report, docs) : [];
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
        title: `${a.name}: ${a.metric}, mean over seeds with its 95% bootstrap interval`,
        x: 'arm',
        y: { title: a.metric },
        bars: arms,
      }),
    );
  const charts = [
    ...own,
    ...(arms.length ? ['metric-by-arm.svg'] : []),
    'metric-by-run.svg',
    ...report.files.filter((f) => f.endsWith('.svg')).map((f) => f.slice(docs.length + 1)),
  ];
  await writeFileAtomic(
    readme,
    ablationReadme(a, report, verdict, {
      charts,
      sheets,
      ...(wallSeconds ? { wallSeconds } : {}),
      ...(opts.set?.length ? { set: opts.set } : {}),
    }),
  );
  return { ablation: a, verdict, report, readme };
}
