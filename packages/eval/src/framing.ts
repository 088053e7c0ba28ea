/**
 * Framing: is the generated subject fully in frame? The bouncing-shapes generator never lets the subject touch
 * the border, so in real native-size clips it always is; centre-cropping to squares cuts it off in some clips,
 * and Sora reports that models trained on such crops generate subjects "only partially in view". This measures
 * it on any clip (real or generated), from pixels alone:
 *   background = per-channel median of the frame's border pixels (the subject is small, the background flat);
 *   foreground = pixels farther from the background (max over channels) than `threshold` (data units) and than
 *   half the frame's largest distance, i.e. more than about half covered by the subject (the generator
 *   anti-aliases, and its subjects come within half a pixel of the border);
 *   a frame "touches" the border when ≥ `borderPixels` foreground pixels lie on its outermost ring;
 *   the subject is fully in frame when no frame touches and every frame has ≥ `minPixels` foreground pixels.
 * The framing rate of a set of clips is the fraction fully in frame.
 */
import { frameForeground } from './motion.js';

export interface FramingOptions {
  /** Foreground threshold in data units ([-1, 1] clips: 0.3 ≈ 38 of 255 levels). */
  threshold?: number;
  borderPixels?: number;
  minPixels?: number;
}

export interface ClipFraming {
  inFrame: boolean;
  /** Frames whose foreground touches the border. */
  touching: number;
  /** Frames with (almost) no foreground: the subject vanished. */
  empty: number;
}

/** Framing of one clip, data (T, H, W, C) row-major in [-1, 1]. */
export function clipFraming(
  data: ArrayLike<number>,
  [t, h, w, c]: readonly [number, number, number, number],
  opts: FramingOptions = {},
): ClipFraming {
  const threshold = opts.threshold ?? 0.3;
  const borderPixels = opts.borderPixels ?? 2;
  const minPixels = opts.minPixels ?? 3;
  let touching = 0;
  let empty = 0;
  for (let f = 0; f < t; f++) {
    const { core } = frameForeground(data, f, [h, w, c], threshold);
    let count = 0;
    let onBorder = 0;
    core.forEach((d, i) => {
      if (!d) return;
      count++;
      const y = Math.floor(i / w);
      const x = i % w;
      if (y === 0 || y === h - 1 || x === 0 || x === w - 1) onBorder++;
    });
    if (onBorder >= borderPixels) touching++;
    if (count < minPixels) empty++;
  }
  return { inFrame: touching === 0 && empty === 0, touching, empty };
}

/** Fraction of clips (N, T, H, W, C) whose subject is fully in frame. */
export function framingRate(data: Float32Array, shape: readonly number[], opts: FramingOptions = {}): number {
  const [n, t, h, w, c] = shape as [number, number, number, number, number];
  const size = t * h * w * c;
  let ok = 0;
  for (let i = 0; i < n; i++) {
    if (clipFraming(data.subarray(i * size, (i + 1) * size), [t, h, w, c], opts).inFrame) ok++;
  }
  return ok / n;
}
