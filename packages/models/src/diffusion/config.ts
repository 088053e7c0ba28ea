/**
 * Configuration of the diffusion process, its loss and its sampler. Defaults are DiT's
 * (facebookresearch/DiT diffusion/__init__.py create_diffusion, sample.py): linear betas over 1000 steps,
 * epsilon prediction, learned variance, hybrid loss mse + vb, DDPM sampling with 250 respaced steps,
 * classifier-free guidance scale 4.
 */
import { z } from 'zod';

export const DiffusionConfig = z.strictObject({
  /** Noise process: 'gaussian' (DDPM/IDDPM, everything below) or 'rectified-flow' (Open-Sora 1.2 style). */
  process: z.enum(['gaussian', 'rectified-flow']).default('gaussian'),
  /** Beta schedule of the Gaussian process: 'linear' (1e-4 -> 0.02 at T = 1000) or 'cosine' (Nichol & Dhariwal). */
  schedule: z.enum(['linear', 'cosine']).default('linear'),
  /** T, the number of training timesteps (the model sees t in [0, T)). */
  steps: z.number().int().positive().default(1000),
  /** What the model's mean channels predict: the noise eps, v = sqrt(ab) eps - sqrt(1 - ab) x0, or x0 itself. */
  predict: z.enum(['epsilon', 'v', 'x0']).default('epsilon'),
  /** The model also outputs C channels interpolating log-variance between beta_t and beta-tilde_t (IDDPM). */
  learnSigma: z.boolean().default(true),
  /** Variance when learnSigma is false: 'fixed-large' (beta_t) or 'fixed-small' (posterior beta-tilde_t). */
  fixedSigma: z.enum(['fixed-large', 'fixed-small']).default('fixed-large'),
  /**
   * 'mse': MSE on the target (+ vb on the variance when learnSigma: IDDPM's hybrid loss); 'rescaled-mse':
   * vb scaled by T / 1000; 'kl': the variational-bound term alone (bits per dim); 'rescaled-kl': times T.
   */
  loss: z.enum(['mse', 'rescaled-mse', 'kl', 'rescaled-kl']).default('mse'),
  /**
   * Min-SNR-gamma weighting of the MSE term (Hang et al. 2023: 'Efficient Diffusion Training via Min-SNR
   * Weighting Strategy'; 5 is the paper's choice, diffusers' `snr_gamma`): each timestep's loss counts as
   * min(SNR_t, gamma) times its x0 error, so the many easy low-noise steps stop dominating the gradient. null: off.
   */
  minSnrGamma: z.number().positive().nullable().default(null),
  /** Training timestep distribution: uniform on [0, T), or logit-normal (rectified flow, SD3 / Open-Sora 1.2). */
  timestepSampling: z.enum(['uniform', 'logit-normal']).default('uniform'),
  /** Sampler for generation. 'euler' is the rectified-flow sampler. */
  sampler: z.enum(['ddpm', 'ddim', 'euler']).default('ddpm'),
  /**
   * Respacing used for sampling: '' (all T), '250', 'ddim50', or section counts '10,10,10'. For rectified flow,
   * the number of Euler steps (a plain integer such as '30'). 'ddimN' keeps DDIM's strided steps 0, T/N, ...,
   * T - T/N ("leading" spacing: sampling starts at t = T - T/N, not T - 1); a plain 'N' spreads N steps over
   * [0, T - 1], so sampling starts from the pure-noise end of the schedule (Lin et al. 2024 show that leading
   * spacing leaves a cosine-schedule model's samples at the wrong mean brightness; vtx's default run saw lighter,
   * off-colour backgrounds with 'ddim50' from the same weights).
   */
  samplingSteps: z
    .union([
      z.string(),
      z
        .number()
        .int()
        .positive()
        .transform((n) => String(n)),
    ]) // YAML `250` means '250'
    .default('250'),
  /** Rectified flow: timestep shift s in tau' = s tau / (1 + (s - 1) tau) (1 = none; SD3 uses 3 at 1024px). */
  shift: z.number().positive().default(1),
  /** DDIM stochasticity: 0 is deterministic DDIM, 1 matches DDPM's posterior variance. */
  eta: z.number().min(0).default(0),
  /** Classifier-free guidance scale; 1 means the conditional model alone. */
  cfgScale: z.number().min(0).default(4),
  /** Clip the predicted x0 to [-1, 1] during sampling (pixels yes; DiT latents no). */
  clipDenoised: z.boolean().default(false),
});
export type DiffusionConfig = z.infer<typeof DiffusionConfig>;
/** What a YAML file or a caller may write: every field optional. */
export type DiffusionConfigInput = z.input<typeof DiffusionConfig>;

/** Which sampling setting does not fit the process, and why (the words every caller reports after its own label). */
export interface SamplerMismatch {
  key: 'sampler' | 'samplingSteps';
  message: string;
}

/**
 * How the sampling settings fail the process, or null when they fit: rectified flow samples with 'euler' over a step
 * count (samplingSteps such as '50'); the Gaussian process samples with 'ddpm' or 'ddim' over a respacing. The one
 * rule, worded once, behind `generate` (at sampling time), the trainer's config check (before a run starts) and
 * `vtx sample`'s flags.
 */
export function samplerMismatch(
  cfg: Pick<DiffusionConfig, 'process' | 'sampler' | 'samplingSteps'>,
): SamplerMismatch | null {
  if (cfg.process === 'gaussian')
    return cfg.sampler === 'euler'
      ? {
          key: 'sampler',
          message: "'euler' is rectified flow's sampler; the Gaussian process uses 'ddpm' or 'ddim'",
        }
      : null;
  if (cfg.sampler !== 'euler')
    return { key: 'sampler', message: `rectified flow samples with 'euler', not '${cfg.sampler}'` };
  return /^[1-9]\d*$/.test(cfg.samplingSteps)
    ? null
    : {
        key: 'samplingSteps',
        message: `rectified flow takes a number of Euler steps (e.g. 50), not the respacing '${cfg.samplingSteps}'`,
      };
}
