/**
 * Configuration of the noise process, its loss and its sampler: a discriminated union on `process`, each branch with
 * its own keys and its sampler's rule. A config without `process:` is the Gaussian one, whose defaults are DiT's
 * (facebookresearch/DiT diffusion/__init__.py create_diffusion, sample.py): linear betas over 1000 steps, epsilon
 * prediction, learned variance, hybrid loss mse + vb, DDPM sampling with 250 respaced steps, classifier-free guidance
 * scale 4. Parse once (the experiment does), then hand the parsed value to `makeProcess`.
 */
import { z } from 'zod';

import { GuidanceInterval } from './guidance-interval.js';
import { TimestepShift } from './timestep-shift.js';

/** The noise processes; `makeProcess` (./process.ts) builds each. */
export const PROCESSES = ['gaussian', 'rectified-flow'] as const;
export type ProcessName = (typeof PROCESSES)[number];
/** Every sampler of every process (each branch accepts the ones its rule allows). */
export const SAMPLERS = ['ddpm', 'ddim', 'euler'] as const;
export type SamplerName = (typeof SAMPLERS)[number];

/** Which sampling setting does not fit the process, and why (the words every caller reports after its own label). */
export interface SamplerMismatch {
  key: 'sampler' | 'samplingSteps' | 'eta';
  message: string;
}

/** The sampling settings a caller may change at sampling time (`vtx sample`'s flags, `eval.judge.steps`). */
export interface SamplingSettings {
  sampler?: SamplerName;
  samplingSteps?: string;
  cfgScale?: number;
  /** Guide only at noise levels t / T in [lo, hi]; null: every step. */
  guidanceInterval?: GuidanceInterval | null;
  /** DDIM's noise scale; the Gaussian process only. */
  eta?: number;
}

const samplingStepsSchema = z
  .union([
    z.string(),
    z
      .number()
      .int()
      .positive()
      .transform((n) => String(n)),
  ]) // YAML `250` means '250'
  .default('250');

/** What both processes have: T, the model's output channels, training timesteps, sampling steps, guidance. */
const shared = {
  /** T, the number of training timesteps (the model sees t in [0, T)). */
  steps: z.number().int().positive().default(1000),
  /**
   * The model outputs 2C channels: C for the process and C more. Gaussian: the variance interpolation (IDDPM's
   * learned sigma). Rectified flow: unused (Open-Sora's STDiT with pred_sigma reads only the first C). The one
   * place a model's output channels are set (`process.outputChannels(C)`).
   */
  learnSigma: z.boolean().default(true),
  /** Training timestep distribution: uniform on [0, T), or logit-normal (SD3 / Open-Sora 1.2). */
  timestepSampling: z.enum(['uniform', 'logit-normal']).default('uniform'),
  /** Classifier-free guidance scale; 1 means the conditional model alone. */
  cfgScale: z.number().min(0).default(4),
  /**
   * Apply guidance only at noise levels t / T in [lo, hi] (Kynkäänniemi et al. 2024; ./guidance-interval.ts): the
   * other steps take the conditional output. Rectified flow: t / T = tau (1 = pure noise); Gaussian: the training
   * timestep over T. null: every step. Sampling only, like cfgScale.
   */
  guidanceInterval: GuidanceInterval.nullable().default(null),
  /**
   * Min-SNR-gamma weighting of the MSE term (Hang et al. 2023: 'Efficient Diffusion Training via Min-SNR
   * Weighting Strategy'; 5 is the paper's choice, diffusers' `snr_gamma`): each timestep's loss counts as
   * min(SNR_t, gamma) times its x0 error, so the many easy low-noise steps stop dominating the gradient. Gaussian:
   * SNR_t = ab_t / (1 - ab_t); rectified flow: SNR = ((1 - tau) / tau)^2 (./rectified-flow.ts). null: off.
   */
  minSnrGamma: z.number().positive().nullable().default(null),
};

/** The Gaussian process's sampling rule: 'ddpm' or 'ddim' over a respacing, never 'euler'. */
export function gaussianSamplerMismatch(s: SamplingSettings): SamplerMismatch | null {
  return s.sampler === 'euler'
    ? {
        key: 'sampler',
        message: "'euler' is rectified flow's sampler; the Gaussian process uses 'ddpm' or 'ddim'",
      }
    : null;
}

/** Rectified flow's sampling rule: 'euler' over a plain number of steps; no DDIM eta. */
export function flowSamplerMismatch(s: SamplingSettings): SamplerMismatch | null {
  if (s.sampler !== undefined && s.sampler !== 'euler')
    return { key: 'sampler', message: `rectified flow samples with 'euler', not '${s.sampler}'` };
  if (s.samplingSteps !== undefined && !/^[1-9]\d*$/.test(s.samplingSteps))
    return {
      key: 'samplingSteps',
      message: `rectified flow takes a number of Euler steps (e.g. 50), not the respacing '${s.samplingSteps}'`,
    };
  if (s.eta !== undefined)
    return { key: 'eta', message: "eta is DDIM's noise scale; rectified flow's Euler sampler has none" };
  return null;
}

/** A branch's sampling rule as a schema check: the issue names the key, in the rule's words. */
const samplerRule =
  (rule: (s: SamplingSettings) => SamplerMismatch | null) =>
  (cfg: SamplingSettings, ctx: z.RefinementCtx): void => {
    const m = rule(cfg);
    if (m) ctx.addIssue({ code: 'custom', path: [m.key], message: m.message });
  };

export const GaussianDiffusionConfig = z
  .strictObject({
    /** DDPM / IDDPM as DiT trains and samples it. */
    process: z.literal('gaussian'),
    /** Beta schedule: 'linear' (1e-4 -> 0.02 at T = 1000) or 'cosine' (Nichol & Dhariwal). */
    schedule: z.enum(['linear', 'cosine']).default('linear'),
    ...shared,
    /** What the model's mean channels predict: the noise eps, v = sqrt(ab) eps - sqrt(1 - ab) x0, or x0 itself. */
    predict: z.enum(['epsilon', 'v', 'x0']).default('epsilon'),
    /** Variance when learnSigma is false: 'fixed-large' (beta_t) or 'fixed-small' (posterior beta-tilde_t). */
    fixedSigma: z.enum(['fixed-large', 'fixed-small']).default('fixed-large'),
    /**
     * 'mse': MSE on the target (+ vb on the variance when learnSigma: IDDPM's hybrid loss); 'rescaled-mse':
     * vb scaled by T / 1000; 'kl': the variational-bound term alone (bits per dim); 'rescaled-kl': times T.
     */
    loss: z.enum(['mse', 'rescaled-mse', 'kl', 'rescaled-kl']).default('mse'),
    /** Sampler: DDPM ancestral sampling or DDIM. */
    sampler: z.enum(SAMPLERS).default('ddpm'),
    /**
     * Respacing used for sampling: '' (all T), '250', 'ddim50', or section counts '10,10,10'. 'ddimN' keeps DDIM's
     * strided steps 0, T/N, ..., T - T/N ("leading" spacing: sampling starts at t = T - T/N, not T - 1); a plain
     * 'N' spreads N steps over [0, T - 1], so sampling starts from the pure-noise end of the schedule (Lin et al.
     * 2024 show that leading spacing leaves a cosine-schedule model's samples at the wrong mean brightness; vtx's
     * default run saw lighter, off-colour backgrounds with 'ddim50' from the same weights).
     */
    samplingSteps: samplingStepsSchema,
    /** DDIM stochasticity: 0 is deterministic DDIM, 1 matches DDPM's posterior variance. */
    eta: z.number().min(0).default(0),
    /** Clip the predicted x0 to [-1, 1] during sampling (pixels yes; DiT latents no). */
    clipDenoised: z.boolean().default(false),
  })
  .superRefine(samplerRule(gaussianSamplerMismatch));
export type GaussianDiffusionConfig = z.infer<typeof GaussianDiffusionConfig>;

export const RectifiedFlowConfig = z
  .strictObject({
    /** Rectified flow (Liu et al. 2023; Open-Sora 1.2): straight paths from data to noise, a velocity model. */
    process: z.literal('rectified-flow'),
    ...shared,
    /** Sampler: Euler steps from noise to data (the only one). */
    sampler: z.enum(SAMPLERS).default('euler'),
    /** The number of Euler steps (a plain integer such as 50). */
    samplingSteps: samplingStepsSchema,
    /**
     * Timestep shift s in tau' = s tau / (1 + (s - 1) tau) of training's timesteps and of the sampling grid
     * (./timestep-shift.ts): a number (1 = none; SD3 uses 3 at 1024 px), or `{ auto: { baseSize: [T0, H0, W0] } }`,
     * s = sqrt(T H W / (T0 H0 W0)) from the data's size (SD3 §5.3.2; Open-Sora 1.2 counts frames too).
     */
    timestepShift: TimestepShift.default(1),
    /**
     * A further shift of the sampling grid alone, on top of `timestepShift` (shifts compose by multiplying: the grid
     * is shifted by timestepShift times shift). 1 = none.
     */
    shift: z.number().positive().default(1),
  })
  .superRefine(samplerRule(flowSamplerMismatch));
export type RectifiedFlowConfig = z.infer<typeof RectifiedFlowConfig>;

const BRANCHES = { gaussian: GaussianDiffusionConfig, 'rectified-flow': RectifiedFlowConfig } as const;

/**
 * The keys the single flat schema before the union gave every config (each a branch key of the other process), with
 * the value it wrote: a run's config.yaml from then carries them all, so they are dropped when they hold that value.
 * Set to anything else, they stay, and the branch reports them as unknown keys.
 */
const FLAT_DEFAULTS: Record<ProcessName, Record<string, unknown>> = {
  gaussian: { shift: 1 },
  'rectified-flow': {
    schedule: 'linear',
    predict: 'epsilon',
    fixedSigma: 'fixed-large',
    loss: 'mse',
    eta: 0,
    clipDenoised: false,
  },
};

const processOf = (value: unknown): unknown =>
  typeof value === 'object' && value !== null
    ? ((value as { process?: unknown }).process ?? 'gaussian')
    : undefined;

/** `process` filled in ('gaussian' when absent) and the flat schema's keys of the other process dropped. */
function withProcess(value: unknown): unknown {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) return value;
  const process = processOf(value);
  const stale = ownEntry(FLAT_DEFAULTS, process) ?? {};
  const kept = Object.entries(value).filter(([k, v]) => !(k in stale) || stale[k] !== v);
  return { ...Object.fromEntries(kept), process };
}

/** The branch a value selects (for error messages that suggest keys: @vtx/config, schema-keys.ts). */
function branchFor(value: unknown): z.ZodType | undefined {
  return ownEntry(BRANCHES, processOf(value));
}

const ownEntry = <T>(table: Record<string, T>, key: unknown): T | undefined =>
  typeof key === 'string' && Object.hasOwn(table, key) ? table[key] : undefined;

/**
 * `diffusion:` — `process: gaussian` (the default when absent) or `process: rectified-flow`, each with its keys.
 * `schemaFor(value)` names the branch a value is checked against.
 */
export const DiffusionConfig = Object.assign(
  z.preprocess(withProcess, z.discriminatedUnion('process', [GaussianDiffusionConfig, RectifiedFlowConfig])),
  { schemaFor: branchFor },
);
export type DiffusionConfig = GaussianDiffusionConfig | RectifiedFlowConfig;
/** What a YAML file or a caller may write: every field optional, `process` too (Gaussian). */
export type DiffusionConfigInput =
  | (Omit<z.input<typeof GaussianDiffusionConfig>, 'process'> & { process?: 'gaussian' })
  | z.input<typeof RectifiedFlowConfig>;
