/**
 * The config path rule (@vtx/config's src/paths.ts): a relative path written in a YAML file means that file's folder (a key
 * inherited through `extends:` the base file's); `--set` and configs built in code mean the working directory; a
 * path that exists only in the working directory is still read from there, with a warning naming the file, line
 * and key; a run's config.yaml holds its paths relative to itself, so it loads the same from any working directory.
 * Every test works from a working directory other than the configs' folder (process.chdir into a temporary one).
 */
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { loadConfigFile, resolvePathKeys, writeResolvedConfig } from '@vtx/config';
import { experimentPathsRelativeTo } from '../../src/experiment-paths.js';
import { ExperimentConfig } from '../../src/index.js';

const root = mkdtempSync(join(tmpdir(), 'vtx-config-paths-'));
afterAll(() => rmSync(root, { recursive: true, force: true }));
const home = process.cwd();
let n = 0;
/** A fresh project folder with `cfgs/` and a separate working directory `elsewhere/`, which the test runs in. */
function project(): { cfgs: string; cwd: string } {
  const dir = join(root, `p${n++}`);
  mkdirSync(join(dir, 'cfgs', 'base'), { recursive: true });
  mkdirSync(join(dir, 'elsewhere'), { recursive: true });
  return { cfgs: join(dir, 'cfgs'), cwd: join(dir, 'elsewhere') };
}
const model = 'model: { kind: vit, size: Ti, depth: 1, width: 16, heads: 2, patch: 8, numClasses: 4 }\n';

let err = '';
beforeEach(() => {
  err = '';
  vi.spyOn(process.stderr, 'write').mockImplementation((s) => ((err += String(s)), true));
});
afterEach(() => {
  vi.restoreAllMocks();
  process.chdir(home);
});

describe('config paths', () => {
  it("a path written in a file means that file's folder; one inherited through extends, the base's", async () => {
    const { cfgs, cwd } = project();
    writeFileSync(
      join(cfgs, 'base', 'base.yaml'),
      `${model}data: { dataset: shapes, cacheDir: cache }\ninit: { from: ../runs/vit }\n`,
    );
    writeFileSync(
      join(cfgs, 'x.yaml'),
      'extends: base/base.yaml\nname: x\neval:\n  judge: { run: judges/j }\n  data: { dataset: held-out }\n' +
        'plugins: []\n',
    );
    process.chdir(cwd);
    const cfg = await loadConfigFile(join(cfgs, 'x.yaml'), ExperimentConfig);
    expect(cfg.data.dataset).toBe(join(cfgs, 'base', 'shapes'));
    expect(cfg.data.cacheDir).toBe(join(cfgs, 'base', 'cache'));
    expect(cfg.init?.from).toBe(join(cfgs, 'runs', 'vit'));
    expect(cfg.eval.judge?.run).toBe(join(cfgs, 'judges', 'j'));
    expect(cfg.eval.data['dataset']).toBe(join(cfgs, 'held-out'));
    expect(err).toBe('');
  });

  it('a --set path means the working directory; a built-in spec and a default are left alone', async () => {
    const { cfgs, cwd } = project();
    writeFileSync(join(cfgs, 'x.yaml'), `name: x\n${model}data: { dataset: shapes }\n`);
    process.chdir(cwd);
    const set = await loadConfigFile(join(cfgs, 'x.yaml'), ExperimentConfig, ['data.dataset=mine']);
    expect(set.data.dataset).toBe(join(cwd, 'mine'));
    const spec = await loadConfigFile(join(cfgs, 'x.yaml'), ExperimentConfig, [
      'data.dataset={kind: synthetic, count: 8}',
    ]);
    expect(spec.data.dataset).toMatchObject({ kind: 'synthetic', count: 8 });
    expect(spec.data.cacheDir).toBe(ExperimentConfig.parse({ name: 'x', model: spec.model }).data.cacheDir);
  });

  it('falls back to a path that exists only in the working directory, warning with the file, line and key', async () => {
    const { cfgs, cwd } = project();
    writeFileSync(
      join(cfgs, 'old.yaml'),
      `name: old\n${model}data:\n  batchSize: 4\n  dataset: data/shapes\n`,
    );
    mkdirSync(join(cwd, 'data', 'shapes'), { recursive: true });
    process.chdir(cwd);
    const cfg = await loadConfigFile(join(cfgs, 'old.yaml'), ExperimentConfig);
    expect(cfg.data.dataset).toBe(join(cwd, 'data', 'shapes'));
    expect(err).toContain(
      `warning: ${join(cfgs, 'old.yaml')}:5: data.dataset: 'data/shapes' is read from the`,
    );
    expect(err).toContain(`does not exist (${join(cfgs, 'data', 'shapes')})`);
    expect(err).toContain('deprecated');

    // once the folder exists beside the file too, the file's folder wins, with no warning
    mkdirSync(join(cfgs, 'data', 'shapes'), { recursive: true });
    err = '';
    const now = await loadConfigFile(join(cfgs, 'old.yaml'), ExperimentConfig);
    expect(now.data.dataset).toBe(join(cfgs, 'data', 'shapes'));
    expect(err).toBe('');
  });

  it('the fallback covers every path key and each element of a list, each warned once', () => {
    const { cfgs, cwd } = project();
    mkdirSync(join(cwd, 'a'));
    mkdirSync(join(cwd, 'b'));
    process.chdir(cwd);
    const file = join(cfgs, 'x.yaml');
    const origins = new Map([
      ['init', file],
      ['init.from', file],
      ['plugins', file],
    ]);
    const warnings: string[] = [];
    const tree = { init: { from: 'a' }, plugins: ['b', 'c'] };
    for (let i = 0; i < 2; i++) {
      const out = resolvePathKeys(tree, { origins, file }, ['init.from', 'plugins'], (m) => warnings.push(m));
      expect(out).toEqual({ init: { from: join(cwd, 'a') }, plugins: [join(cwd, 'b'), join(cfgs, 'c')] });
    }
    expect(warnings).toHaveLength(2);
    expect(warnings[0]).toMatch(/: init\.from: 'a' is read from the working directory/);
    expect(warnings[1]).toMatch(/: plugins\.0: 'b' is read from the working directory/);
  });

  it("a run's config.yaml holds its paths relative to itself and loads the same from another directory", async () => {
    const { cfgs, cwd } = project();
    writeFileSync(join(cfgs, 'x.yaml'), `name: x\n${model}data: { dataset: shapes, cacheDir: /abs/cache }\n`);
    process.chdir(cwd);
    const cfg = await loadConfigFile(join(cfgs, 'x.yaml'), ExperimentConfig, ['init.from=runs/vit']);
    const run = join(cfgs, '..', 'runs', 'x');
    mkdirSync(run, { recursive: true });
    await writeResolvedConfig(join(run, 'config.yaml'), experimentPathsRelativeTo(cfg, run));
    const text = readFileSync(join(run, 'config.yaml'), 'utf8');
    expect(text).toContain('dataset: ../../cfgs/shapes\n');
    expect(text).toContain('from: ../../elsewhere/runs/vit\n');
    expect(text).toContain('cacheDir: /abs/cache\n'); // shares only the root with the run: stays absolute

    process.chdir(root);
    const again = await loadConfigFile(join(run, 'config.yaml'), ExperimentConfig);
    expect(again.data.dataset).toBe(join(cfgs, 'shapes'));
    expect(again.init?.from).toBe(join(cwd, 'runs', 'vit'));
    expect(again).toEqual(cfg);
    expect(err).toBe('');
  });
});
