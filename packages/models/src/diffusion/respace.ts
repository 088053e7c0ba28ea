/**
 * Timestep respacing: sample with a subset S of the T training steps. The respaced process keeps the original
 * alphabar at every kept step, so its betas are beta'_k = 1 - alphabar_{s_k} / alphabar_{s_{k-1}}, and a
 * timestep map k -> s_k lets the model keep seeing the original timesteps it was trained on.
 *
 * Reference: Nichol & Dhariwal 2021 §4 (sampling with fewer steps); facebookresearch/DiT diffusion/respace.py
 * (space_timesteps, SpacedDiffusion).
 */
import type { GaussianDiffusionConfig } from './config.js';
import { betaSchedule, scheduleConstants } from './schedule.js';

/**
 * The original timesteps to keep, ascending.
 *
 * - `''` keeps all T steps.
 * - `'ddimN'` keeps every k-th step from 0 with the stride k that gives exactly N steps (DDIM paper's spacing).
 * - `'N'` or `'N1,N2,...'` splits [0, T) into equal sections and takes N_i evenly spaced steps from section i,
 *   always including each section's first and last step (rounding half to even, as Python's round()).
 */
export function spaceTimesteps(numTimesteps: number, spec: string): number[] {
  const s = spec.trim();
  if (s === '') return Array.from({ length: numTimesteps }, (_, i) => i);
  if (s.startsWith('ddim')) {
    const desired = parseCount(s.slice('ddim'.length), spec);
    for (let stride = 1; stride < Math.max(numTimesteps, 2); stride++) {
      if (Math.ceil(numTimesteps / stride) === desired) {
        return Array.from({ length: desired }, (_, i) => i * stride);
      }
    }
    throw new Error(
      `respacing '${spec}': no integer stride gives exactly ${desired} of ${numTimesteps} steps`,
    );
  }
  const counts = s.split(',').map((c) => parseCount(c, spec));
  const sizePer = Math.floor(numTimesteps / counts.length);
  const extra = numTimesteps % counts.length;
  const steps: number[] = [];
  let start = 0;
  counts.forEach((count, i) => {
    const size = sizePer + (i < extra ? 1 : 0);
    if (size < count) {
      throw new Error(`respacing '${spec}': section ${i} has ${size} steps, cannot take ${count}`);
    }
    const stride = count <= 1 ? 1 : (size - 1) / (count - 1);
    for (let k = 0; k < count; k++) steps.push(start + roundHalfEven(k * stride));
    start += size;
  });
  return [...new Set(steps)].sort((a, b) => a - b);
}

/**
 * The first sampling step of a respaced Gaussian process: its original timestep and sqrt(alphabar) there, the part
 * of the clean signal the training schedule still keeps at that step. Sampling starts from pure noise, so a start
 * that keeps a visible signal (DDIM's leading spacing 'ddim50' starts at t = 980, where the cosine schedule keeps
 * 3 %) makes samples drift toward the mean (Lin et al. 2024, "Common Diffusion Noise Schedules and Sample Steps are
 * Flawed").
 */
export function samplingStart(cfg: Pick<GaussianDiffusionConfig, 'schedule' | 'steps' | 'samplingSteps'>): {
  /** The original timestep sampling starts at. */
  t: number;
  /** sqrt(alphabar_t). */
  signal: number;
  /** How many steps the respacing keeps. */
  count: number;
} {
  const kept = spaceTimesteps(cfg.steps, cfg.samplingSteps);
  const t = kept[kept.length - 1]!;
  const { alphasCumprod } = scheduleConstants(betaSchedule(cfg.schedule, cfg.steps));
  return { t, signal: Math.sqrt(alphasCumprod[t]!), count: kept.length };
}

/** Betas of the process restricted to `keep` (ascending original timesteps), and its timestep map. */
export function respaceBetas(
  alphasCumprod: Float64Array,
  keep: readonly number[],
): { betas: Float64Array; timestepMap: Int32Array } {
  const betas = new Float64Array(keep.length);
  let last = 1;
  let prevStep = -1;
  keep.forEach((s, k) => {
    if (!Number.isInteger(s) || s <= prevStep || s >= alphasCumprod.length) {
      throw new Error(
        `respacing: kept steps must ascend within [0, ${alphasCumprod.length}), got ${s} at ${k}`,
      );
    }
    const ab = alphasCumprod[s]!;
    betas[k] = 1 - ab / last;
    last = ab;
    prevStep = s;
  });
  return { betas, timestepMap: Int32Array.from(keep) };
}

function parseCount(text: string, spec: string): number {
  const n = Number(text.trim());
  if (!Number.isInteger(n) || n < 1)
    throw new Error(`respacing '${spec}': '${text}' is not a positive integer`);
  return n;
}

/** Python 3 round(): halves go to the even neighbour (2.5 -> 2, 3.5 -> 4). */
function roundHalfEven(x: number): number {
  const f = Math.floor(x);
  const d = x - f;
  if (d > 0.5) return f + 1;
  if (d < 0.5) return f;
  return f % 2 === 0 ? f : f + 1;
}
