/**
 * Find what `vtx view <path>` shows: runs (a directory with config.yaml and metrics.jsonl or summary.json, as
 * `vtx train` writes), sweeps (sweep.json from `vtx sweep`, or a report.json from `vtx sweep report`) and
 * ablations (a sweep or report directory whose README.md has a `## Verdict:` from `vtx ablate`). Reads only;
 * anything missing or malformed is skipped, so a half-written sweep still shows what it has.
 */
import { promises as fs, type Stats } from 'node:fs';
import { basename, join, relative, sep } from 'node:path';
import type { IndexResponse, RunEntry, SweepEntry, Verdict } from './api-types.js';

const SKIP = new Set(['node_modules', '.git', 'checkpoints', 'tensorboard', 'samples', 'export', 'cache']);
const MAX_DEPTH = 6;
/** A run without summary.json whose metrics were written this recently counts as running. */
const LIVE_MS = 120_000;

const stat = (p: string): Promise<Stats | undefined> => fs.stat(p).catch(() => undefined);

export async function readJson(path: string): Promise<Record<string, unknown> | undefined> {
  try {
    const v = JSON.parse(await fs.readFile(path, 'utf8')) as unknown;
    return v && typeof v === 'object' && !Array.isArray(v) ? (v as Record<string, unknown>) : undefined;
  } catch {
    return undefined;
  }
}

const num = (v: unknown): number | undefined => (typeof v === 'number' && Number.isFinite(v) ? v : undefined);
const str = (v: unknown): string | undefined => (typeof v === 'string' ? v : undefined);

/** A root-relative id with '/' separators ('.' for the root). */
export function idOf(root: string, dir: string): string {
  return relative(root, dir).split(sep).join('/') || '.';
}

/** The run in `dir`, or undefined when `dir` is not a run directory. */
export async function readRunEntry(root: string, dir: string): Promise<RunEntry | undefined> {
  const [cfg, metrics, summaryStat] = await Promise.all([
    stat(join(dir, 'config.yaml')),
    stat(join(dir, 'metrics.jsonl')),
    stat(join(dir, 'summary.json')),
  ]);
  if (!cfg || (!metrics && !summaryStat)) return undefined;
  const summary = summaryStat ? await readJson(join(dir, 'summary.json')) : undefined;
  const updated = Math.max(metrics?.mtimeMs ?? 0, summaryStat?.mtimeMs ?? 0, cfg.mtimeMs);
  const s = str(summary?.['status']);
  const status: RunEntry['status'] =
    s === 'completed' || s === 'stopped' ? s : Date.now() - updated < LIVE_MS ? 'running' : 'incomplete';
  const entry: RunEntry = {
    id: idOf(root, dir),
    name: str(summary?.['name']) ?? basename(dir),
    status,
    updated,
  };
  for (const k of ['step', 'steps', 'params', 'gflops', 'trainGflop', 'finalLoss'] as const) {
    const v = num(summary?.[k]);
    if (v !== undefined) entry[k] = v;
  }
  const model = str(summary?.['model']);
  if (model) entry.model = model;
  return entry;
}

/** `## Verdict: X` and the lines under it, from an ablation README written by `vtx ablate`. */
export function parseVerdict(markdown: string): Verdict | undefined {
  const m = /^## Verdict:\s*(.+)$/m.exec(markdown);
  if (!m) return undefined;
  const rest = markdown.slice(m.index + m[0].length).split('\n');
  const end = rest.findIndex((l, i) => i > 0 && /^## /.test(l));
  const lines = (end < 0 ? rest : rest.slice(0, end)).filter((l) => l.trim() !== '');
  return { verdict: m[1]!.trim(), lines };
}

/** Where a sweep's report lives: `<dir>/report/` (vtx sweep report's default) or `<dir>` itself. */
export async function reportDir(dir: string): Promise<string | undefined> {
  for (const d of [join(dir, 'report'), dir]) if (await stat(join(d, 'report.json'))) return d;
  return undefined;
}

async function readSweepEntry(root: string, dir: string): Promise<SweepEntry | undefined> {
  const plan = await readJson(join(dir, 'sweep.json'));
  const rdir = await reportDir(dir);
  const report = rdir ? await readJson(join(rdir, 'report.json')) : undefined;
  if (!plan && !report) return undefined;
  let verdict: Verdict | undefined;
  for (const d of [dir, rdir].filter((d): d is string => !!d)) {
    const text = await fs.readFile(join(d, 'README.md'), 'utf8').catch(() => '');
    verdict ??= parseVerdict(text);
  }
  const name = str(plan?.['name']) ?? str(report?.['name']) ?? basename(dir);
  return {
    id: idOf(root, dir),
    name,
    kind: verdict ? 'ablation' : 'sweep',
    runs: [],
    ...(verdict ? { verdict } : {}),
  };
}

/** Everything under `root` (itself a run, a sweep, or any directory holding them). */
export async function scan(root: string): Promise<IndexResponse> {
  const runs: RunEntry[] = [];
  const sweeps: SweepEntry[] = [];
  const walk = async (dir: string, depth: number): Promise<void> => {
    const run = await readRunEntry(root, dir);
    if (run) {
      runs.push(run);
      return; // a run's subdirectories are its own files
    }
    const sweep = await readSweepEntry(root, dir);
    if (sweep) sweeps.push(sweep);
    if (depth >= MAX_DEPTH) return;
    const children = await fs.readdir(dir, { withFileTypes: true }).catch(() => []);
    for (const c of children) {
      if (!c.isDirectory() || SKIP.has(c.name) || c.name.startsWith('.')) continue;
      if (sweep && c.name === 'report') continue; // the sweep's own report, already read
      await walk(join(dir, c.name), depth + 1);
    }
  };
  await walk(root, 0);
  // a run belongs to the innermost sweep directory above it
  for (const r of runs) {
    const owner = sweeps
      .filter((s) => s.id === '.' || r.id.startsWith(`${s.id}/`))
      .sort((a, b) => b.id.length - a.id.length)[0];
    if (owner) {
      r.sweep = owner.id;
      owner.runs.push(r.id);
    }
  }
  runs.sort((a, b) => a.id.localeCompare(b.id));
  sweeps.sort((a, b) => a.id.localeCompare(b.id));
  return { root, runs, sweeps };
}
