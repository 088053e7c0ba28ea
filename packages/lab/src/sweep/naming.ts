/**
 * Run names from axis values: `size-S_patch-1x4x4_seed-0`. A name is a safe directory name (letters, digits,
 * '.', '_', '-'; never '.', '..', or a path), unique within the sweep, and at most 96 characters (longer names
 * keep a readable prefix and end in a hash of the full assignment).
 */
import { createHash } from 'node:crypto';
import { isAbsolute, relative, resolve, sep } from 'node:path';
import { isRunName } from '@vtx/runs';

const MAX = 96;

/** A value as a name fragment: numbers as written, lists joined by 'x', maps as k-v pairs, the rest sanitised. */
export function formatValue(v: unknown): string {
  if (v === null || v === undefined) return 'null';
  if (Array.isArray(v)) return v.map(formatValue).join('x') || 'empty';
  if (typeof v === 'object')
    return (
      Object.entries(v as Record<string, unknown>)
        .map(([k, x]) => `${k}-${formatValue(x)}`)
        .join('_') || 'empty'
    );
  if (typeof v === 'string' || typeof v === 'number' || typeof v === 'boolean')
    return (
      String(v)
        .replace(/[^A-Za-z0-9.-]+/g, '_')
        .replace(/\.{2,}/g, '_') || 'empty'
    );
  return 'value';
}

/**
 * Short labels for the varying keys: the last path segment (`optim.lr` -> `lr`) unless two keys share it, then the
 * whole path (`model.patch` and `data.transforms.patch` -> `model.patch`, `data.transforms.patch`).
 */
export function keyLabels(keys: readonly string[]): Map<string, string> {
  const last = (k: string) => k.split('.').at(-1)!;
  const counts = new Map<string, number>();
  for (const k of keys) counts.set(last(k), (counts.get(last(k)) ?? 0) + 1);
  return new Map(
    keys.map((k) => [k, formatValue(counts.get(last(k))! > 1 ? k : last(k)).replace(/^[^A-Za-z0-9]+/, '')]),
  );
}

const hash = (s: string) => createHash('sha256').update(s).digest('hex').slice(0, 8);

/**
 * Names for a list of assignments over the varying `keys` (in that order). Keys missing from an assignment are
 * left out of its name; `bare` keys contribute their value alone (a run's label); collisions after sanitising get a
 * hash suffix.
 */
export function runNames(
  assignments: readonly Record<string, unknown>[],
  keys: readonly string[],
  bare: ReadonlySet<string> = new Set(),
): string[] {
  const labels = keyLabels(keys);
  const raw = assignments.map((a) => {
    const parts = keys
      .filter((k) => k in a)
      .map((k) => (bare.has(k) ? formatValue(a[k]) : `${labels.get(k)}-${formatValue(a[k])}`));
    let name = parts.join('_') || 'base';
    if (!/^[A-Za-z0-9]/.test(name)) name = `run-${name}`;
    if (name.length > MAX) name = `${name.slice(0, MAX - 9)}-${hash(JSON.stringify(a))}`;
    return name;
  });
  const seen = new Map<string, number>();
  for (const n of raw) seen.set(n, (seen.get(n) ?? 0) + 1);
  return raw.map((n, i) => {
    const out = seen.get(n)! > 1 ? `${n.slice(0, MAX - 9)}-${hash(JSON.stringify(assignments[i]))}` : n;
    assertSafeName(out);
    return out;
  });
}

/** Throw unless `name` is a single safe path component. */
export function assertSafeName(name: string): void {
  if (!isRunName(name) || name.length > 128)
    throw new Error(`run name '${name}' is not a safe directory name`);
}

/** `root/child`, refusing anything that would land outside `root`. */
export function insideDir(root: string, ...parts: string[]): string {
  const base = resolve(root);
  const p = resolve(base, ...parts);
  const rel = relative(base, p);
  if (rel === '' || rel.startsWith(`..${sep}`) || rel === '..' || isAbsolute(rel))
    throw new Error(`${parts.join('/')} escapes the sweep directory ${root}`);
  return p;
}
