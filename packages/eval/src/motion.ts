/**
 * A closed-form reader of bouncing-shapes clips, real or generated, from pixels alone (no learned judge):
 *   background  per frame, the per-channel median of the border ring (the subject is small, the background flat);
 *   foreground  pixels farther from the background (max over channels) than `threshold` and than half the frame's
 *               largest distance (framing.ts reads it too);
 *   subject     a frame shows one subject when its foreground is one 8-connected component of ≥ `minPixels` (2)
 *               and at most `maxArea` of the frame, and every pixel off the background by more than `threshold`
 *               is connected to it (a flat background);
 *   direction   the foreground centroid's displacement from the first to the last frame: the larger of |dx|, |dy|
 *               and its sign name one of the four motion classes (the generator moves the subject in a straight
 *               line along one axis, so on real clips this reads the label exactly).
 * For the default run (class = motion direction) it answers "do the samples look like the data?" in two numbers:
 * the fraction of samples that show one subject in every frame, and the fraction whose subject moves the way the
 * class asked.
 */
import { MOTION_CLASSES } from '@vtx/data';

export interface MotionOptions {
  /** Foreground threshold in data units ([-1, 1] clips: 0.3 ≈ 38 of 255 levels). */
  threshold?: number;
  /** Fewest foreground pixels of a subject (default 2: a small triangle at 16x16 has two pixels over half covered). */
  minPixels?: number;
  /** Largest subject, as a fraction of the frame (default 0.3; the generator's large shapes cover about 15 %). */
  maxArea?: number;
}

export interface ClipMotion {
  /** Every frame's foreground is one connected blob of ≥ minPixels. */
  oneSubject: boolean;
  /** The motion class the centroid track reads (an index into MOTION_CLASSES), or -1 when a frame is empty. */
  direction: number;
  /** Foreground centroid (y, x) per frame; NaN for an empty frame. */
  track: [number, number][];
}

/**
 * Frame f of a (T, H, W, C) clip in [-1, 1]: `core` holds the foreground's distances (0 elsewhere), `any` every
 * pixel off the background by more than the threshold (the core plus anti-aliased edges, or stray marks), and
 * `background` the per-channel median of the border ring.
 */
export function frameForeground(
  data: ArrayLike<number>,
  f: number,
  [h, w, c]: readonly [number, number, number],
  threshold: number,
): { core: Float32Array; any: Float32Array; background: number[] } {
  const base = f * h * w * c;
  const at = (y: number, x: number, ch: number) => data[base + (y * w + x) * c + ch]!;
  const ring: [number, number][] = [];
  for (let x = 0; x < w; x++) ring.push([0, x], [h - 1, x]);
  for (let y = 1; y < h - 1; y++) ring.push([y, 0], [y, w - 1]);
  const bg = Array.from({ length: c }, (_, ch) => {
    const v = ring.map(([y, x]) => at(y, x, ch)).sort((a, b) => a - b);
    return v[Math.floor(v.length / 2)]!;
  });
  const dist = new Float32Array(h * w);
  let peak = 0;
  for (let y = 0; y < h; y++)
    for (let x = 0; x < w; x++) {
      let d = 0;
      for (let ch = 0; ch < c; ch++) d = Math.max(d, Math.abs(at(y, x, ch) - bg[ch]!));
      dist[y * w + x] = d;
      peak = Math.max(peak, d);
    }
  const cut = Math.max(threshold, 0.5 * peak);
  return {
    core: dist.map((d) => (d > cut ? d : 0)),
    any: dist.map((d) => (d > threshold ? d : 0)),
    background: bg,
  };
}

/** Number of 8-connected components of the non-zero pixels of an h x w mask. */
export function components(mask: Float32Array, h: number, w: number): number {
  const seen = new Uint8Array(h * w);
  let n = 0;
  for (let s = 0; s < h * w; s++) {
    if (!mask[s] || seen[s]) continue;
    n++;
    const stack = [s];
    seen[s] = 1;
    while (stack.length) {
      const p = stack.pop()!;
      const py = Math.floor(p / w);
      const px = p % w;
      for (let dy = -1; dy <= 1; dy++)
        for (let dx = -1; dx <= 1; dx++) {
          const y = py + dy;
          const x = px + dx;
          if (y < 0 || y >= h || x < 0 || x >= w) continue;
          const q = y * w + x;
          if (mask[q] && !seen[q]) {
            seen[q] = 1;
            stack.push(q);
          }
        }
    }
  }
  return n;
}

/** Read one clip, data (T, H, W, C) row-major in [-1, 1]. */
export function clipMotion(
  data: ArrayLike<number>,
  [t, h, w, c]: readonly [number, number, number, number],
  opts: MotionOptions = {},
): ClipMotion {
  const threshold = opts.threshold ?? 0.3;
  const minPixels = opts.minPixels ?? 2;
  const maxArea = opts.maxArea ?? 0.3;
  let oneSubject = true;
  const track: [number, number][] = [];
  for (let f = 0; f < t; f++) {
    const { core: m, any } = frameForeground(data, f, [h, w, c], threshold);
    let mass = 0;
    let sy = 0;
    let sx = 0;
    let count = 0;
    m.forEach((v, i) => {
      if (!v) return;
      count++;
      mass += v;
      sy += v * Math.floor(i / w);
      sx += v * (i % w);
    });
    // one subject: one core blob, and nothing else off the background (its anti-aliased rim touches the core)
    const small = count <= maxArea * h * w; // a subject, not a field of noise that happens to connect
    if (count < minPixels || !small || components(m, h, w) !== 1 || components(any, h, w) !== 1)
      oneSubject = false;
    track.push(count < minPixels ? [NaN, NaN] : [sy / mass, sx / mass]);
  }
  const [y0, x0] = track[0]!;
  const [y1, x1] = track[t - 1]!;
  const dx = x1 - x0;
  const dy = y1 - y0;
  const name = !Number.isFinite(dx + dy)
    ? null
    : Math.abs(dx) >= Math.abs(dy)
      ? dx >= 0
        ? 'left-to-right'
        : 'right-to-left'
      : dy >= 0
        ? 'top-to-bottom'
        : 'bottom-to-top';
  return { oneSubject, direction: name === null ? -1 : MOTION_CLASSES.indexOf(name), track };
}

export interface MotionScore {
  /** Fraction of clips showing one subject in every frame. */
  oneSubject: number;
  /** Fraction of clips whose subject moves in the asked-for class (only when classes are given). */
  directionAcc: number | null;
}

/** Score clips (N, T, H, W, C) in [-1, 1]; `classes[i]` is the motion class clip i was asked for. */
export function motionScore(
  data: Float32Array,
  shape: readonly number[],
  classes: readonly number[] = [],
  opts: MotionOptions = {},
): MotionScore {
  const [n, t, h, w, c] = shape as [number, number, number, number, number];
  const size = t * h * w * c;
  let one = 0;
  let right = 0;
  for (let i = 0; i < n; i++) {
    const m = clipMotion(data.subarray(i * size, (i + 1) * size), [t, h, w, c], opts);
    if (m.oneSubject) one++;
    if (classes.length && m.direction === classes[i % classes.length]) right++;
  }
  return { oneSubject: one / n, directionAcc: classes.length ? right / n : null };
}
