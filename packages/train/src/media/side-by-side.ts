/** Reconstruction GIFs: each input clip beside its reconstruction (input | 1-px gap | reconstruction). */
import * as tf from '@tensorflow/tfjs-core';
import { writeGifGrid, writePngSheet, type ClipArray } from '@vtx/media';

/** Write `<stem>.gif` and `<stem>.png` of inputs and reconstructions (N, T, H, W, C) in [-1, 1]. */
export async function writeSideBySide(stem: string, input: tf.Tensor, recon: tf.Tensor): Promise<string[]> {
  const pair = tf.tidy(() => {
    const [n, t, h, , c] = input.shape as number[];
    const gap = tf.ones([n!, t!, h!, 1, c!]);
    return tf.concat([input, gap, tf.clipByValue(recon, -1, 1)], 3);
  });
  const clips: ClipArray = {
    data: (await pair.data()) as Float32Array,
    shape: pair.shape as ClipArray['shape'],
  };
  pair.dispose();
  await writeGifGrid(`${stem}.gif`, clips, { cols: Math.min(4, clips.shape[0]) });
  await writePngSheet(`${stem}.png`, clips);
  return [`${stem}.gif`, `${stem}.png`];
}
