/**
 * ViViT's multi-view test (Arnab et al. 2021, §4.1: "we process multiple views of a longer video and average
 * per-view logits"; its Kinetics results use 4 temporal views x 3 spatial crops): a clip longer than the frames the
 * model trained on is split into `views` evenly spaced temporal windows, and a clip larger than the trained size
 * into `crops` spatial crops evenly spaced along its longer axis (the other axis centred; SlowFast's
 * `uniform_crop`, which with 3 crops takes the start, the centre and the end). The model sees every window x crop
 * and the logits are averaged. One view (or one crop) of a longer clip is the centred window (or crop).
 */
import * as tf from '@tensorflow/tfjs-core';

/** Starts of `n` windows of `window` in `length`, evenly spaced from 0 to length - window (one: centred). */
export function viewStarts(length: number, window: number, n: number): number[] {
  const room = length - window;
  if (room < 0) throw new RangeError(`a view of ${window} does not fit in ${length}`);
  if (room === 0) return [0];
  if (n <= 1) return [Math.floor(room / 2)];
  return Array.from({ length: n }, (_, i) => Math.round((i * room) / (n - 1)));
}

/**
 * Top-left corners [y, x] of `n` crops of h x w from an H x W frame: evenly spaced along the axis with more room,
 * centred on the other (SlowFast's uniform_crop generalised to n crops).
 */
export function cropCorners(
  frame: readonly [number, number],
  crop: readonly [number, number],
  n: number,
): [number, number][] {
  const [roomY, roomX] = [frame[0] - crop[0], frame[1] - crop[1]];
  if (roomY < 0 || roomX < 0)
    throw new RangeError(`a ${crop.join('x')} crop does not fit in a ${frame.join('x')} frame`);
  if (roomY === 0 && roomX === 0) return [[0, 0]];
  const alongY = roomY > roomX;
  const spread = viewStarts(alongY ? frame[0] : frame[1], alongY ? crop[0] : crop[1], n);
  const centre = Math.floor((alongY ? roomX : roomY) / 2);
  return spread.map((s) => (alongY ? [s, centre] : [centre, s]));
}

export interface ViewOptions {
  /** Frames the model takes (null: whatever the clip has). */
  frames: number | null;
  /** Height and width the model takes (null: whatever the clip has). */
  size: readonly [number, number] | null;
  /** Temporal windows of a longer clip. */
  views: number;
  /** Spatial crops of a larger clip. */
  crops: number;
}

/** The windows and crops of a (B, T, H, W, C) clip: window length, crop size, window starts, crop corners. */
export function viewPlan(
  shape: readonly number[],
  o: ViewOptions,
): { frames: number; size: [number, number]; starts: number[]; corners: [number, number][] } {
  const [, t, h, w] = shape as [number, number, number, number];
  const frames = o.frames && t > o.frames ? o.frames : t;
  const size: [number, number] = o.size ? [Math.min(h, o.size[0]), Math.min(w, o.size[1])] : [h, w];
  return {
    frames,
    size,
    starts: viewStarts(t, frames, o.views),
    corners: cropCorners([h, w], size, o.crops),
  };
}

/** Logits (B, K) of `apply` averaged over the temporal windows x spatial crops of x (B, T, H, W, C). */
export function multiViewLogits(apply: (x: tf.Tensor) => tf.Tensor, x: tf.Tensor, o: ViewOptions): tf.Tensor {
  return tf.tidy(() => {
    const { frames, size, starts, corners } = viewPlan(x.shape, o);
    const whole = frames === x.shape[1] && size[0] === x.shape[2] && size[1] === x.shape[3];
    const logits = starts.flatMap((s) =>
      corners.map(([y, xx]) =>
        apply(whole ? x : tf.slice(x, [0, s, y, xx, 0], [-1, frames, size[0], size[1], -1])),
      ),
    );
    return logits.length === 1 ? logits[0]! : tf.div(tf.addN(logits), logits.length);
  });
}
