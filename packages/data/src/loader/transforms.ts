/**
 * Clip transforms, applied per clip in the loader's worker: temporal sampling (uniform stride, random
 * or fixed offset, tubelet-aligned length), a spatial crop box (random-resized, centre, resize) resampled
 * bilinearly, horizontal flip, normalisation to float32, and optional patchify. Random choices come
 * from an Rng keyed by (seed, epoch, row), one draw set per clip, so every frame of a clip gets the same
 * box and flip, and a resumed loader repeats them exactly.
 *
 * Layout: input (T, H, W, C) row-major; output (T', H', W', C), or with patchify [pt, ph, pw] the
 * tokens (T'/pt, H'/ph, W'/pw, pt·ph·pw·C) in the same order as @vtx/core's `patchify`.
 */
import type { CropConfig, NormalizeConfig, TransformConfig } from '../config.js';
import type { ClipDType, ClipShape } from '../format/schema.js';
import type { Rng } from '../rng.js';

/** A source crop box in pixels. */
export interface Box {
  y: number;
  x: number;
  h: number;
  w: number;
}

/** What to take from one clip: source frame indices, crop box, flip. */
export interface ClipSample {
  frames: number[];
  box: Box;
  flip: boolean;
}

/** The output size a clip is transformed to (one bucket), and the crop that gets it there (null: none). */
export interface Target {
  frames: number;
  height: number;
  width: number;
  crop: CropConfig | null;
}

/** Frames a window of `frames` samples at `stride` spans. */
export function span(frames: number, stride: number): number {
  return (frames - 1) * stride + 1;
}

/** Output frames of a T-frame clip when `transforms.frames` is not set: all strided frames, tubelet-aligned. */
export function defaultFrames(t: number, tf: TransformConfig): number {
  const all = Math.floor((t - 1) / tf.stride) + 1;
  return Math.floor(all / tf.tubelet) * tf.tubelet;
}

/** `frames` source indices with uniform `stride`, starting at a random, first or centred offset. */
export function temporalIndices(
  t: number,
  frames: number,
  stride: number,
  offset: TransformConfig['offset'],
  rng: Rng,
): number[] {
  const room = t - span(frames, stride);
  if (room < 0)
    throw new RangeError(`clip of ${t} frames is shorter than ${frames} frames at stride ${stride}`);
  const start = offset === 'random' ? rng.int(room + 1) : offset === 'center' ? Math.floor(room / 2) : 0;
  return Array.from({ length: frames }, (_, i) => start + i * stride);
}

/** The source box for `crop` on an H x W frame (the whole frame when there is no crop). */
export function cropBox(
  crop: CropConfig | undefined,
  h: number,
  w: number,
  target: { height: number; width: number },
  rng: Rng,
): Box {
  if (!crop || crop.kind === 'resize') return { y: 0, x: 0, h, w };
  if (crop.kind === 'random-resized') {
    // torchvision RandomResizedCrop.get_params: 10 tries, then the centre crop.
    const [lr0, lr1] = [Math.log(crop.ratio[0]), Math.log(crop.ratio[1])];
    for (let k = 0; k < 10; k++) {
      const area = h * w * rng.uniform(crop.scale[0], Math.min(1, crop.scale[1]));
      const aspect = Math.exp(rng.uniform(lr0, lr1));
      const bw = Math.round(Math.sqrt(area * aspect));
      const bh = Math.round(Math.sqrt(area / aspect));
      if (bw > 0 && bh > 0 && bw <= w && bh <= h)
        return { y: rng.int(h - bh + 1), x: rng.int(w - bw + 1), h: bh, w: bw };
    }
  }
  // Largest centred box with the target's aspect ratio.
  const ratio = target.width / target.height;
  const [bh, bw] =
    w / h > ratio ? [h, Math.max(1, Math.round(h * ratio))] : [Math.max(1, Math.round(w / ratio)), w];
  return { y: Math.floor((h - bh) / 2), x: Math.floor((w - bw) / 2), h: bh, w: bw };
}

/** Draw one clip's sample (frames, box, flip) in a fixed order from `rng`. */
export function sampleClip(tf: TransformConfig, shape: ClipShape, target: Target, rng: Rng): ClipSample {
  const [t, h, w] = shape;
  const frames = temporalIndices(t, target.frames, tf.stride, tf.offset, rng);
  const box = cropBox(target.crop ?? undefined, h, w, target, rng);
  const flip = tf.flip ? rng.next() < 0.5 : false;
  return { frames, box, flip };
}

/** Per-channel affine v -> v * scale[c] + bias[c] for the normalisation. */
export function normalization(
  norm: NormalizeConfig | undefined,
  dtype: ClipDType,
  channels: number,
): { scale: Float64Array; bias: Float64Array } {
  const scale = new Float64Array(channels).fill(1);
  const bias = new Float64Array(channels);
  const n = norm ?? (dtype === 'uint8' ? { kind: 'range', low: -1, high: 1 } : { kind: 'none' });
  const unit = dtype === 'uint8' ? 1 / 255 : 1;
  switch (n.kind) {
    case 'range':
      if (dtype !== 'uint8')
        throw new RangeError(
          `normalize 'range' maps uint8 [0, 255]; float32 latents need 'none' or 'meanStd'`,
        );
      scale.fill((n.high - n.low) / 255);
      bias.fill(n.low);
      break;
    case 'meanStd':
      for (let c = 0; c < channels; c++) {
        const mean = n.mean.length === 1 ? n.mean[0]! : n.mean[c];
        const std = n.std.length === 1 ? n.std[0]! : n.std[c];
        if (mean === undefined || std === undefined)
          throw new RangeError(
            `normalize meanStd has ${n.mean.length} means / ${n.std.length} stds for ${channels} channels`,
          );
        scale[c] = unit / std;
        bias[c] = -mean / std;
      }
      break;
    case 'none':
      break;
  }
  return { scale, bias };
}

/** Source index and weight of each output coordinate along one axis (bilinear, half-pixel centres). */
function axis(
  out: number,
  start: number,
  len: number,
  size: number,
  flip: boolean,
): { i0: Int32Array; i1: Int32Array; wt: Float32Array } {
  const i0 = new Int32Array(out);
  const i1 = new Int32Array(out);
  const wt = new Float32Array(out);
  for (let o = 0; o < out; o++) {
    const q = flip ? out - 1 - o : o;
    const s = Math.min(size - 1, Math.max(0, start + ((q + 0.5) * len) / out - 0.5));
    const a = Math.floor(s);
    i0[o] = a;
    i1[o] = Math.min(a + 1, size - 1);
    wt[o] = s - a;
  }
  return { i0, i1, wt };
}

/**
 * Write one transformed clip into `dst` at element offset `at`: frames `sample.frames` of `src`
 * (T, H, W, C), box resampled to H' x W', flipped, normalised, optionally patchified.
 */
export function applyClip(
  src: Uint8Array | Float32Array,
  shape: ClipShape,
  sample: ClipSample,
  out: { height: number; width: number },
  norm: { scale: Float64Array; bias: Float64Array },
  patch: readonly [number, number, number] | null,
  dst: Float32Array,
  at: number,
): void {
  const [, h, w, c] = shape;
  const { height: ho, width: wo } = out;
  const to = sample.frames.length;
  const ys = axis(ho, sample.box.y, sample.box.h, h, false);
  const xs = axis(wo, sample.box.x, sample.box.w, w, sample.flip);
  const [pt, ph, pw] = patch ?? [1, 1, 1];
  const gh = ho / ph;
  const gw = wo / pw;
  const p = pt * ph * pw * c;
  for (let f = 0; f < to; f++) {
    const fb = (sample.frames[f] as number) * h * w * c;
    for (let y = 0; y < ho; y++) {
      const r0 = fb + (ys.i0[y] as number) * w * c;
      const r1 = fb + (ys.i1[y] as number) * w * c;
      const wy = ys.wt[y] as number;
      for (let x = 0; x < wo; x++) {
        const c0 = (xs.i0[x] as number) * c;
        const c1 = (xs.i1[x] as number) * c;
        const wx = xs.wt[x] as number;
        // Destination of element (f, y, x, 0): plain (T', H', W', C) or the patch token layout.
        const o = patch
          ? at +
            ((Math.floor(f / pt) * gh + Math.floor(y / ph)) * gw + Math.floor(x / pw)) * p +
            (((f % pt) * ph + (y % ph)) * pw + (x % pw)) * c
          : at + ((f * ho + y) * wo + x) * c;
        for (let k = 0; k < c; k++) {
          const top = (src[r0 + c0 + k] as number) * (1 - wx) + (src[r0 + c1 + k] as number) * wx;
          const bot = (src[r1 + c0 + k] as number) * (1 - wx) + (src[r1 + c1 + k] as number) * wx;
          const v = wy === 0 ? top : top * (1 - wy) + bot * wy;
          dst[o + k] = v * (norm.scale[k] as number) + (norm.bias[k] as number);
        }
      }
    }
  }
}
