/**
 * The rules that make a side-by-side timing honest on a shared machine (bench/run.ts applies them):
 *   - implementations alternate A B A B … so that a change of load hits each of them alike (`alternation`);
 *   - each implementation is reported by its best and its median round (`summarize`);
 *   - the load average is read before and after; a ratio is printed only when the 1-minute load average was at
 *     most 0.5 per core before the start, and otherwise withheld with the reason (`loadGate`): under load the
 *     peer's OpenMP threads slow down more than vtx's pool, so a loaded ratio flatters vtx (3-4.5x loaded,
 *     1.0-1.3x quiet, issue 18);
 *   - a GPU emulated on the CPU (SwiftShader, a `webgpu` software adapter) is never compared with PyTorch: its
 *     timings say nothing about a GPU, and it competes with the peer for the same cores (`ratio`'s `emulated`).
 */

/** The most 1-minute load average per core at which a ratio is still printed. */
export const QUIET_LOAD_PER_CORE = 0.5;

export interface LoadGate {
  loadavg1m: number;
  cores: number;
  perCore: number;
  quiet: boolean;
  /** Why ratios are withheld; absent when quiet. */
  reason?: string;
}

/** Whether a machine with this 1-minute load average is quiet enough for a ratio. */
export function loadGate(loadavg1m: number, cores: number): LoadGate {
  if (!(cores >= 1)) throw new Error(`loadGate: cores must be >= 1, got ${cores}`);
  const perCore = +(loadavg1m / cores).toFixed(3);
  const quiet = perCore <= QUIET_LOAD_PER_CORE;
  return {
    loadavg1m: +loadavg1m.toFixed(2),
    cores,
    perCore,
    quiet,
    ...(quiet
      ? {}
      : {
          reason:
            `load average ${loadavg1m.toFixed(2)} on ${cores} cores (${perCore.toFixed(2)} per core) exceeded ` +
            `${QUIET_LOAD_PER_CORE} per core before the start: ratios withheld, the machine is not quiet`,
        }),
  };
}

/** The order of `rounds` rounds over `impls`: A B A B … (every round runs each implementation once). */
export function alternation<T>(impls: readonly T[], rounds: number): T[] {
  if (!Number.isInteger(rounds) || rounds < 1)
    throw new Error(`rounds must be a positive integer, got ${rounds}`);
  return Array.from({ length: rounds }, () => [...impls]).flat();
}

export interface Summary {
  best: number;
  median: number;
  rounds: number;
}

/** Best (smallest) and median of a list of seconds per step; the median of an even count is the mean of the two middle ones. */
export function summarize(values: readonly number[]): Summary {
  if (!values.length) throw new Error('summarize: no values');
  if (values.some((v) => !Number.isFinite(v)))
    throw new Error(`summarize: non-finite value in [${values.join(', ')}]`);
  const s = [...values].sort((a, b) => a - b);
  const mid = s.length >> 1;
  const median = s.length % 2 ? s[mid]! : (s[mid - 1]! + s[mid]!) / 2;
  return { best: s[0]!, median, rounds: s.length };
}

/**
 * PyTorch's seconds per step over ours (> 1: vtx is faster), or the reason it is withheld. `emulated` names the
 * software GPU adapter ours ran on, if any.
 */
export function ratio(
  peer: Summary | undefined,
  ours: Summary,
  gate: LoadGate,
  emulated?: string,
): { ratioBest: number; ratioMedian: number } | { ratioWithheld: string } {
  if (emulated) return { ratioWithheld: `emulated GPU (${emulated}): never compared with PyTorch` };
  if (!peer) return { ratioWithheld: 'no PyTorch measurement' };
  if (!gate.quiet) return { ratioWithheld: gate.reason! };
  return {
    ratioBest: +(peer.best / ours.best).toFixed(3),
    ratioMedian: +(peer.median / ours.median).toFixed(3),
  };
}
