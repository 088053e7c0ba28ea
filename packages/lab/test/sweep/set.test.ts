/**
 * `vtx sweep --set` / `vtx ablate --set` (`withSet`): every run of the sweep gets the override, after the file's
 * own `set`, in its validated config and in the config file the launcher runs; stages keep theirs; a key the sweep
 * varies (or one above or below it) is an error naming it, and a bad override is a config error.
 */
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { ExperimentConfig } from '@vtx/train';
import { ConfigError, loadConfigFile } from '@vtx/config';
import { describe, expect, it } from 'vitest';
import {
  SweepConfig,
  SweepError,
  expandSweep,
  runConfig,
  withSet,
  writePlan,
  type SweepTrainStage,
} from '../../src/sweep/index.js';

const BASE = resolve(__dirname, '../../../../configs/sweeps/tiny-dit.base.yaml');

async function sweep(body: string): Promise<{ file: string; cfg: SweepConfig; dir: string }> {
  const dir = mkdtempSync(join(tmpdir(), 'vtx-sweep-set-'));
  const file = join(dir, 'sweep.yaml');
  writeFileSync(file, `base: ${BASE}\n${body}`);
  return { file, cfg: await loadConfigFile(file, SweepConfig), dir };
}

const BODY = `name: s
set: { train.steps: 40, train.logEvery: 5 }
runs:
  - { label: a, set: { model.attention: joint } }
  - { label: b, set: { model.attention: factorised } }
grid:
  optim.lr: [1.0e-3, 3.0e-3]
seeds: [0, 1]
stages:
  first: { set: { train.steps: 7 } }
`;

describe('--set for sweeps', () => {
  it("reaches every run after the file's set, in the config the launcher runs; stages keep their own", async () => {
    const { file, cfg, dir } = await sweep(BODY);
    const out = join(dir, 'out');
    const ex = await expandSweep(withSet(cfg, ['train.steps=3', 'data.batchSize=2']), file, { dir: out });
    expect(ex.runs).toHaveLength(2 * 2 * 2);
    for (const r of ex.runs) {
      expect(r.config.train.steps).toBe(3); // the file said 40
      expect(r.config.train.logEvery).toBe(5); // the file's other keys stay
      expect(r.config.data.batchSize).toBe(2);
    }
    expect(new Set(ex.runs.map((r) => r.config.optim.lr))).toEqual(new Set([1e-3, 3e-3])); // the axes still vary
    expect((ex.stages[0] as SweepTrainStage).config).toMatchObject({ train: { steps: 7 } });
    await writePlan(out, file, ex);
    for (const r of ex.runs) {
      const written = await loadConfigFile(runConfig(out, r.name), ExperimentConfig);
      expect(written.train.steps).toBe(3);
    }
    const plan = JSON.parse(readFileSync(join(out, 'sweep.json'), 'utf8')) as { sweep: SweepConfig };
    expect(plan.sweep.set).toMatchObject({ 'train.steps': 3, 'data.batchSize': 2 });
  });

  it('a key the sweep varies, or one above or below it, is an error naming it; a bad value a config error', async () => {
    const { cfg } = await sweep(BODY);
    expect(() => withSet(cfg, ['optim.lr=1'])).toThrow(SweepError);
    expect(() => withSet(cfg, ['optim.lr=1'])).toThrow(/--set optim\.lr: the sweep varies optim\.lr/);
    expect(() => withSet(cfg, ['optim={kind: sgd}'])).toThrow(/--set optim: the sweep varies optim\.lr/);
    expect(() => withSet(cfg, ['model.attention=joint'])).toThrow(/varies model\.attention/);
    expect(() => withSet(cfg, ['seed=3'])).toThrow(/varies seed/);
    expect(() => withSet(cfg, ['name=x'])).toThrow(/'name' is set by the sweep/);
    expect(() => withSet(cfg, ['train.steps'])).toThrow(ConfigError);
    expect(withSet(cfg, [])).toBe(cfg);
  });
});
