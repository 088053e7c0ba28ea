/**
 * Run directories written before the noise-process union still load: fixtures/run-configs/*.yaml are `<run>/config.yaml`
 * files that vtx wrote at 9b36b77 (flat `diffusion:` with every key of both processes, `model.learnSigma` beside
 * `diffusion.learnSigma`), and weights.json the name and shape of every trainable weight the model built from each
 * had then: what a checkpoint of that run holds. They load through today's schema, and today's model — its output
 * channels set by the process — has exactly those weights.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { buildModel, makeProcess, type ClipShape } from '@vtx/models';
import { describe, expect, it } from 'vitest';
import { loadConfigFile, resolvedConfigYaml } from '@vtx/config';
import { ExperimentConfig } from '../../src/experiment.js';

const dir = join(import.meta.dirname, '..', 'fixtures', 'run-configs');
const weights = JSON.parse(readFileSync(join(dir, 'weights.json'), 'utf8')) as Record<
  string,
  { clip: ClipShape; params: Record<string, number[]> }
>;

describe('run configs written before the process union', () => {
  it.each([
    ['rectified-flow', 'rectified-flow', false],
    ['captions', 'rectified-flow', false],
    ['dit-rectified-flow', 'rectified-flow', false],
    ['gaussian-fixed-sigma', 'gaussian', false],
    ['gaussian-learned-sigma', 'gaussian', true],
  ] as const)(
    '%s loads as process %s (learnSigma %s) and rebuilds the same weights',
    async (name, process, sigma) => {
      const cfg = await loadConfigFile(join(dir, `${name}.yaml`), ExperimentConfig);
      expect(cfg.diffusion.process).toBe(process);
      expect(cfg.diffusion.learnSigma).toBe(sigma);
      expect(cfg.model).not.toHaveProperty('learnSigma');
      const { clip, params } = weights[name]!;
      const model = buildModel(cfg.model, clip, makeProcess(cfg.diffusion));
      expect(Object.fromEntries(model.trainableWeights.map((w) => [w.originalName, w.shape]))).toEqual(
        params,
      );
      model.dispose();
    },
  );

  it('keeps every setting: the Gaussian run samples with its respacing, the flow run with its Euler steps', async () => {
    const g = await loadConfigFile(join(dir, 'gaussian-learned-sigma.yaml'), ExperimentConfig);
    expect(g.diffusion).toMatchObject({
      schedule: 'cosine',
      sampler: 'ddpm',
      samplingSteps: 'ddim10',
      cfgScale: 4,
    });
    expect(g.diffusion).not.toHaveProperty('shift');
    const v = await loadConfigFile(join(dir, 'gaussian-fixed-sigma.yaml'), ExperimentConfig);
    expect(v.diffusion).toMatchObject({
      predict: 'v',
      learnSigma: false,
      sampler: 'ddim',
      samplingSteps: '25',
    });
    const f = await loadConfigFile(join(dir, 'rectified-flow.yaml'), ExperimentConfig);
    expect(f.diffusion).toMatchObject({
      sampler: 'euler',
      samplingSteps: '50',
      cfgScale: 2,
      timestepSampling: 'logit-normal',
      shift: 1,
    });
    expect(f.diffusion).not.toHaveProperty('schedule');
  });

  it('a config written now loads back to itself', async () => {
    const cfg = await loadConfigFile(join(dir, 'rectified-flow.yaml'), ExperimentConfig);
    const again = ExperimentConfig.parse((await import('yaml')).parse(resolvedConfigYaml(cfg)) as unknown);
    expect(again).toEqual(cfg);
  });
});
