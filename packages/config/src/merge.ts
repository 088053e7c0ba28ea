/**
 * Deep merge of config trees with provenance: plain objects merge key by key, anything else (scalars, lists) is
 * replaced; the later source wins. A map whose `kind` differs from the base map's `kind` replaces it whole (a
 * different branch of a discriminated union shares no keys with the old one). `origins` remembers which source last set each dotted path, so a validation
 * error can name the file that holds the bad key.
 */
export type Tree = Record<string, unknown>;

/** Dotted path -> source label (file path or `--set`). */
export type Origins = Map<string, string>;

export function isPlainObject(v: unknown): v is Tree {
  return (
    typeof v === 'object' && v !== null && !Array.isArray(v) && Object.getPrototypeOf(v) === Object.prototype
  );
}

export function joinPath(path: readonly (string | number)[]): string {
  return path.map(String).join('.');
}

/**
 * Merge `over` into a copy of `base`, recording the source of every path `over` sets: `source` is a label, or a
 * function of the dotted path (when `over` is itself a merge of several files).
 */
export function mergeTrees(
  base: Tree,
  over: Tree,
  source: string | ((path: string) => string),
  origins: Origins,
  prefix: string[] = [],
): Tree {
  const out: Tree = { ...base };
  for (const [k, v] of Object.entries(over)) {
    const path = [...prefix, k];
    origins.set(joinPath(path), typeof source === 'string' ? source : source(joinPath(path)));
    const prev = out[k];
    const merge =
      isPlainObject(prev) && isPlainObject(v) && !('kind' in v && 'kind' in prev && v.kind !== prev.kind);
    out[k] = merge ? mergeTrees(prev, v, source, origins, path) : clone(v, source, origins, path);
  }
  return out;
}

function clone(
  v: unknown,
  source: string | ((path: string) => string),
  origins: Origins,
  path: string[],
): unknown {
  if (!isPlainObject(v)) return v;
  for (const key of [...origins.keys()]) if (key.startsWith(`${joinPath(path)}.`)) origins.delete(key);
  return mergeTrees({}, v, source, origins, path);
}

/** The source of the deepest recorded prefix of `path`, or `fallback`. */
export function originOf(origins: Origins, path: readonly (string | number)[], fallback: string): string {
  for (let n = path.length; n > 0; n--) {
    const o = origins.get(joinPath(path.slice(0, n)));
    if (o !== undefined) return o;
  }
  return fallback;
}
