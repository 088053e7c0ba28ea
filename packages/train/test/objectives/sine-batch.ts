/** A deterministic batch of clips for the diffusion objective's tests: sin(0.37 i) over the rows' values. */
import type { Batch } from '@vtx/data';

/**
 * `rows` clips of shape `clip` starting at row `offset` of one endless sine (so two halves of a batch equal the
 * whole), ids `c<row>`, and the labels `row % labels` when `labels` is given (else none).
 */
export function sineBatch(clip: readonly number[], rows: number, offset = 0, labels?: number): Batch {
  const size = clip.reduce((a, b) => a * b, 1);
  const clips = Float32Array.from({ length: rows * size }, (_, i) => Math.sin(0.37 * (i + offset * size)));
  return {
    epoch: 0,
    index: 0,
    bucket: 0,
    clips,
    shape: [rows, ...clip],
    clipShape: [...clip],
    labels: labels ? Int32Array.from({ length: rows }, (_, i) => (offset + i) % labels) : null,
    captions: null,
    attributes: null,
    ids: Array.from({ length: rows }, (_, i) => `c${offset + i}`),
  } as unknown as Batch;
}
