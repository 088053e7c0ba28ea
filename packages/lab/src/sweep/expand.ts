/**
 * Expanding a sweep file into runs, and validating every run before anything starts.
 *
 *   runs = explicit runs (or one empty run) x cartesian product of the grid axes x seeds
 *   overrides(run) = set, then the explicit run's keys, then the grid point, then `seed` (or every `seedKeys` key)
 *
 * Each run's config is the base file with its overrides, parsed by `ExperimentConfig` exactly as
 * `vtx train --config base --set k=v …` would; one bad key or value in any run fails the whole sweep up front, with
 * every problem listed under the run it belongs to. Stages (runs that complete first) are validated the same way,
 * and every `${stage.<name>}` in a value is replaced by that stage's run directory, `<sweep dir>/stages/<name>`.
 */
import { dirname, join, resolve } from 'node:path';
import { ExperimentConfig, typedPathsAbsolute } from '@vtx/train';
import { ConfigError, formatIssue, loadConfigFile, parseOverride, type Override } from '@vtx/config';
import { runNames } from './naming.js';
import { SweepConfig, type Assignment, type LabelledRun } from './schema.js';

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

/** One expanded training stage: a run that completes before the sweep's runs start. */
export interface SweepTrainStage {
  kind: 'train';
  name: string;
  /** Absolute path of its base config. */
  base: string;
  /** Its overrides, stage references replaced. */
  overrides: Assignment;
  /** Its run directory (absolute): what `${stage.<name>}` becomes. */
  dir: string;
  config: ExperimentConfig;
}

/** One expanded re-captioning stage: its directory becomes the re-captioned dataset. */
export interface SweepCaptionStage {
  kind: 'caption';
  name: string;
  /** The captioner run directory (absolute, stage references replaced). */
  captioner: string;
  /** The data it re-captions: the base config's `data.dataset` (a directory or a built-in spec) and cache. */
  dataset: ExperimentConfig['data']['dataset'];
  cacheDir: string;
  batchSize: number;
  /** Its directory (absolute): what `${stage.<name>}` becomes. */
  dir: string;
}

export type SweepStageRun = SweepTrainStage | SweepCaptionStage;

export interface ExpandedSweep {
  sweep: SweepConfig;
  /** Absolute path of the base experiment config. */
  base: string;
  /** The keys that vary across runs, in naming order. */
  axes: string[];
  /** Stages, in the order they run. */
  stages: SweepStageRun[];
  runs: SweepRun[];
}

export interface ExpandOptions {
  /** The sweep directory stage references resolve into (default `runs/sweeps/<name>`). */
  dir?: string;
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

/** Whether an explicit run is a labelled one (`{ label, set }`) rather than a plain assignment. */
export function isLabelled(r: SweepConfig['runs'][number]): r is LabelledRun {
  const keys = Object.keys(r);
  return (
    typeof r['label'] === 'string' &&
    keys.every((k) => k === 'label' || k === 'set') &&
    typeof r['set'] === 'object' &&
    r['set'] !== null &&
    !Array.isArray(r['set'])
  );
}

const STAGE_REF = /\$\{stage\.([^}]*)\}/g;

/** The stage names a value refers to with `${stage.<name>}` (in strings, at any depth). */
export function stageRefs(v: unknown): string[] {
  if (typeof v === 'string') return [...v.matchAll(STAGE_REF)].map((m) => m[1]!);
  if (Array.isArray(v)) return v.flatMap(stageRefs);
  if (typeof v === 'object' && v !== null) return Object.values(v).flatMap(stageRefs);
  return [];
}

/** `v` with every `${stage.<name>}` replaced by `dirs[name]` (callers check the names first). */
export function substituteStages(v: unknown, dirs: ReadonlyMap<string, string>): unknown {
  if (typeof v === 'string') return v.replace(STAGE_REF, (_, n: string) => dirs.get(n) ?? `\${stage.${n}}`);
  if (Array.isArray(v)) return v.map((x) => substituteStages(x, dirs));
  if (typeof v === 'object' && v !== null)
    return Object.fromEntries(Object.entries(v).map(([k, x]) => [k, substituteStages(x, dirs)]));
  return v;
}

/** A sweep file's overrides, written in `file` (so a relative path in a value means its folder). */
const overrideList = (a: Assignment, file: string): Override[] =>
  Object.entries(a).map(([k, value]) => ({ path: k.split('.'), value, source: file }));

const issues = (e: ConfigError) => e.issues.map(formatIssue).join('\n    ');

/** Expand a parsed sweep (its file's directory resolves `base`) into named, validated runs. */
export async function expandSweep(
  sweep: SweepConfig,
  sweepFile: string,
  opts: ExpandOptions = {},
): Promise<ExpandedSweep> {
  const base = resolve(dirname(sweepFile), sweep.base);
  const sweepDir = resolve(opts.dir ?? join('runs', 'sweeps', sweep.name));
  for (const k of Object.keys(sweep.set)) checkKey(k, `${sweepFile}: set`);
  for (const k of Object.keys(sweep.grid)) checkKey(k, `${sweepFile}: grid`);
  for (const k of sweep.seedKeys) checkKey(k, `${sweepFile}: seedKeys`);
  const explicitKeys = sweep.runs.map((r) => (isLabelled(r) ? r.set : r));
  explicitKeys.forEach((r, i) => Object.keys(r).forEach((k) => checkKey(k, `${sweepFile}: runs[${i}]`)));
  for (const [name, st] of Object.entries(sweep.stages))
    if (!st.caption) for (const k of Object.keys(st.set)) checkKey(k, `${sweepFile}: stages.${name}.set`);

  // Stage references: each names a stage declared before the place it is used (runs may use any stage).
  const stageNames = Object.keys(sweep.stages);
  const dirs = new Map(stageNames.map((n) => [n, join(sweepDir, 'stages', n)]));
  const badRef = (where: string, v: unknown, known: readonly string[]) => {
    const bad = stageRefs(v).filter((n) => !known.includes(n));
    return bad.length
      ? [
          `${where}: \${stage.${bad[0]}} names no ${known.length < stageNames.length ? 'earlier ' : ''}stage (${known.length ? `known: ${known.join(', ')}` : 'none declared before it'})`,
        ]
      : [];
  };
  const refProblems = [
    ...stageNames.flatMap((n, i) => {
      const st = sweep.stages[n]!;
      return st.caption
        ? badRef(`stages.${n}.caption`, st.caption, stageNames.slice(0, i))
        : badRef(`stages.${n}.set`, st.set, stageNames.slice(0, i));
    }),
    ...badRef('set', sweep.set, stageNames),
    ...sweep.runs.flatMap((r, i) => badRef(`runs[${i}]`, r, stageNames)),
    ...badRef('grid', sweep.grid, stageNames),
  ];
  if (refProblems.length)
    throw new SweepError(
      `${sweepFile}: bad stage references (nothing was started):\n  ${refProblems.join('\n  ')}`,
    );

  const explicit: { label?: string; keys: Assignment }[] = sweep.runs.length
    ? sweep.runs.map((r) => (isLabelled(r) ? { label: r.label, keys: r.set } : { keys: r }))
    : [{ keys: {} }];
  const points = gridPoints(sweep.grid);
  const seeds: (number | undefined)[] = sweep.seeds.length ? sweep.seeds : [undefined];
  // A labelled run is named (and tabulated) by its label, grid point and seed; its keys are only in its overrides.
  const assignments: { axes: Assignment; keys: Assignment }[] = [];
  for (const e of explicit)
    for (const p of points)
      for (const s of seeds) {
        const seed = s === undefined ? {} : { seed: s };
        const seedKeys = s === undefined ? {} : Object.fromEntries(sweep.seedKeys.map((k) => [k, s]));
        assignments.push({
          axes: e.label === undefined ? { ...e.keys, ...p, ...seed } : { label: e.label, ...p, ...seed },
          keys: { ...e.keys, ...p, ...seedKeys },
        });
      }

  // Varying keys: the label, explicit-run keys, then grid keys, then seed.
  const axes = [
    ...new Set([
      ...(explicit.some((e) => e.label !== undefined) ? ['label'] : []),
      ...explicit.filter((e) => e.label === undefined).flatMap((e) => Object.keys(e.keys)),
      ...Object.keys(sweep.grid),
      ...(sweep.seeds.length ? ['seed'] : []),
    ]),
  ];
  const names = runNames(
    assignments.map((a) => a.axes),
    axes,
    new Set(['label']),
  );

  const problems: string[] = [];
  const stages: SweepStageRun[] = [];
  for (const [name, st] of Object.entries(sweep.stages)) {
    if (st.caption) {
      // the runs' training data, as the sweep's `set` leaves it (the axes may not change it: every run shares it)
      const overrides = substituteStages(
        { ...sweep.set, name: `${sweep.name}-stage-${name}` },
        dirs,
      ) as Assignment;
      try {
        const config = await loadConfigFile(base, ExperimentConfig, overrideList(overrides, sweepFile));
        const captioner = substituteStages(st.caption.captioner, dirs) as string;
        const ds = config.data.dataset;
        if (typeof ds === 'string' && resolve(ds) === dirs.get(name))
          throw new SweepError(
            `${sweepFile}: stage ${name} would re-caption its own output: the sweep's set gives data.dataset '\${stage.${name}}'; give it in the runs that train on it`,
          );
        stages.push({
          kind: 'caption',
          name,
          captioner: resolve(dirname(sweepFile), captioner),
          dataset: config.data.dataset,
          cacheDir: config.data.cacheDir,
          batchSize: st.caption.batchSize,
          dir: dirs.get(name)!,
        });
      } catch (e) {
        if (!(e instanceof ConfigError)) throw e;
        problems.push(`stage ${name} (the data it re-captions):\n    ${issues(e)}`);
      }
      continue;
    }
    const stageBase = resolve(dirname(sweepFile), st.base ?? sweep.base);
    const overrides = substituteStages(
      { ...st.set, name: `${sweep.name}-stage-${name}` },
      dirs,
    ) as Assignment;
    try {
      const config = await loadConfigFile(stageBase, ExperimentConfig, overrideList(overrides, sweepFile));
      stages.push({ kind: 'train', name, base: stageBase, overrides, dir: dirs.get(name)!, config });
    } catch (e) {
      if (!(e instanceof ConfigError)) throw e;
      problems.push(`stage ${name}:\n    ${issues(e)}`);
    }
  }
  const runs: SweepRun[] = [];
  for (const [index, a] of assignments.entries()) {
    const name = names[index]!;
    const overrides = substituteStages(
      { ...sweep.set, ...a.keys, name: `${sweep.name}-${name}` },
      dirs,
    ) as Assignment;
    try {
      const config = await loadConfigFile(base, ExperimentConfig, overrideList(overrides, sweepFile));
      runs.push({ index, name, axes: a.axes, overrides, config });
    } catch (e) {
      if (!(e instanceof ConfigError)) throw e;
      problems.push(`run ${name}:\n    ${issues(e)}`);
    }
  }
  if (problems.length) {
    const total = assignments.length + stages.length + problems.filter((p) => p.startsWith('stage ')).length;
    throw new SweepError(
      `${sweepFile}: ${problems.length} of ${total} ${stageNames.length ? 'stages and runs' : 'runs'} are invalid (nothing was started):\n  ${problems.join('\n  ')}`,
    );
  }
  return { sweep, base, axes, stages, runs };
}

/**
 * `--set k=v …` of `vtx sweep` and `vtx ablate` (values parsed as YAML), merged over the file's `set`: every run gets
 * them (stages keep their own `set`). Paths in them are made absolute: typed, they mean the working directory, where
 * the file's own values mean the file's folder. A key the sweep varies (grid, runs, seeds), or one above or below
 * it, is a SweepError naming it: one value for every run would collapse the axis.
 */
export function withSet(sweep: SweepConfig, sets: readonly string[]): SweepConfig {
  if (!sets.length) return sweep;
  const varying = [
    ...Object.keys(sweep.grid),
    ...sweep.runs.flatMap((r) => Object.keys(isLabelled(r) ? r.set : r)),
    ...sweep.seedKeys,
    ...(sweep.seeds.length ? ['seed'] : []),
  ];
  const added: Assignment = {};
  for (const text of sets) {
    const { path, value } = parseOverride(text);
    const key = path.join('.');
    checkKey(key, '--set');
    const axis = varying.find((v) => v === key || v.startsWith(`${key}.`) || key.startsWith(`${v}.`));
    if (axis !== undefined)
      throw new SweepError(
        `--set ${key}: the sweep varies ${axis} (its grid, runs or seeds); --set gives every run one value`,
      );
    added[key] = typedPathsAbsolute(path, value); // typed here: its paths mean the working directory
  }
  return { ...sweep, set: { ...sweep.set, ...added } };
}

/** Read, validate and expand a sweep file. */
export async function loadSweep(path: string, opts: ExpandOptions = {}): Promise<ExpandedSweep> {
  const sweep = await loadConfigFile(path, SweepConfig);
  return expandSweep(sweep, path, opts);
}
