/** Sampling settings changed at sampling time, shared by the processes (./process.ts). */
import type { SamplerMismatch, SamplingSettings } from './config.js';

/** The settings that were given (an undefined field keeps the config's). */
export function definedSettings(s: SamplingSettings): SamplingSettings {
  return Object.fromEntries(Object.entries(s).filter(([, v]) => v !== undefined));
}

/** Throw a mismatch as an Error naming the config key. */
export function throwMismatch(m: SamplerMismatch | null): void {
  if (m) throw new Error(`diffusion.${m.key}: ${m.message}`);
}
