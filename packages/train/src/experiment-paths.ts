/**
 * The experiment config's path-valued keys, resolved by the one rule of @vtx/config's paths.ts: relative to the YAML file
 * that set the key (`--set` and configs built in code: the working directory), absolute once loaded, and relative to
 * the run directory in its config.yaml.
 */
import { pathKeysRelativeTo, resolvePathKeys, type ConfigTree, type PathKeys, type Tree } from '@vtx/config';
import { importConfigPlugins } from './plugins.js';

/** Every key of `ExperimentConfig` (./experiment.ts, @vtx/data's DataConfig) whose value names a file or folder. */
export const EXPERIMENT_PATH_KEYS: PathKeys = [
  'plugins', // resolved by importConfigPlugins, which imports them
  'data.dataset', // a string is a dataset directory (a map is a built-in spec)
  'data.cacheDir',
  'eval.data.dataset',
  'eval.data.cacheDir',
  'init.from',
  'eval.judge.run',
];

type Provenance = Partial<Pick<ConfigTree, 'origins' | 'docs' | 'file'>>;

/** Every path key but `plugins` made absolute (nothing imported: what reading a run's data needs). */
export function resolveExperimentPathKeys(value: Tree, tree: Provenance = {}): Tree {
  return resolvePathKeys(
    value,
    tree,
    EXPERIMENT_PATH_KEYS.filter((k) => k !== 'plugins'),
  );
}

/** The step before an experiment YAML is validated: paths made absolute, then `plugins:` imported. */
export async function resolveExperimentPaths(value: Tree, tree: Provenance = {}): Promise<Tree> {
  return importConfigPlugins(resolveExperimentPathKeys(value, tree), tree);
}

/** A config with its paths relative to `dir`, for the config.yaml written there (absolute across the root only). */
export function experimentPathsRelativeTo<C extends object>(cfg: C, dir: string): C {
  return pathKeysRelativeTo(cfg as Tree, EXPERIMENT_PATH_KEYS, dir) as C;
}

/**
 * A command-line override's value with its paths absolute (the working directory): for `--set` carried into a file
 * whose own values mean that file's folder (a sweep's `set`).
 */
export function typedPathsAbsolute(path: readonly string[], value: unknown): unknown {
  const tree = path.reduceRight<unknown>((v, k) => ({ [k]: v }), value) as Tree;
  const out = resolvePathKeys(tree, {}, EXPERIMENT_PATH_KEYS);
  return path.reduce<unknown>((node, k) => (node as Tree)[k], out);
}
