/**
 * Dependencies point one way (layers.json at the repository root): each package.json names only the @vtx packages its
 * layer allows, each source file imports only those (and yargs only in @vtx/cli), and the package graph has no
 * cycle. Reads the tree; builds nothing.
 */
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';

const packagesDir = new URL('../../', import.meta.url).pathname;
const table = JSON.parse(readFileSync(new URL('../../../layers.json', import.meta.url), 'utf8')) as {
  layers: Record<string, string[]>;
  onlyIn: Record<string, string[]>;
};
const { layers, onlyIn } = table;

interface Manifest {
  name: string;
  dependencies?: Record<string, string>;
  optionalDependencies?: Record<string, string>;
}
const manifest = (pkg: string) =>
  JSON.parse(readFileSync(join(packagesDir, pkg, 'package.json'), 'utf8')) as Manifest;
const vtxDeps = (m: Manifest) =>
  Object.keys({ ...m.dependencies, ...m.optionalDependencies })
    .filter((d) => d.startsWith('@vtx/'))
    .map((d) => d.slice('@vtx/'.length));

function sources(dir: string): string[] {
  return readdirSync(dir).flatMap((e) => {
    const p = join(dir, e);
    return statSync(p).isDirectory() ? sources(p) : /\.tsx?$/.test(e) ? [p] : [];
  });
}
/** Bare specifiers a file imports (static, re-exports and dynamic). */
const importsOf = (file: string) =>
  [...readFileSync(file, 'utf8').matchAll(/(?:from\s+|import\s*\(\s*|^import\s+)'([^'.][^']*)'/gm)].map(
    (m) => m[1]!,
  );
const packageOf = (spec: string) =>
  spec
    .split('/')
    .slice(0, spec.startsWith('@') ? 2 : 1)
    .join('/');

describe('package layers', () => {
  const dirs = readdirSync(packagesDir).filter((d) => {
    try {
      return statSync(join(packagesDir, d, 'package.json')).isFile();
    } catch {
      return false;
    }
  });

  it('every package is in the layer table, under its own name', () => {
    expect([...dirs].sort()).toEqual(Object.keys(layers).sort());
    for (const d of dirs) expect(manifest(d).name).toBe(`@vtx/${d}`);
  });

  it.each(Object.keys(layers))('@vtx/%s: package.json depends only on the layers below it', (pkg) => {
    const extra = vtxDeps(manifest(pkg)).filter((d) => !layers[pkg]!.includes(d));
    expect(extra, `@vtx/${pkg} may depend on ${layers[pkg]!.join(', ')}`).toEqual([]);
  });

  it.each(Object.keys(layers))(
    '@vtx/%s: its sources import only what its layer and package.json allow',
    (pkg) => {
      const declared = new Set(vtxDeps(manifest(pkg)));
      const bad: string[] = [];
      for (const file of sources(join(packagesDir, pkg, 'src'))) {
        for (const spec of importsOf(file)) {
          const name = packageOf(spec);
          const where = `${file.slice(packagesDir.length)} imports ${spec}`;
          if (name.startsWith('@vtx/')) {
            const dep = name.slice('@vtx/'.length);
            if (dep !== pkg && !(layers[pkg]!.includes(dep) && declared.has(dep))) bad.push(where);
          }
          for (const [lib, allowed] of Object.entries(onlyIn)) {
            const hit = lib.endsWith('/*') ? name.startsWith(lib.slice(0, -1)) : name === lib;
            if (hit && !allowed.includes(pkg)) bad.push(where);
          }
        }
      }
      expect(bad).toEqual([]);
    },
  );

  it('the package graph (package.json dependencies) has no cycle', () => {
    const state = new Map<string, 'open' | 'done'>();
    const cycles: string[] = [];
    const visit = (pkg: string, path: string[]) => {
      if (state.get(pkg) === 'done') return;
      if (state.get(pkg) === 'open') {
        cycles.push([...path.slice(path.indexOf(pkg)), pkg].join(' -> '));
        return;
      }
      state.set(pkg, 'open');
      for (const d of vtxDeps(manifest(pkg))) visit(d, [...path, pkg]);
      state.set(pkg, 'done');
    };
    for (const d of dirs) visit(d, []);
    expect(cycles).toEqual([]);
  });

  it('the checks can fail: a cycle and an upward import are caught', () => {
    // an independent reading of the table: each allowed dependency sits strictly lower in a topological order
    const order: string[] = [];
    const place = (p: string) => {
      if (order.includes(p)) return;
      layers[p]!.forEach(place);
      order.push(p);
    };
    Object.keys(layers).forEach(place);
    for (const [pkg, deps] of Object.entries(layers))
      for (const d of deps) expect(order.indexOf(d)).toBeLessThan(order.indexOf(pkg));
    expect(layers['train']).not.toContain('eval');
    expect(importsOf(join(packagesDir, 'cli', 'src', 'cli.ts'))).toContain('yargs');
  });
});
