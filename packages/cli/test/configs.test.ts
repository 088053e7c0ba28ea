/** Every shipped config validates (extends resolved, no unknown keys) and `vtx info` can describe its model. */
import { readdirSync, statSync } from 'node:fs';
import { join, relative } from 'node:path';
import { makeProcess, modelCost } from '@vtx/models';
import { describe, expect, it } from 'vitest';
import { experimentWarnings, ExperimentConfig } from '@vtx/train';
import { loadConfigFile } from '@vtx/config';
import { experimentClip } from '../src/commands/common.js';

const root = new URL('../../../configs/', import.meta.url).pathname;
// configs/sora holds pipeline steps of several schemas (judge, captioner) and runs on data built by earlier steps;
// packages/train/test/sora/configs.test.ts validates them; configs/judges are judge runs (below)
const isExperiment = (p: string) =>
  !p.includes(`${root}sweeps`) &&
  !p.includes(`${root}ablations`) &&
  !p.includes(`${root}sora`) &&
  !p.includes(`${root}judges`) &&
  !p.endsWith('base.yaml');

function yamlFiles(dir: string): string[] {
  return readdirSync(dir).flatMap((f) => {
    const p = join(dir, f);
    return statSync(p).isDirectory() ? yamlFiles(p) : p.endsWith('.yaml') ? [p] : [];
  });
}

describe('shipped configs', () => {
  const files = yamlFiles(root).filter(isExperiment);
  it('include a config for every zoo family and the paper sizes', () => {
    const names = files.map((f) => relative(root, f));
    for (const n of [
      'default.yaml',
      'vit-tiny.yaml',
      'dit-tiny.yaml',
      'unet-tiny.yaml',
      'video-dit-mnist.yaml',
      'vivit/factorised-encoder.yaml',
      'paper/dit-xl2-256.yaml',
    ]) {
      expect(names).toContain(n);
    }
  });

  it.each(files.map((f) => [relative(root, f), f]))(
    '%s validates, warns of nothing and has a describable model',
    async (_, file) => {
      const cfg = await loadConfigFile(file, ExperimentConfig);
      expect(experimentWarnings(cfg), 'a shipped config starts its run without warnings').toEqual([]);
      const clip = experimentClip(cfg);
      expect(clip, 'the clip size is known before the data is opened').toBeDefined();
      const cost = modelCost(cfg.model, clip!, makeProcess(cfg.diffusion));
      expect(cost.params).toBeGreaterThan(0);
      expect(cost.gflops).toBeGreaterThan(0);
    },
  );
});

describe('shipped judge configs', () => {
  // each judge reads the clips of the config it judges: an attribute classifier run or a classification run
  // (ViT, ViViT, ConvNet) whose classes are the judged model's
  const judged: Record<string, string> = {
    'judges/shapes-4x16.yaml': 'default.yaml',
    'judges/mnist-32.yaml': 'dit-tiny.yaml',
    'judges/mnist-8x32.yaml': 'video-dit-mnist.yaml',
  };
  const judges = yamlFiles(join(root, 'judges'));
  it('name the config each one judges', () => {
    expect(judges.map((f) => relative(root, f)).sort()).toEqual(Object.keys(judged).sort());
  });

  it.each(judges.map((f) => [relative(root, f), f]))(
    '%s validates as a judge run and reads the clips of the config it judges',
    async (name, f) => {
      const target = await loadConfigFile(join(root, judged[name]!), ExperimentConfig);
      const targetClip = experimentClip(target);
      const cfg = await loadConfigFile(f, ExperimentConfig);
      if (cfg.model.kind === 'attribute-classifier') {
        const d = cfg.data.dataset as { frames: number; height: number; width: number };
        expect([d.frames, d.height, d.width]).toEqual(targetClip!.slice(0, 3));
        return;
      }
      expect(['vit', 'vivit', 'convnet']).toContain(cfg.model.kind);
      expect(experimentClip(cfg)).toEqual(targetClip);
      expect((cfg.model as { numClasses: number }).numClasses).toBe(
        (target.model as { numClasses: number }).numClasses,
      );
      // its data is not the judged run's: another dataset seed
      const seedOf = (c: ExperimentConfig) => (c.data.dataset as { seed: number }).seed;
      expect(seedOf(cfg)).not.toBe(seedOf(target));
    },
  );

  it('MNIST judges train on the fit digits and are read on the held-out ones; the clip judge starts from the image judge', async () => {
    const image = await loadConfigFile(join(root, 'judges/mnist-32.yaml'), ExperimentConfig);
    const clip = await loadConfigFile(join(root, 'judges/mnist-8x32.yaml'), ExperimentConfig);
    const imagesOf = (dataset: unknown) => (dataset as { images?: string }).images;
    for (const cfg of [image, clip]) {
      expect(imagesOf(cfg.data.dataset)).toBe('fit');
      expect(imagesOf(cfg.eval.data['dataset'])).toBe('holdout');
    }
    // the run `vtx train --config configs/judges/mnist-32.yaml` writes from the repository root, same weights
    expect(clip.init?.from).toBe(join(root, '..', 'runs', image.name));
    expect(clip.init?.head).toBe(true);
    expect(clip.model).toEqual(image.model);
  });
});
