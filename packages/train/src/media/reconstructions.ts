/** A VAE run's reconstruction sheet: the first clips of an evaluation batch beside their reconstructions. */
import { join } from 'node:path';
import * as tf from '@tensorflow/tfjs-core';
import type { Batch } from '@vtx/data';
import { stepName } from '@vtx/runs';
import { clipsOf } from '../objectives/objective.js';
import type { ReconstructObjective } from '../objectives/reconstruct.js';
import { writeSideBySide } from './side-by-side.js';

/** Clips of the first evaluation batch shown in a reconstruction GIF. */
const RECON_CLIPS = 8;

/** `<dir>/recon-step-N.gif|png` at update `step`: the first clips of `batch` beside their reconstructions. */
export async function writeReconstructions(
  objective: ReconstructObjective,
  batch: Batch,
  dir: string,
  step: number,
): Promise<void> {
  const [x, recon] = tf.tidy(() => {
    const all = clipsOf(tf, batch);
    const xs = tf.slice(all, 0, Math.min(RECON_CLIPS, all.shape[0]));
    return [xs, objective.reconstruct(xs)];
  });
  try {
    await writeSideBySide(join(dir, `recon-${stepName(step)}`), x, recon);
  } finally {
    tf.dispose([x, recon]);
  }
}
