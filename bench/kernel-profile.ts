/**
 * One step's kernels from `tf.profile`, as the profilers print them (bench/train-step.ts --profile,
 * bench/config-profile.ts): a JSON line with the total kernel time and count beside the caller's fields, then the
 * 25 most expensive kernels by name with their time and number of calls.
 */
import type * as tf from '@tensorflow/tfjs-core';

export function printKernelProfile(
  prof: Awaited<ReturnType<typeof tf.profile>>,
  fields: Record<string, unknown>,
): void {
  const byKernel = new Map<string, { ms: number; calls: number }>();
  for (const k of prof.kernels) {
    const e = byKernel.get(k.name) ?? { ms: 0, calls: 0 };
    e.ms += k.kernelTimeMs as number;
    e.calls++;
    byKernel.set(k.name, e);
  }
  const total = [...byKernel.values()].reduce((a, e) => a + e.ms, 0);
  console.log(JSON.stringify({ ...fields, kernelMs: +total.toFixed(1), kernels: prof.kernels.length }));
  for (const [name, e] of [...byKernel].sort((p, q) => q[1].ms - p[1].ms).slice(0, 25))
    console.log(`${name.padEnd(28)} ${e.ms.toFixed(1).padStart(9)} ms ${String(e.calls).padStart(6)} calls`);
}
