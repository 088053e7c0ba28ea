/** The experiment checks across config sections that no single key's schema can make. */
import { describe, expect, it } from 'vitest';
import { ConfigError, validateConfig } from '../../src/config/index.js';
import { checkExperiment, experimentWarnings, ExperimentConfig } from '../../src/experiment.js';

describe('checks across sections (checkExperiment)', () => {
  const diffusionRun = (model: Record<string, unknown>, diffusion: Record<string, unknown>) =>
    ExperimentConfig.parse({
      name: 'x',
      model: { kind: 'video-dit', depth: 1, width: 32, heads: 2, numClasses: 4, ...model },
      diffusion,
    });
  const issue = (cfg: ExperimentConfig) => {
    try {
      checkExperiment(cfg, 'run.yaml');
      return null;
    } catch (e) {
      expect(e).toBeInstanceOf(ConfigError);
      return `${(e as ConfigError).issues[0]!.path}: ${(e as ConfigError).issues[0]!.message}`;
    }
  };

  it('passes matching pairs: learned sigma with DDPM/DDIM, a velocity model with Euler steps', () => {
    expect(issue(diffusionRun({}, { sampler: 'ddim', samplingSteps: 'ddim50' }))).toBeNull();
    const flow = { process: 'rectified-flow', learnSigma: false, sampler: 'euler', samplingSteps: 50 };
    expect(issue(diffusionRun({ learnSigma: false }, flow))).toBeNull();
    // classifiers have no diffusion process to pair with
    expect(() =>
      checkExperiment(ExperimentConfig.parse({ name: 'c', model: { kind: 'vit', numClasses: 3 } })),
    ).not.toThrow();
  });

  it('names the key of a mismatched pair', () => {
    const flow = { process: 'rectified-flow', learnSigma: false, sampler: 'euler', samplingSteps: 50 };
    expect(issue(diffusionRun({}, flow))).toMatch(
      /^diffusion\.learnSigma: is false but model\.learnSigma is true/,
    );
    expect(issue(diffusionRun({ learnSigma: false }, { ...flow, sampler: 'ddim' }))).toBe(
      "diffusion.sampler: rectified flow samples with 'euler', not 'ddim'",
    );
    expect(issue(diffusionRun({ learnSigma: false }, { ...flow, samplingSteps: 'ddim50' }))).toMatch(
      /^diffusion\.samplingSteps: rectified flow takes a number of Euler steps \(e\.g\. 50\), not the respacing 'ddim50'/,
    );
    expect(issue(diffusionRun({}, { sampler: 'euler' }))).toMatch(
      /^diffusion\.sampler: 'euler' is rectified flow's/,
    );
  });
});

describe('warnings at the start of a run (experimentWarnings)', () => {
  const run = (diffusion: Record<string, unknown>, model: Record<string, unknown> = {}) =>
    ExperimentConfig.parse({
      name: 'x',
      model: { kind: 'video-dit', depth: 1, width: 32, heads: 2, numClasses: 4, ...model },
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
    expect(experimentWarnings(run(flow, { learnSigma: false }))).toEqual([]);
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
      /^did you mean 'factorised-encoder'\? expected one of "spatio-temporal"/,
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
