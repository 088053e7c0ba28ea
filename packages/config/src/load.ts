/**
 * YAML experiment configs: `extends:` inheritance, `--set` overrides, zod validation with errors that name the file,
 * line and key path of every problem.
 *
 * Precedence, lowest first: schema defaults < `extends:` bases (in list order) < the file itself < `--set`.
 * `extends:` takes a path relative to the file, or a list of them; bases may extend further (cycles are errors).
 * Maps merge key by key; lists and scalars are replaced.
 */
import { promises as fs } from 'node:fs';
import { dirname, isAbsolute, relative, resolve } from 'node:path';
import YAML from 'yaml';
import type { z } from 'zod';
import { writeFileAtomic } from '@vtx/runs';
import { ConfigError, type ConfigIssue } from './errors.js';
import { isPlainObject, joinPath, mergeTrees, originOf, type Origins, type Tree } from './merge.js';
import { applyOverrides, type Override } from './overrides.js';
import { closest, keysAt } from './schema-keys.js';

interface SourceDoc {
  doc: YAML.Document.Parsed;
  lines: YAML.LineCounter;
}

/** A merged, not yet validated config tree with the provenance of every key. */
export interface ConfigTree {
  value: Tree;
  /** Dotted path -> file label (or `--set`) that last set it. */
  origins: Origins;
  /** Parsed documents by file label, for line numbers. */
  docs: Map<string, SourceDoc>;
  /** Label of the top file. */
  file: string;
}

/** How a file is named in messages: relative to the working directory when inside it. */
function label(abs: string): string {
  const rel = relative(process.cwd(), abs);
  return rel && !rel.startsWith('..') && !isAbsolute(rel) ? rel : abs;
}

/** Read a YAML config and everything it extends into one tree (no overrides, no validation). */
export async function readConfigTree(path: string): Promise<ConfigTree> {
  const docs = new Map<string, SourceDoc>();
  const { value, origins } = await readOne(resolve(path), [], docs);
  return { value, origins, docs, file: label(resolve(path)) };
}

async function readOne(
  abs: string,
  stack: string[],
  docs: Map<string, SourceDoc>,
): Promise<{ value: Tree; origins: Origins }> {
  const file = label(abs);
  const text = await fs.readFile(abs, 'utf8'); // the caller reports a missing file with the extends line
  const lines = new YAML.LineCounter();
  const doc = YAML.parseDocument(text, { lineCounter: lines, prettyErrors: true });
  if (doc.errors.length)
    throw new ConfigError(
      doc.errors.map((e): ConfigIssue => {
        const line = e.linePos?.[0].line;
        return { file, ...(line ? { line } : {}), path: '', message: e.message.split('\n')[0]! };
      }),
    );
  docs.set(file, { doc, lines });
  const js: unknown = doc.toJS() ?? {};
  if (!isPlainObject(js))
    throw new ConfigError([{ file, path: '', message: 'the top level must be a mapping of keys' }]);
  const { extends: ext, ...own } = js;
  const lineOfExtends = lineOf({ doc, lines }, ['extends']);
  const at = (message: string): ConfigIssue => ({
    file,
    ...(lineOfExtends ? { line: lineOfExtends } : {}),
    path: 'extends',
    message,
  });
  const bases = ext === undefined ? [] : Array.isArray(ext) ? ext : [ext];
  if (!bases.every((b): b is string => typeof b === 'string' && b.length > 0))
    throw new ConfigError([at('expected a file path or a list of file paths')]);

  const origins: Origins = new Map();
  let value: Tree = {};
  for (const b of bases) {
    const baseAbs = resolve(dirname(abs), b);
    const real = await fs.realpath(baseAbs).catch((e: NodeJS.ErrnoException) => {
      throw new ConfigError([at(`cannot read '${b}' (${e.code ?? e.message})`)]);
    });
    const chain = [...stack, await fs.realpath(abs)];
    if (chain.includes(real))
      throw new ConfigError([
        at(`cycle: ${[...chain.slice(chain.indexOf(real)), real].map((p) => label(p)).join(' -> ')}`),
      ]);
    const base = await readOne(baseAbs, chain, docs);
    value = mergeTrees(
      value,
      base.value,
      (p) => originOf(base.origins, p.split('.'), label(baseAbs)),
      origins,
    );
  }
  value = mergeTrees(value, own, file, origins);
  return { value, origins };
}

function lineOf(src: SourceDoc | undefined, path: readonly PropertyKey[]): number | undefined {
  if (!src) return undefined;
  for (let n = path.length; n > 0; n--) {
    const node = src.doc.getIn(path.slice(0, n) as unknown[], true) as
      { range?: [number, number, number] } | undefined;
    if (node?.range) return src.lines.linePos(node.range[0]).line;
  }
  return undefined;
}

/** An issue at a key path of a config tree, naming the file (and line) the key came from. */
export function issueAt(
  tree: Partial<Pick<ConfigTree, 'origins' | 'docs' | 'file'>>,
  path: readonly PropertyKey[],
  message: string,
): ConfigIssue {
  const file = originOf(tree.origins ?? new Map<string, string>(), path.map(String), tree.file ?? '<config>');
  const line = lineOf(tree.docs?.get(file), path);
  return { file, ...(line ? { line } : {}), path: joinPath(path.map(String)), message };
}

/** A step run on a config tree (merged, overrides applied) before it is validated; returns the tree to validate. */
export type BeforeValidation = (value: Tree, tree: ConfigTree) => Promise<Tree>;
const beforeValidation = new WeakMap<z.ZodType, BeforeValidation>();

/**
 * Run `step` on every config file `loadConfigFile` reads for `schema`, before validation: experiment configs
 * import the modules their `plugins:` list, which register model kinds the schema then accepts.
 */
export function setBeforeValidation(schema: z.ZodType, step: BeforeValidation): void {
  beforeValidation.set(schema, step);
}

/** Validate a value against a schema; on failure a `ConfigError` listing every issue with its file and line. */
export function validateConfig<S extends z.ZodType>(
  value: unknown,
  schema: S,
  tree: Partial<Pick<ConfigTree, 'origins' | 'docs' | 'file'>> = {},
): z.output<S> {
  const r = schema.safeParse(value, { reportInput: true });
  if (r.success) return r.data;
  const issues: ConfigIssue[] = [];
  for (const i of r.error.issues) {
    const paths = i.code === 'unrecognized_keys' ? i.keys.map((k) => [...i.path, k]) : [i.path];
    for (const path of paths) issues.push(issueAt(tree, path, describe(i, path, schema, value)));
  }
  throw new ConfigError(issues);
}

const show = (v: unknown) => {
  const s = JSON.stringify(v) ?? String(v);
  return s.length > 40 ? `${s.slice(0, 37)}...` : s;
};

function describe(i: z.core.$ZodIssue, path: PropertyKey[], schema: z.ZodType, root: unknown): string {
  const input = (i as { input?: unknown }).input;
  switch (i.code) {
    case 'unrecognized_keys': {
      const known = keysAt(schema, i.path, root);
      const key = String(path.at(-1));
      const hint = known && closest(key, known);
      return `unknown key${hint ? ` (did you mean '${hint}'?)` : ''}${known ? `; expected one of: ${known.join(', ')}` : ''}`;
    }
    case 'invalid_type': {
      const expected = i.expected === 'int' ? 'integer' : i.expected;
      return input === undefined
        ? `missing (expected ${expected})`
        : `expected ${expected}, got ${typeof input} ${show(input)}`;
    }
    case 'invalid_value':
      return `expected one of ${i.values.map((v) => show(v)).join(' | ')}, got ${show(input)}${didYouMean(input, i.values)}`;
    case 'invalid_union': {
      const u = i as { options?: unknown[]; discriminator?: string };
      const got =
        u.discriminator && typeof input === 'object' && input !== null
          ? (input as Record<string, unknown>)[u.discriminator]
          : input;
      if (u.options)
        return `expected one of ${u.options.map((v) => show(v)).join(' | ')}, got ${show(got)}${didYouMean(got, u.options)}`;
      return `${i.message}, got ${show(input)}`;
    }
    case 'custom': // a check across keys reports on the object that holds them: its message says it all
      return input === undefined || typeof input === 'object'
        ? i.message
        : `${i.message}, got ${show(input)}`;
    case 'invalid_element':
    case 'invalid_format':
    case 'invalid_key':
    case 'not_multiple_of':
    case 'too_big':
    case 'too_small':
      return input === undefined ? i.message : `${i.message}, got ${show(input)}`;
  }
}

/** ' (did you mean "x"?)' when a string is a likely typo of one of the allowed values; else ''. */
function didYouMean(got: unknown, allowed: readonly unknown[]): string {
  const words = allowed.filter((v): v is string => typeof v === 'string');
  const hint = typeof got === 'string' && words.length ? closest(got, words) : undefined;
  return hint ? ` (did you mean ${show(hint)}?)` : '';
}

/**
 * Load a YAML config file: resolve `extends:`, apply `--set` overrides (`a.b.c=value`), validate with `schema`
 * (which fills defaults). Throws `ConfigError` with every problem; I/O errors on the top file as well.
 */
export async function loadConfigFile<S extends z.ZodType>(
  path: string,
  schema: S,
  overrides: readonly (string | Override)[] = [],
): Promise<z.output<S>> {
  let tree: ConfigTree;
  try {
    tree = await readConfigTree(path);
  } catch (e) {
    if (e instanceof ConfigError) throw e;
    throw new ConfigError([
      {
        file: label(resolve(path)),
        path: '',
        message: `cannot read (${(e as NodeJS.ErrnoException).code ?? (e as Error).message})`,
      },
    ]);
  }
  const value = applyOverrides(tree.value, overrides, tree.origins);
  const step = beforeValidation.get(schema);
  return validateConfig(step ? await step(value, tree) : value, schema, tree);
}

/** The fully resolved config as YAML, for `<run>/config.yaml` (reloadable: no `extends:`, every default filled). */
export function resolvedConfigYaml(
  config: unknown,
  header = 'Fully resolved config written by vtx (defaults, extends and --set applied).',
): string {
  return `# ${header}\n${YAML.stringify(config, { aliasDuplicateObjects: false, lineWidth: 0 })}`;
}

/** Write the resolved config atomically. */
export async function writeResolvedConfig(path: string, config: unknown): Promise<void> {
  await writeFileAtomic(path, resolvedConfigYaml(config));
}
