/**
 * Deterministic stand-in checkpoints for I/O fault tests: tensor groups whose values are a function of the step,
 * so a test can tell which save a loaded checkpoint came from and that no byte of it changed.
 */
import type { CheckpointData, TensorGroup } from '@vtx/checkpoint';

function group(step: number, salt: number, sizes: readonly number[]): TensorGroup {
  const tensors = Object.fromEntries(
    sizes.map((n, i) => {
      const data = new Float32Array(n).map((_, j) => step + salt * 0.001 + i * 0.01 + j * 1e-5);
      return [`t${i}`, { dtype: 'F32' as const, shape: [n], data }];
    }),
  );
  return { tensors, metadata: { step: String(step) } };
}

/** A checkpoint at `step` with weights/optimizer/ema groups of `floats` float32 values each (split in 3 tensors). */
export function syntheticCheckpoint(step: number, floats = 3000): CheckpointData {
  const sizes = [
    Math.ceil(floats / 2),
    Math.ceil(floats / 3),
    floats - Math.ceil(floats / 2) - Math.ceil(floats / 3),
  ];
  return {
    step,
    groups: { weights: group(step, 1, sizes), optimizer: group(step, 2, sizes), ema: group(step, 3, sizes) },
    metrics: { 'val/loss': 1 / (step + 1) },
    state: { step, note: 'synthetic' },
  };
}
