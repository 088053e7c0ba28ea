/**
 * Model plugins: modules that add model kinds to the zoo with `registerModel` (@vtx/models), imported before a
 * config is validated so that `model: { kind: <theirs> }` is accepted. An experiment lists them at the top level,
 *
 *   plugins: [./my-model.ts]     # relative to the YAML file that lists them
 *
 * and `vtx train|eval|info|predict --plugin FILE` adds more (relative to the working directory). After loading,
 * `plugins` holds absolute paths (@vtx/config's paths.ts); the run directory's config.yaml holds them relative to
 * itself, so `vtx train --resume` and `vtx eval` import them again. TypeScript plugins need a TypeScript-aware Node
 * (`pnpm vtx` runs `node --import tsx`); compiled `.js` / `.mjs` plugins work anywhere. A plugin may live anywhere:
 * it shares vtx's packages and loads as an ES module (HOOKS below).
 */
import { promises as fs } from 'node:fs';
import { register } from 'node:module';
import { resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { ConfigError, issueAt, resolvePathKeys, type ConfigTree, type Tree } from '@vtx/config';

/**
 * Module hooks (node:module `register`) for plugins outside vtx's tree: a bare specifier a plugin file imports
 * (`@vtx/models`, `@tensorflow/tfjs-layers`, `zod`) resolves as vtx's own modules resolve it, so the plugin registers
 * into the one model registry vtx reads and shares its tfjs engine (vtx's resolution first; the plugin's own
 * node_modules for what vtx lacks); and the plugin's own files load as ES modules whatever the nearest package.json
 * says (without `"type": "module"` a `.ts` file would load as CommonJS, through a second copy of the packages). Files
 * under vtx's root or in any node_modules resolve as usual. Source text: hooks run on Node's loader thread.
 */
const HOOKS = `
import { isBuiltin } from 'node:module';
let vtx, root;
export function initialize(data) { vtx = data.vtx; root = data.root; }
const own = (url) => url.startsWith('file:') && !url.startsWith(root) && !url.includes('/node_modules/');
const bare = (s) => !/^([./]|[a-zA-Z][a-zA-Z0-9+.-]*:|#)/.test(s) && !isBuiltin(s);
export async function resolve(specifier, context, next) {
  if (context.parentURL && own(context.parentURL) && bare(specifier)) {
    try {
      return await next(specifier, { ...context, parentURL: vtx });
    } catch {}
  }
  const r = await next(specifier, context);
  return own(r.url) && r.format === 'commonjs' && /\\.[cm]?[jt]sx?$/.test(r.url) && !/\\.c[jt]s$/.test(r.url)
    ? { ...r, format: 'module' }
    : r;
}
`;

let hooked = false;

/** Install HOOKS once per process, before the first plugin is imported. */
function sharePackages(): void {
  if (hooked) return;
  hooked = true;
  register(`data:text/javascript,${encodeURIComponent(HOOKS)}`, {
    data: { vtx: import.meta.url, root: new URL('../../../', import.meta.url).href },
  });
}

/** Why a plugin module could not be imported, or undefined when it was (Node caches modules: once per process). */
async function importModule(file: string): Promise<string | undefined> {
  sharePackages();
  try {
    const st = await fs.stat(file);
    if (!st.isFile()) return 'not a file';
  } catch (e) {
    return `cannot read (${(e as NodeJS.ErrnoException).code ?? (e as Error).message})`;
  }
  try {
    await import(pathToFileURL(file).href);
    return undefined;
  } catch (e) {
    const err = e as NodeJS.ErrnoException;
    const hint =
      err.code === 'ERR_UNKNOWN_FILE_EXTENSION'
        ? ' (a TypeScript plugin needs node --import tsx, as `pnpm vtx` runs it; or compile it to .js)'
        : '';
    return `failed to load: ${err.message.split('\n')[0]}${hint}`;
  }
}

/**
 * Import plugin files given on the command line (`--plugin`, relative to the working directory); returns their
 * absolute paths. A missing file or a module that throws is a ConfigError naming the flag and the path.
 */
export async function importPlugins(paths: readonly string[], source = '--plugin'): Promise<string[]> {
  const abs: string[] = [];
  for (const p of paths) {
    const file = resolve(p);
    const why = await importModule(file);
    if (why) throw new ConfigError([{ file: source, path: '', message: `'${p}': ${why}` }]);
    abs.push(file);
  }
  return abs;
}

/**
 * The `plugins:` of a config tree imported, and their paths made absolute by the config path rule
 * (@vtx/config's paths.ts: the YAML file that set the key; `--set` and programmatic configs: the working directory). A
 * malformed list is left for the schema to report. Errors name the file, line and key (`plugins.0`) and the path
 * as written.
 */
export async function importConfigPlugins(
  value: Tree,
  tree: Partial<Pick<ConfigTree, 'origins' | 'docs' | 'file'>> = {},
): Promise<Tree> {
  const list = value['plugins'];
  if (!Array.isArray(list) || !list.every((p): p is string => typeof p === 'string' && p.length > 0))
    return value;
  const abs = resolvePathKeys({ plugins: list }, tree, ['plugins'])['plugins'] as string[];
  const issues = [];
  for (const [i, file] of abs.entries()) {
    const why = await importModule(file);
    if (why) issues.push(issueAt(tree, ['plugins', i], `plugin '${list[i]}' ${why}`));
  }
  if (issues.length) throw new ConfigError(issues);
  return { ...value, plugins: abs };
}

/** Add `extra` (absolute paths, e.g. from --plugin) to a loaded config's plugins, without duplicates. */
export function withPlugins<C extends { plugins?: string[] | undefined }>(
  cfg: C,
  extra: readonly string[],
): C {
  if (!extra.length) return cfg;
  return { ...cfg, plugins: [...new Set([...(cfg.plugins ?? []), ...extra])] };
}
