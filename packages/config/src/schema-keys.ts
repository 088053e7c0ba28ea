/**
 * Best-effort introspection of a zod 4 schema for error messages: which keys the object at a path accepts, so an
 * unknown key can be answered with "did you mean 'lr'?". Unwraps defaults, optionals, pipes and preprocess steps, follows a
 * discriminated union to the branch the value selects, and asks a schema with a `schemaFor(value)` method (the
 * model zoo's `ModelConfig`, whose kinds are registered at run time) which schema checks the value.
 */
import type { z } from 'zod';

interface Def {
  type: string;
  innerType?: z.ZodType;
  in?: z.ZodType;
  out?: z.ZodType;
  getter?: () => z.ZodType;
  shape?: Record<string, z.ZodType>;
  element?: z.ZodType;
  valueType?: z.ZodType;
  options?: z.ZodType[];
  discriminator?: string;
  values?: unknown[];
}

const defOf = (s: z.ZodType): Def => (s as unknown as { _zod: { def: Def } })._zod.def;

type Dynamic = z.ZodType & { schemaFor: (value: unknown) => z.ZodType | undefined };
const isDynamic = (s: z.ZodType): s is Dynamic => typeof (s as Partial<Dynamic>).schemaFor === 'function';

function unwrap(s: z.ZodType): z.ZodType {
  for (let i = 0; i < 32; i++) {
    if (isDynamic(s)) break;
    const d = defOf(s);
    if (d.innerType) s = d.innerType;
    else if (d.type === 'pipe' && d.in)
      s = defOf(d.in).type === 'transform' && d.out ? d.out : d.in; // z.preprocess: the schema after the step
    else if (d.type === 'lazy' && d.getter) s = d.getter();
    else break;
  }
  return s;
}

/** For a union, the one branch the value's discriminator selects (or the only object branch); else undefined. */
function branch(s: z.ZodType, value: unknown): z.ZodType | undefined {
  if (isDynamic(s)) {
    const picked = s.schemaFor(value);
    return picked && branch(unwrap(picked), value);
  }
  const d = defOf(s);
  if (d.type !== 'union') return s;
  const disc = d.discriminator;
  if (!disc || typeof value !== 'object' || value === null) return undefined;
  const v = (value as Record<string, unknown>)[disc];
  const hits = (d.options ?? []).map(unwrap).filter((o) => {
    const lit = defOf(o).shape?.[disc];
    return lit !== undefined && (defOf(unwrap(lit)).values ?? []).includes(v);
  });
  return hits.length === 1 ? hits[0] : undefined;
}

/** The keys the object schema at `path` accepts, given the value being validated; undefined if unknown. */
export function keysAt(
  schema: z.ZodType,
  path: readonly PropertyKey[],
  value: unknown,
): string[] | undefined {
  let node: z.ZodType | undefined = schema;
  let v = value;
  for (const seg of path) {
    node = branch(unwrap(node), v);
    if (!node) return undefined;
    const d = defOf(node);
    if (d.type === 'object') node = d.shape?.[String(seg)];
    else if (d.type === 'array') node = d.element;
    else if (d.type === 'record') node = d.valueType;
    else return undefined;
    if (!node) return undefined;
    v = typeof v === 'object' && v !== null ? (v as Record<PropertyKey, unknown>)[seg] : undefined;
  }
  node = branch(unwrap(node), v);
  const shape = node && defOf(node).type === 'object' ? defOf(node).shape : undefined;
  return shape ? Object.keys(shape) : undefined;
}

/** The closest candidate by edit distance, if close enough to be a likely typo. */
export function closest(word: string, candidates: readonly string[]): string | undefined {
  let best: string | undefined;
  let bestD = Infinity;
  for (const c of candidates) {
    const d = editDistance(word.toLowerCase(), c.toLowerCase());
    if (d < bestD) [best, bestD] = [c, d];
  }
  return bestD <= Math.max(2, Math.floor(word.length / 3)) ? best : undefined;
}

function editDistance(a: string, b: string): number {
  let prev = Array.from({ length: b.length + 1 }, (_, j) => j);
  for (let i = 1; i <= a.length; i++) {
    const cur = [i];
    for (let j = 1; j <= b.length; j++)
      cur[j] = Math.min(prev[j]! + 1, cur[j - 1]! + 1, prev[j - 1]! + (a[i - 1] === b[j - 1] ? 0 : 1));
    prev = cur;
  }
  return prev[b.length]!;
}
