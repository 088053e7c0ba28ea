/**
 * The closed-form readers of generated samples (no judge run), chosen by the evaluation dataset's kind — what
 * `eval.judge` reports from pixels alone, beside a judge's metrics or instead of them:
 *   occlusion            the coherence reader (./coherence.ts): sample/permanence (fraction of samples whose subject
 *                        re-emerges from behind the bar unchanged where its motion predicts), sample/consistency
 *                        (colour and size constant over every visible frame) and sample/occluded (fraction with an
 *                        occlusion episode at all: hidden, visible before and after); each 1.0 on real clips
 *   synthetic,           the motion reader (./motion.ts): sample/one-subject (one subject in every frame) and, when
 *   native-shapes        the samples were asked for a motion, sample/direction-acc
 * Bouncing shapes are recognised by their labels (the motion classes; latents of shapes clips too), but the occlusion
 * dataset's labels are the motion classes as well, so its kind decides first (a dataset given by path reads its kind
 * from its index.json's builder). Other datasets have no closed-form reader.
 */
import type * as tf from '@tensorflow/tfjs-core';
import { MOTION_CLASSES } from '@vtx/data';
import type { Condition } from '@vtx/models';
import { coherenceScore } from './coherence.js';
import type { ReferenceRows } from './judge.js';
import { motionScore } from './motion.js';

/** Dataset kinds with a closed-form reader, so `eval.judge` needs no judge run for them. */
export const CLOSED_FORM_KINDS = ['synthetic', 'native-shapes', 'occlusion'] as const;

type Rows = Pick<ReferenceRows, 'attributes' | 'labelNames' | 'kind'>;

/** Whether rows of this dataset have a closed-form reader. */
export const hasClosedForm = (rows: Pick<Rows, 'kind' | 'labelNames'>): boolean =>
  rows.kind === 'occlusion' || isShapes(rows);

// bouncing shapes: the motion classes as labels (so latents of shapes clips count too), unless the kind is
// occlusion, whose labels are the motion classes as well
const isShapes = (rows: Pick<Rows, 'kind' | 'labelNames'>): boolean =>
  rows.kind !== 'occlusion' &&
  rows.labelNames !== null &&
  rows.labelNames.length === MOTION_CLASSES.length &&
  rows.labelNames.every((v, i) => v === MOTION_CLASSES[i]);

/**
 * The closed-form metrics of samples x (N, T, H, W, C) in [-1, 1] for the evaluation data the rows come from; `classes`
 * are what class-conditional samples were asked for. Empty when the data has no closed-form reader.
 */
export async function closedFormMetrics(
  x: tf.Tensor,
  cond: Condition,
  classes: readonly number[],
  rows: Rows,
): Promise<Record<string, number>> {
  if (rows.kind === 'occlusion') {
    const s = coherenceScore((await x.data()) as Float32Array, x.shape);
    return {
      'sample/permanence': s.permanence,
      'sample/consistency': s.consistency,
      'sample/occluded': s.occluded,
    };
  }
  if (!isShapes(rows)) return {};
  const asked =
    cond.kind === 'class'
      ? classes
      : cond.kind === 'caption'
        ? rows.attributes.map((a) => MOTION_CLASSES.indexOf(a['direction'] ?? ''))
        : [];
  const s = motionScore(
    (await x.data()) as Float32Array,
    x.shape,
    asked.length && asked.every((c) => c >= 0) ? asked : [],
  );
  return {
    'sample/one-subject': s.oneSubject,
    ...(s.directionAcc === null ? {} : { 'sample/direction-acc': s.directionAcc }),
  };
}
