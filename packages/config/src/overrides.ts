/**
 * Command-line overrides `--set a.b.c=value`. The value is parsed as YAML, so `3e-4` and `1e-3` are numbers,
 * `true` a boolean, `[1,4,4]` a list, `{a: 1}` a map, `null` null, and anything else a string; quote to force a
 * string (`--set name='"007"'`). Numeric path segments index into existing lists (`model.patch.0=2`).
 */
import YAML from 'yaml';
import { ConfigError } from './errors.js';
import { isPlainObject, joinPath, type Origins, type Tree } from './merge.js';

export const SET_SOURCE = '--set';

export interface Override {
  path: string[];
  value: unknown;
  /** The file that wrote it (a sweep file's `set`), for errors and relative paths; default `--set`. */
  source?: string;
}

const KEY = /^[A-Za-z_][A-Za-z0-9_-]*$|^\d+$/;

/** Parse one `a.b.c=value` override. */
export function parseOverride(text: string): Override {
  const eq = text.indexOf('=');
  const fail = (message: string, path = '') => new ConfigError([{ file: SET_SOURCE, path, message }]);
  if (eq < 0) throw fail(`'${text}' is not key.path=value`);
  const key = text.slice(0, eq).trim();
  const path = key.split('.');
  if (!path.every((p) => KEY.test(p)))
    throw fail(`'${key}' is not a dotted key path (letters, digits, _ and -)`, key);
  const raw = text.slice(eq + 1);
  if (raw.trim() === '') return { path, value: '' };
  try {
    return { path, value: YAML.parse(raw) as unknown };
  } catch (e) {
    throw fail(`cannot parse value '${raw}' as YAML: ${(e as Error).message.split('\n')[0]}`, key);
  }
}

/**
 * Apply overrides in order onto a copy of `tree`, recording `--set` (or the override's `source`) as their origin.
 * An override replaces the value at its path (a map value replaces the whole sub-tree; it is not merged).
 */
export function applyOverrides(
  tree: Tree,
  overrides: readonly (string | Override)[],
  origins: Origins,
): Tree {
  let out = tree;
  for (const o of overrides) {
    const { path, value, source = SET_SOURCE } = typeof o === 'string' ? parseOverride(o) : o;
    out = setAt(out, path, value, path) as Tree;
    const full = joinPath(path);
    for (const k of [...origins.keys()]) if (k.startsWith(`${full}.`)) origins.delete(k);
    for (let n = 1; n <= path.length; n++) origins.set(joinPath(path.slice(0, n)), source);
  }
  return out;
}

/** A copy of `node` with `value` at `path` (creating maps on the way; numeric segments index existing lists). */
function setAt(node: unknown, path: string[], value: unknown, full: string[]): unknown {
  const [head, ...rest] = path;
  if (head === undefined) return value;
  if (Array.isArray(node) && /^\d+$/.test(head)) {
    const i = Number(head);
    if (i >= node.length)
      throw new ConfigError([
        {
          file: SET_SOURCE,
          path: joinPath(full),
          message: `index ${i} is past the end of a list of ${node.length}`,
        },
      ]);
    const list = [...(node as unknown[])];
    list[i] = setAt(list[i], rest, value, full);
    return list;
  }
  const obj = isPlainObject(node) ? node : {};
  return { ...obj, [head]: setAt(obj[head], rest, value, full) };
}
