/**
 * The floor of the judge's Fréchet distance: the distance from the reference clips' features to those of a second
 * set of real clips of the same data, as many, sharing no row with the reference. Samples drawn from the data's own
 * distribution would score about this, not 0 — the estimate is biased upward at small N (./frechet.ts) — so a
 * sample score reads as `frechet / floor` (the ratio), at the same N.
 *
 * The second set is the first N rows of the same data config whose ids the reference does not have: one rule for
 * built-in and on-disk datasets, and disjointness checked on the row ids rather than assumed. A built-in dataset
 * (synthetic, native-shapes, moving-mnist, occlusion) generates clip i from (seed, i) alone and names it
 * `<name>/<i>`, so its count raised to 2N keeps rows [0, N) — the reference — and adds rows [N, 2N): new draws of
 * the same distribution (the same seed, split, holdout patterns, image pool), not other data. Another seed would
 * draw from the same distribution too, but its ids repeat the reference's (`<name>/<i>` again), so nothing could
 * check that the sets differ. Moving MNIST draws its digit images with replacement from one pool of 10,000, so an
 * image may recur in both sets (elsewhere on the canvas), as it may twice within one set: that is the distribution
 * being compared, not a shared row. A dataset directory must hold 2N rows; with fewer there is no floor (null).
 */
import { BuiltinDataset, type DataConfigInput } from '@vtx/data';
import { judgeFrechet, realFeatures, type Judge, type ReferenceSet } from './judge.js';

/** The data config whose first rows, less the reference's, are the second real set: a built-in's count raised to 2N. */
export function floorData(data: DataConfigInput, n: number): DataConfigInput {
  if (typeof data.dataset === 'string') return data;
  const spec = BuiltinDataset.parse(data.dataset ?? { kind: 'synthetic' });
  return { ...data, dataset: { ...spec, count: Math.max(spec.count, 2 * n) } };
}

export interface FrechetFloor {
  /** Fréchet distance between the judge features of the reference and of the second real set (>= 0). */
  floor: number;
  /** The second set's judge features and rows (its `ids` share none with the reference's). */
  second: ReferenceSet;
}

/**
 * The Fréchet floor of `ref` (read from `data` by `realFeatures`): the second real set's features against the
 * reference's, at the reference's count. Null when the data has fewer than 2N rows (a dataset directory).
 */
export async function frechetFloor(
  judge: Pick<Judge, 'model' | 'clip' | 'heads' | 'kind'>,
  data: DataConfigInput,
  ref: ReferenceSet,
): Promise<FrechetFloor | null> {
  const seen = new Set(ref.ids);
  const second = await realFeatures(judge, floorData(data, ref.n), ref.n, seen);
  if (second.n < ref.n || ref.n < 2) return null;
  return { floor: judgeFrechet(second, ref), second };
}

/** `frechet / floor`, or null without a floor (or a floor of 0, where the ratio says nothing). */
export function frechetRatio(frechet: number, floor: number | null): number | null {
  return floor !== null && floor > 0 ? frechet / floor : null;
}
