/**
 * A closed-form reader of continuations of bouncing-shapes clips (frame conditioning, docs/frame-conditioning.md):
 * given some frames of a clip and generated others, does the generated part carry on what the given part shows?
 * Every question is read from pixels with the motion reader's foreground (`motion.ts`):
 *   subject     per frame: one subject (one 8-connected foreground blob, nothing else off the background), its
 *               centre (the foreground-weighted centroid), colour (its pixel farthest from the background) and area;
 *   continues   the generated frames show one subject of the given subject's colour (within `colourTolerance` per
 *               channel) and size (area within 3x), and its centre never jumps more than `maxStep` between
 *               neighbouring frames;
 *   motion      the displacement from the last given frame to the last generated one names the same motion class
 *               (larger axis, its sign) as the given frames' displacement (direction), at a per-frame speed within
 *               [1/2, 2]x theirs (speed); frames are listed in time order, or reversed for a backward extension;
 *   connects    between a given frame a and a given frame b, the generated centres advance along the segment from
 *               a's centre to b's (projections increasing, within maxStep / 2 of the line);
 *   colours     the nearest colour of the dataset's palette to a subject's colour or to the background.
 */
import { COLOUR_RGB, MOTION_CLASSES } from '@vtx/data';
import { components, frameForeground, type MotionOptions } from './motion.js';

/** One clip: data (T, H, W, C) row-major in [-1, 1]. */
export interface ClipData {
  data: ArrayLike<number>;
  shape: readonly [number, number, number, number];
}

export interface FrameSubject {
  /** One subject on a flat background. */
  one: boolean;
  /** Foreground centroid (y, x), or null when the frame has fewer than minPixels foreground pixels. */
  centre: [number, number] | null;
  /** Colour of the pixel farthest from the background (the subject's purest, away from its blended rim), data units; null with no centre. */
  colour: number[] | null;
  area: number;
  /** Per-channel median of the border ring, data units. */
  background: number[];
}

export interface ContinuationOptions extends MotionOptions {
  /** Largest jump of the subject's centre between neighbouring frames, pixels; default 0.3 · min(H, W). */
  maxStep?: number;
  /** Largest per-channel difference of the subject's colour from the given one, data units; default 0.4. */
  colourTolerance?: number;
}

/** The subject of frame f. */
export function frameSubject(clip: ClipData, f: number, opts: MotionOptions = {}): FrameSubject {
  const [, h, w, c] = clip.shape;
  const { core, any, background } = frameForeground(clip.data, f, [h, w, c], opts.threshold ?? 0.3);
  let [mass, sy, sx, area, peak, at] = [0, 0, 0, 0, 0, 0];
  core.forEach((v, i) => {
    if (!v) return;
    area++;
    mass += v;
    sy += v * Math.floor(i / w);
    sx += v * (i % w);
    if (v > peak) [peak, at] = [v, i];
  });
  const colour = Array.from({ length: c }, (_, ch) => clip.data[(f * h * w + at) * c + ch]!);
  const enough = area >= (opts.minPixels ?? 2);
  const small = area <= (opts.maxArea ?? 0.3) * h * w;
  return {
    one: enough && small && components(core, h, w) === 1 && components(any, h, w) === 1,
    centre: enough ? [sy / mass, sx / mass] : null,
    colour: enough ? colour : null,
    area,
    background,
  };
}

const stepOf = (clip: ClipData, opts: ContinuationOptions) =>
  opts.maxStep ?? 0.3 * Math.min(clip.shape[1], clip.shape[2]);

const dist = (a: readonly number[], b: readonly number[]) => Math.hypot(a[0]! - b[0]!, a[1]! - b[1]!);

/**
 * Frames `frames` (in time order away from `from`) continue the subject of frame `from`: one subject in each, of its
 * colour and size, with no jump larger than maxStep from one to the next.
 */
export function continuesSubject(
  clip: ClipData,
  from: number,
  frames: readonly number[],
  opts: ContinuationOptions = {},
): boolean {
  const given = frameSubject(clip, from, opts);
  if (!given.one || !given.centre) return false;
  const tol = opts.colourTolerance ?? 0.4;
  let prev = given.centre;
  for (const f of frames) {
    const s = frameSubject(clip, f, opts);
    if (!s.one || !s.centre || !s.colour) return false;
    if (s.colour.some((v, ch) => Math.abs(v - given.colour![ch]!) > tol)) return false;
    if (s.area > 3 * given.area || 3 * s.area < given.area) return false; // a small shape's core varies 2-5 px
    if (dist(s.centre, prev) > stepOf(clip, opts)) return false;
    prev = s.centre;
  }
  return true;
}

/** The motion class (an index into MOTION_CLASSES) of a displacement (dy, dx): its larger axis and sign; -1 if none. */
export function motionClass(dy: number, dx: number): number {
  if (!Number.isFinite(dy + dx) || (dy === 0 && dx === 0)) return -1;
  const name =
    Math.abs(dx) >= Math.abs(dy)
      ? dx >= 0
        ? 'left-to-right'
        : 'right-to-left'
      : dy >= 0
        ? 'top-to-bottom'
        : 'bottom-to-top';
  return MOTION_CLASSES.indexOf(name);
}

/**
 * Whether generated frames keep the motion of given ones. `given` (at least two) and `generated` are frame indices
 * in the order the extension runs (time order forward; reversed backward, so "direction" is the direction in which
 * the extension runs). direction: the displacement from the last given frame to the last generated one has the
 * given displacement's motion class; speed: its per-frame length is within [1/2, 2]x the given one's.
 */
export function keepsMotion(
  clip: ClipData,
  given: readonly number[],
  generated: readonly number[],
  opts: MotionOptions = {},
): { direction: boolean; speed: boolean } {
  const centre = (f: number) => frameSubject(clip, f, opts).centre;
  const [g0, g1, end] = [
    centre(given[0]!),
    centre(given[given.length - 1]!),
    centre(generated[generated.length - 1]!),
  ];
  if (!g0 || !g1 || !end) return { direction: false, speed: false };
  const gv = [(g1[0] - g0[0]) / (given.length - 1), (g1[1] - g0[1]) / (given.length - 1)];
  const d = [(end[0] - g1[0]) / generated.length, (end[1] - g1[1]) / generated.length];
  const direction =
    motionClass(gv[0]!, gv[1]!) >= 0 && motionClass(d[0]!, d[1]!) === motionClass(gv[0]!, gv[1]!);
  const ratio = Math.hypot(d[0]!, d[1]!) / Math.hypot(gv[0]!, gv[1]!);
  return { direction, speed: direction && ratio >= 0.5 && ratio <= 2 };
}

/**
 * The generated frames `between` (in time order) connect given frame `a` to given frame `b`: the subject continues
 * from a, and its centres advance along the segment from a's centre to b's (strictly increasing projections in
 * (-0.25, 1.25) of its length, within maxStep / 2 of the line).
 */
export function connects(
  clip: ClipData,
  a: number,
  b: number,
  between: readonly number[],
  opts: ContinuationOptions = {},
): boolean {
  if (!continuesSubject(clip, a, [...between, b], opts)) return false;
  const pa = frameSubject(clip, a, opts).centre!;
  const pb = frameSubject(clip, b, opts).centre!;
  const seg = [pb[0] - pa[0], pb[1] - pa[1]];
  const len = Math.hypot(seg[0]!, seg[1]!);
  let last = 0;
  for (const f of between) {
    const p = frameSubject(clip, f, opts).centre!;
    const rel = [p[0] - pa[0], p[1] - pa[1]];
    if (len < 1) {
      if (Math.hypot(rel[0]!, rel[1]!) > stepOf(clip, opts) / 2) return false;
      continue;
    }
    const s = (rel[0]! * seg[0]! + rel[1]! * seg[1]!) / (len * len);
    const off = Math.abs(rel[0]! * seg[1]! - rel[1]! * seg[0]!) / len;
    if (s <= last - 1e-9 || s < -0.25 || s > 1.25 || off > stepOf(clip, opts) / 2) return false;
    last = s;
  }
  return true;
}

/** The palette colour (of `names`, COLOUR_RGB) nearest to `rgb` in data units [-1, 1]. */
export function nearestColour<N extends keyof typeof COLOUR_RGB>(
  rgb: readonly number[],
  names: readonly N[],
): N {
  const d = (n: N) => Math.hypot(...COLOUR_RGB[n].map((v, ch) => v - ((rgb[ch]! + 1) / 2) * 255));
  return names.reduce((best, n) => (d(n) < d(best) ? n : best));
}
