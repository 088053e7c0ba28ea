/** The experiment's checks across config sections: the noise process's sampler rule and the model.learnSigma migration. */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { ConfigError, loadConfigFile, validateConfig } from '@vtx/config';
import { experimentWarnings, ExperimentConfig } from '../../src/experiment.js';

describe('checks across sections (the experiment schema)', () => {
  const diffusionRun = (model: Record<string, unknown>, diffusion: Record<string, unknown>) => ({
    name: 'x',
    model: { kind: 'video-dit', depth: 1, width: 32, heads: 2, numClasses: 4, ...model },
    diffusion,
  });
  const issue = (input: unknown) => {
    try {
      validateConfig(input, ExperimentConfig, { file: 'run.yaml' });
      return null;
    } catch (e) {
      expect(e).toBeInstanceOf(ConfigError);
      return `${(e as ConfigError).issues[0]!.path}: ${(e as ConfigError).issues[0]!.message}`;
    }
  };

  it('passes matching pairs: learned sigma with DDPM/DDIM, a velocity model with Euler steps', () => {
    expect(issue(diffusionRun({}, { sampler: 'ddim', samplingSteps: 'ddim50' }))).toBeNull();
    const flow = { process: 'rectified-flow', learnSigma: false, sampler: 'euler', samplingSteps: 50 };
    expect(issue(diffusionRun({}, flow))).toBeNull();
    // a classifier with the default process
    expect(issue({ name: 'c', model: { kind: 'vit', numClasses: 3 } })).toBeNull();
  });

  it('names the key of a sampler that does not fit the process', () => {
    const flow = { process: 'rectified-flow', learnSigma: false, sampler: 'euler', samplingSteps: 50 };
    expect(issue(diffusionRun({}, { ...flow, sampler: 'ddim' }))).toBe(
      "diffusion.sampler: rectified flow samples with 'euler', not 'ddim'",
    );
    expect(issue(diffusionRun({}, { ...flow, samplingSteps: 'ddim50' }))).toMatch(
      /^diffusion\.samplingSteps: rectified flow takes a number of Euler steps \(e\.g\. 50\), not the respacing 'ddim50'/,
    );
    expect(issue(diffusionRun({}, { sampler: 'euler' }))).toMatch(
      /^diffusion\.sampler: 'euler' is rectified flow's/,
    );
  });

  it('suggests the process a misspelt one meant, and names a key of the other process', () => {
    expect(issue(diffusionRun({}, { process: 'rectified_flow' }))).toBe(
      'diffusion.process: expected one of "gaussian" | "rectified-flow", got "rectified_flow" (did you mean "rectified-flow"?)',
    );
    expect(issue(diffusionRun({}, { process: 'rectified-flow', schedule: 'cosine' }))).toMatch(
      /^diffusion\.schedule: unknown key; expected one of: process, steps, learnSigma, timestepSampling, cfgScale, guidanceInterval, minSnrGamma, sampler, samplingSteps, timestepShift, shift$/,
    );
    expect(issue(diffusionRun({}, { shift: 3 }))).toMatch(/^diffusion\.shift: unknown key/);
    expect(issue(diffusionRun({}, { timestepShift: 2 }))).toMatch(/^diffusion\.timestepShift: unknown key/);
  });

  it('names timestepShift when it is neither a positive number nor { auto: { baseSize } }', () => {
    const flow = { process: 'rectified-flow' };
    for (const bad of [0, 'auto', { auto: { baseSize: [16, 16] } }])
      expect(issue(diffusionRun({}, { ...flow, timestepShift: bad }))).toMatch(/^diffusion\.timestepShift/);
    expect(
      issue(diffusionRun({}, { ...flow, timestepShift: { auto: { baseSize: [1, 16, 16] } } })),
    ).toBeNull();
  });

  it('names the file and line of a bad process or sampler in a YAML file', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'vtx-process-'));
    const file = join(dir, 'run.yaml');
    const yaml = (diffusion: string) =>
      `name: x\nmodel: { kind: dit, depth: 1, width: 32, heads: 2, numClasses: 4 }\ndiffusion:\n${diffusion}`;
    const issuesOf = async (text: string) => {
      writeFileSync(file, text);
      const e = await loadConfigFile(file, ExperimentConfig).catch((err: unknown) => err);
      expect(e).toBeInstanceOf(ConfigError);
      return (e as ConfigError).issues.map((i) => ({ line: i.line, path: i.path }));
    };
    expect(await issuesOf(yaml('  steps: 100\n  process: gaussain\n'))).toEqual([
      { line: 5, path: 'diffusion.process' },
    ]);
    expect(await issuesOf(yaml('  process: rectified-flow\n  sampler: ddpm\n'))).toEqual([
      { line: 5, path: 'diffusion.sampler' },
    ]);
    rmSync(dir, { recursive: true });
  });

  it('model.learnSigma (before the process set the output channels) is dropped when it agrees, an error naming it when not', () => {
    const flow = { process: 'rectified-flow', learnSigma: false, sampler: 'euler', samplingSteps: 50 };
    const agreed = ExperimentConfig.parse(diffusionRun({ learnSigma: false }, flow));
    expect(agreed.model).not.toHaveProperty('learnSigma');
    expect(ExperimentConfig.parse(diffusionRun({ learnSigma: true }, {})).model).not.toHaveProperty(
      'learnSigma',
    );
    expect(issue(diffusionRun({ learnSigma: true }, flow))).toBe(
      "model.learnSigma: moved to diffusion.learnSigma: the noise process sets a model's output channels (2C with a " +
        'learned variance, C without). This config says true here but diffusion.learnSigma is false: delete ' +
        'model.learnSigma and set diffusion.learnSigma: true',
    );
    // a classifier never had the key: it stays an unknown key of the model
    expect(issue({ name: 'c', model: { kind: 'vit', numClasses: 3, learnSigma: true } })).toMatch(
      /^model\.learnSigma: unknown key/,
    );
  });
});

describe('warnings at the start of a run (experimentWarnings)', () => {
  const run = (diffusion: Record<string, unknown>) =>
    ExperimentConfig.parse({
      name: 'x',
      model: { kind: 'video-dit', depth: 1, width: 32, heads: 2, numClasses: 4 },
      diffusion,
    });

  it('names samplingSteps when sampling starts where the schedule keeps a visible signal', () => {
    const w = experimentWarnings(run({ schedule: 'cosine', sampler: 'ddim', samplingSteps: 'ddim50' }));
    expect(w).toHaveLength(1);
    expect(w[0]!.path).toBe('diffusion.samplingSteps');
    expect(w[0]!.message).toMatch(
      /'ddim50' starts sampling at t = 980 of 1000, where the cosine schedule keeps 3\.\d% of/,
    );
    expect(w[0]!.message).toMatch(/samplingSteps: 50 spaces the 50 steps to end at t = 999/);
  });

  it('is quiet for spacing that ends at T - 1, for the linear schedule at ddim50, for rectified flow and classifiers', () => {
    expect(experimentWarnings(run({ schedule: 'cosine', sampler: 'ddim', samplingSteps: '50' }))).toEqual([]);
    expect(experimentWarnings(run({ schedule: 'linear', sampler: 'ddim', samplingSteps: 'ddim50' }))).toEqual(
      [],
    );
    const flow = { process: 'rectified-flow', learnSigma: false, sampler: 'euler', samplingSteps: 50 };
    expect(experimentWarnings(run(flow))).toEqual([]);
    expect(
      experimentWarnings(ExperimentConfig.parse({ name: 'c', model: { kind: 'vit', numClasses: 3 } })),
    ).toEqual([]);
  });
});

describe('enum values', () => {
  it("a typo of an allowed value gets a did-you-mean: 'factorized-encoder' -> 'factorised-encoder'", () => {
    const e = (() => {
      try {
        validateConfig(
          { name: 'v', model: { kind: 'vivit', variant: 'factorized-encoder', numClasses: 4 } },
          ExperimentConfig,
        );
      } catch (x) {
        return x;
      }
    })() as ConfigError;
    expect(e).toBeInstanceOf(ConfigError);
    expect(e.issues[0]).toMatchObject({ path: 'model.variant' });
    expect(e.issues[0]!.message).toMatch(
      /^expected one of "spatio-temporal".* \(did you mean "factorised-encoder"\?\)$/,
    );
  });

  it('no hint for a value unlike any allowed one', () => {
    expect(() =>
      validateConfig(
        { name: 'v', model: { kind: 'vivit', variant: 'banana', numClasses: 4 } },
        ExperimentConfig,
      ),
    ).toThrow(/model\.variant: expected one of/);
  });
});
