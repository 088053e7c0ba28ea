/**
 * Expanding a sweep file into runs, and validating every run before anything starts.
 *
 *   runs = explicit runs (or one empty run) x cartesian product of the grid axes x seeds
 *   overrides(run) = set, then the explicit run's keys, then the grid point, then `seed`
 *
 * Each run's config is the base file with its overrides, parsed by `ExperimentConfig` exactly as
 * `vtx train --config base --set k=v …` would; one bad key or value in any run fails the whole sweep up front, with
 * every problem listed under the run it belongs to.
 */
import { dirname, resolve } from 'node:path';
import { ConfigError, formatIssue, loadConfigFile, type Override } from '../config/index.js';
import { ExperimentConfig } from '../experiment.js';
import { runNames } from './naming.js';
import { SweepConfig, type Assignment } from './schema.js';

/** One expanded run: its name, the assignment that defines it, and its validated config. */
export interface SweepRun {
  index: number;
  name: string;
  /** The varying keys' values (what names the run). */
  axes: Assignment;
  /** Every override applied to the base, in order (`set`, then axes). */
  overrides: Assignment;
  config: ExperimentConfig;
}

export interface ExpandedSweep {
  sweep: SweepConfig;
  /** Absolute path of the base experiment config. */
  base: string;
  /** The keys that vary across runs, in naming order. */
  axes: string[];
  runs: SweepRun[];
}

/** A sweep that cannot run: every problem, each naming the run and key. */
export class SweepError extends Error {
  override readonly name = 'SweepError';
}

const KEY = /^[A-Za-z_][A-Za-z0-9_-]*$|^\d+$/;

function checkKey(key: string, where: string): string[] {
  const parts = key.split('.');
  if (!key || !parts.every((p) => KEY.test(p)))
    throw new SweepError(`${where}: '${key}' is not a dotted key path (letters, digits, _ and -)`);
  if (parts[0] === 'name') throw new SweepError(`${where}: 'name' is set by the sweep (it names each run)`);
  return parts;
}

/** The cartesian product of the grid axes, in key order (the last axis varies fastest). */
export function gridPoints(grid: Record<string, unknown[]>): Assignment[] {
  let points: Assignment[] = [{}];
  for (const [key, values] of Object.entries(grid))
    points = points.flatMap((p) => values.map((v) => ({ ...p, [key]: v })));
  return points;
}

/** Expand a parsed sweep (its file's directory resolves `base`) into named, validated runs. */
export async function expandSweep(sweep: SweepConfig, sweepFile: string): Promise<ExpandedSweep> {
  const base = resolve(dirname(sweepFile), sweep.base);
  for (const k of Object.keys(sweep.set)) checkKey(k, `${sweepFile}: set`);
  for (const k of Object.keys(sweep.grid)) checkKey(k, `${sweepFile}: grid`);
  sweep.runs.forEach((r, i) => Object.keys(r).forEach((k) => checkKey(k, `${sweepFile}: runs[${i}]`)));

  const explicit = sweep.runs.length ? sweep.runs : [{}];
  const points = gridPoints(sweep.grid);
  const seeds: (number | undefined)[] = sweep.seeds.length ? sweep.seeds : [undefined];
  const assignments: Assignment[] = [];
  for (const e of explicit)
    for (const p of points)
      for (const s of seeds) assignments.push({ ...e, ...p, ...(s === undefined ? {} : { seed: s }) });

  // Varying keys: explicit-run keys, then grid keys, then seed.
  const axes = [
    ...new Set([
      ...sweep.runs.flatMap((r) => Object.keys(r)),
      ...Object.keys(sweep.grid),
      ...(sweep.seeds.length ? ['seed'] : []),
    ]),
  ];
  const names = runNames(assignments, axes);

  const problems: string[] = [];
  const runs: SweepRun[] = [];
  for (const [index, axesValues] of assignments.entries()) {
    const name = names[index]!;
    const overrides: Assignment = { ...sweep.set, ...axesValues, name: `${sweep.name}-${name}` };
    const list: Override[] = Object.entries(overrides).map(([k, value]) => ({ path: k.split('.'), value }));
    try {
      const config = await loadConfigFile(base, ExperimentConfig, list);
      runs.push({ index, name, axes: axesValues, overrides, config });
    } catch (e) {
      if (!(e instanceof ConfigError)) throw e;
      problems.push(`run ${name}:\n    ${e.issues.map(formatIssue).join('\n    ')}`);
    }
  }
  if (problems.length)
    throw new SweepError(
      `${sweepFile}: ${problems.length} of ${assignments.length} runs are invalid (nothing was started):\n  ${problems.join('\n  ')}`,
    );
  return { sweep, base, axes, runs };
}

/** Read, validate and expand a sweep file. */
export async function loadSweep(path: string): Promise<ExpandedSweep> {
  const sweep = await loadConfigFile(path, SweepConfig);
  return expandSweep(sweep, path);
}
