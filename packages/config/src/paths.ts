/**
 * Path-valued keys of a config, one rule for all of them: a relative path written in a YAML file means the folder
 * of that file (the file that set the key, so a key inherited through `extends:` means the base file's folder);
 * one given on the command line (`--set`), or in a config built in code, means the working directory. After loading,
 * every such path is absolute. Written back into a file (a run's config.yaml), they are made relative to that
 * file's folder, so they resolve again under the same rule wherever the tree is moved.
 *
 * The fallback, for configs written when paths meant the working directory: a relative path that does not exist
 * beside the file but does in the working directory is read from there, with a deprecation warning naming the file,
 * its line and the key.
 */
import { existsSync } from 'node:fs';
import { dirname, isAbsolute, relative, resolve, sep } from 'node:path';
import { formatIssue } from './errors.js';
import { issueAt, type ConfigTree } from './load.js';
import { isPlainObject, originOf, type Tree } from './merge.js';
import { SET_SOURCE } from './overrides.js';

/**
 * Dotted key paths whose value, when a string (or a list of strings), is a file or directory path; `*` stands for
 * every key of a map (`stages.*.base`).
 */
export type PathKeys = readonly string[];

/** Where deprecation warnings go (stderr by default), each said once per process. */
export type Warn = (message: string) => void;
const said = new Set<string>();
const stderr: Warn = (m) => void process.stderr.write(`warning: ${m}\n`);

/** The value at a dotted path of a tree, and a copy of the tree with another value there. */
function getAt(tree: Tree, path: readonly string[]): unknown {
  let node: unknown = tree;
  for (const k of path) node = isPlainObject(node) ? node[k] : undefined;
  return node;
}
function setAt(tree: Tree, [head, ...rest]: readonly string[], value: unknown): Tree {
  if (head === undefined) return tree;
  const child = tree[head];
  return { ...tree, [head]: rest.length && isPlainObject(child) ? setAt(child, rest, value) : value };
}

/** The concrete key paths a dotted pattern names in `tree` (`*`: each key of the map there). */
function expand(tree: Tree, pattern: readonly string[], prefix: string[] = []): string[][] {
  const star = pattern.indexOf('*');
  if (star < 0) return [[...prefix, ...pattern]];
  const map = getAt(tree, [...prefix, ...pattern.slice(0, star)]);
  if (!isPlainObject(map)) return [];
  const at = [...prefix, ...pattern.slice(0, star)];
  return Object.keys(map).flatMap((k) => expand(tree, pattern.slice(star + 1), [...at, k]));
}

/** Apply `f` to each path at each key that holds a string or a list of strings; other values stay as they are. */
function mapPaths(
  value: Tree,
  keys: PathKeys,
  f: (p: string, key: string[], index?: number) => string,
): Tree {
  let out = value;
  for (const key of keys.flatMap((k) => expand(value, k.split('.')))) {
    const v = getAt(out, key);
    if (typeof v === 'string' && v.length) out = setAt(out, key, f(v, key));
    else if (Array.isArray(v) && v.every((p) => typeof p === 'string' && p.length))
      out = setAt(
        out,
        key,
        v.map((p: string, i) => f(p, key, i)),
      );
  }
  return out;
}

/**
 * Every path at `keys` made absolute by the rule above (the folder of the file that set it; `--set` and code: the
 * working directory), with the working-directory fallback and its warning.
 */
export function resolvePathKeys(
  value: Tree,
  tree: Partial<Pick<ConfigTree, 'origins' | 'docs' | 'file'>>,
  keys: PathKeys,
  warn: Warn = stderr,
): Tree {
  return mapPaths(value, keys, (p, key, index) => {
    if (isAbsolute(p)) return p;
    const from = originOf(tree.origins ?? new Map<string, string>(), key, tree.file ?? '<config>');
    if (from === SET_SOURCE || from === '<config>') return resolve(p);
    const beside = resolve(dirname(resolve(from)), p);
    if (existsSync(beside) || !existsSync(resolve(p))) return beside;
    const at = issueAt(tree, index === undefined ? key : [...key, index], '');
    const message =
      `${formatIssue({ ...at, message: `'${p}' is read from the working directory (${resolve(p)})` })}; ` +
      `a relative path in a config file now means the file's folder, where it does not exist (${beside}): ` +
      `write it relative to the file, or absolute (working-directory paths in configs are deprecated)`;
    if (!said.has(message)) {
      said.add(message);
      warn(message);
    }
    return resolve(p);
  });
}

/**
 * Every path at `keys` relative to `dir` (for a config written into `dir`, e.g. a run directory), absolute where the
 * two share no directory but the root. Relative paths in `value` mean the working directory.
 */
export function pathKeysRelativeTo(value: Tree, keys: PathKeys, dir: string): Tree {
  const from = resolve(dir);
  const depth = from.split(sep).filter(Boolean).length;
  return mapPaths(value, keys, (p) => {
    const r = relative(from, resolve(p)) || '.';
    return r.split(sep).filter((s) => s === '..').length >= depth ? resolve(p) : r;
  });
}
