/**
 * What the dashboard shows for one run (resolved config, summary, metrics records, sample files) and one sweep
 * (a table row per run, power-law fits of the metric against training compute and Gflops, an ablation's verdict).
 * Sweeps prefer `vtx sweep report`'s report.json (its rows and fits); without one, rows come from the runs'
 * summary.json files and the dashboard fits the power law itself.
 */
import { promises as fs } from 'node:fs';
import { join } from 'node:path';
import type { Fit, RunDetail, SweepDetail, SweepEntry, SweepRow } from './api-types.js';
import { fitPowerLaw, parseMetrics, stepOfFile } from '@vtx/runs';
import { readJson, readRunEntry, reportDir } from './scan.js';

/** Bytes of `text` up to and including its last newline: what can be parsed now, and where to continue. */
export function completeLines(buf: Buffer): { text: string; bytes: number } {
  const end = buf.lastIndexOf(0x0a) + 1;
  return { text: buf.subarray(0, end).toString('utf8'), bytes: end };
}

export async function runDetail(
  root: string,
  dir: string,
  fileUrl: (path: string) => string,
): Promise<RunDetail> {
  const entry = await readRunEntry(root, dir);
  if (!entry)
    throw new Error(`${dir} is not a run directory (no config.yaml with metrics.jsonl or summary.json)`);
  const [config, summary, raw, samples] = await Promise.all([
    fs.readFile(join(dir, 'config.yaml'), 'utf8'),
    readJson(join(dir, 'summary.json')),
    fs.readFile(join(dir, 'metrics.jsonl')).catch(() => Buffer.alloc(0)),
    fs.readdir(join(dir, 'samples')).catch(() => [] as string[]),
  ]);
  const { text, bytes } = completeLines(raw);
  const stepOf = (f: string) => stepOfFile(f) ?? 0;
  return {
    entry,
    config,
    summary: summary ?? null,
    metrics: parseMetrics(text),
    offset: bytes,
    samples: samples
      .filter((f) => /\.(gif|png)$/i.test(f))
      .sort((a, b) => stepOf(a) - stepOf(b) || a.localeCompare(b))
      .map((f) => fileUrl(join(dir, 'samples', f))),
  };
}

const num = (v: unknown): number | undefined => (typeof v === 'number' && Number.isFinite(v) ? v : undefined);

export async function sweepDetail(
  root: string,
  dir: string,
  entry: SweepEntry,
  runDirs: Map<string, string>,
): Promise<SweepDetail> {
  const rdir = await reportDir(dir);
  const report = rdir ? await readJson(join(rdir, 'report.json')) : undefined;
  const byName = new Map([...runDirs].map(([id, d]) => [id.split('/').at(-1)!, { id, d }]));
  let rows: SweepRow[];
  let metric: string;
  if (report && Array.isArray(report['rows'])) {
    metric = typeof report['metric'] === 'string' ? report['metric'] : 'finalLoss';
    rows = (report['rows'] as Record<string, unknown>[]).map((r) => {
      const name = String(r['name']);
      const final = (r['final'] ?? {}) as Record<string, unknown>;
      const run = byName.get(name)?.id;
      return {
        name,
        ...(run ? { run } : {}),
        state: typeof r['state'] === 'string' ? r['state'] : '',
        ...pick(r),
        metric: metric === 'finalLoss' ? num(r['finalLoss']) : num(final[metric]),
        axes: (r['axes'] ?? {}) as Record<string, unknown>,
      };
    });
  } else {
    const summaries = await Promise.all(
      entry.runs.map(async (id) => ({ id, s: await readJson(join(runDirs.get(id)!, 'summary.json')) })),
    );
    const haveVal = summaries.every(({ s }) =>
      num((s?.['metrics'] as Record<string, unknown>)?.['val/loss']),
    );
    metric = haveVal && summaries.length ? 'val/loss' : 'finalLoss';
    rows = summaries.map(({ id, s }) => ({
      name: id.split('/').at(-1)!,
      run: id,
      state: typeof s?.['status'] === 'string' ? s['status'] : 'running',
      ...pick(s ?? {}),
      metric:
        metric === 'finalLoss'
          ? num(s?.['finalLoss'])
          : num((s?.['metrics'] as Record<string, unknown>)?.['val/loss']),
      axes: {},
    }));
  }
  const fits: Fit[] = [];
  const reported = Array.isArray(report?.['fits']) ? (report['fits'] as Record<string, unknown>[]) : [];
  for (const x of ['trainGflop', 'gflops'] as const) {
    const r = reported.find((f) => f['x'] === x)?.['fit'] as Record<string, unknown> | undefined;
    const [a, exponent, r2, n] = [num(r?.['a']), num(r?.['exponent']), num(r?.['r2']), num(r?.['n'])];
    if (a !== undefined && exponent !== undefined) {
      fits.push({ x, a, exponent, r2: r2 ?? NaN, n: n ?? 0, source: 'report' });
      continue;
    }
    const pts = rows.filter((row) => row[x] !== undefined && row.metric !== undefined);
    const fit = fitPowerLaw(
      pts.map((p) => p[x]!),
      pts.map((p) => p.metric!),
    );
    if (fit) fits.push({ x, ...fit, source: 'dashboard' });
  }
  let readme: string | undefined;
  for (const d of [dir, rdir].filter((d): d is string => !!d)) {
    for (const f of ['README.md', 'report.md']) {
      readme ??= await fs.readFile(join(d, f), 'utf8').catch(() => undefined);
    }
  }
  return { entry, metric, rows, fits, ...(readme ? { readme } : {}) };
}

function pick(r: Record<string, unknown>): Partial<SweepRow> {
  const out: Partial<SweepRow> = {};
  for (const k of ['params', 'gflops', 'trainGflop', 'finalLoss'] as const) {
    const v = num(r[k]);
    if (v !== undefined) out[k] = v;
  }
  if (typeof r['model'] === 'string') out.model = r['model'];
  return out;
}
