/**
 * The config path rule in sweep files: a relative path written in the sweep file (its `base`, a stage's `base`, a
 * path value in `set`, `runs` or `grid`) means the sweep file's folder, like a path in an experiment config; one
 * given with `vtx sweep --set` means the working directory. The plan's configs hold their paths relative to
 * themselves and load back the same from another working directory.
 */
import { copyFileSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { loadConfigFile } from '@vtx/config';
import { ExperimentConfig } from '@vtx/train';
import { afterAll, afterEach, describe, expect, it } from 'vitest';
import {
  SweepConfig,
  expandSweep,
  runConfig,
  withSet,
  writePlan,
  type SweepTrainStage,
} from '../../src/sweep/index.js';

const BASE = resolve(__dirname, '../../../../configs/sweeps/tiny-dit.base.yaml');
const root = mkdtempSync(join(tmpdir(), 'vtx-sweep-paths-'));
afterAll(() => rmSync(root, { recursive: true, force: true }));
const home = process.cwd();
afterEach(() => process.chdir(home));

describe('paths in a sweep file', () => {
  it("mean the sweep file's folder; --set paths the working directory; the plan's configs resolve anywhere", async () => {
    const folder = join(root, 'sweeps');
    const cwd = join(root, 'elsewhere');
    mkdirSync(join(folder, 'bases'), { recursive: true });
    mkdirSync(cwd);
    copyFileSync(BASE, join(folder, 'bases', 'base.yaml'));
    const file = join(folder, 'sweep.yaml');
    writeFileSync(
      file,
      'name: p\nbase: bases/base.yaml\nset: { data.dataset: data/shapes, train.steps: 2 }\n' +
        'runs:\n  - { label: a, set: { init.from: runs/a } }\n  - { label: b, set: { init.from: runs/b } }\n' +
        'stages:\n  first: { base: bases/base.yaml, set: { eval.judge.run: judges/j } }\n',
    );
    process.chdir(cwd);
    const sweep = await loadConfigFile(file, SweepConfig);
    expect(sweep.base).toBe(join(folder, 'bases', 'base.yaml')); // absolute as the file loads
    expect(sweep.stages['first']!.base).toBe(join(folder, 'bases', 'base.yaml'));
    const out = join(root, 'out');
    const ex = await expandSweep(withSet(sweep, ['eval.judge.run=my-judge']), file, { dir: out });
    expect(ex.base).toBe(join(folder, 'bases', 'base.yaml'));
    expect(ex.runs.map((r) => r.config.init?.from)).toEqual([
      join(folder, 'runs', 'a'),
      join(folder, 'runs', 'b'),
    ]);
    for (const r of ex.runs) {
      expect(r.config.data.dataset).toBe(join(folder, 'data', 'shapes'));
      expect(r.config.eval.judge?.run).toBe(join(cwd, 'my-judge')); // typed: the working directory
    }
    expect((ex.stages[0] as SweepTrainStage).config.eval.judge?.run).toBe(join(folder, 'judges', 'j'));

    await writePlan(out, file, ex);
    const written = readFileSync(runConfig(out, ex.runs[0]!.name), 'utf8');
    expect(written).toContain('dataset: ../../sweeps/data/shapes\n');
    process.chdir(root);
    for (const r of ex.runs)
      expect(await loadConfigFile(runConfig(out, r.name), ExperimentConfig)).toEqual(r.config);
  });
});
