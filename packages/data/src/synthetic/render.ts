/**
 * Rasterising one bouncing-shapes clip: a filled shape on a flat background, anti-aliased by 4x4
 * supersampling, moving on a straight line at constant speed. Pure and deterministic.
 */
import { COLOUR_RGB, SIZE_FRACTION, SPEED_FRACTION, type ShapeAttributes } from './attributes.js';

/** Centre of the shape in frame t (pixel units, x right, y down) and its half-extent. */
export interface Trajectory {
  x0: number;
  y0: number;
  x1: number;
  y1: number;
  r: number;
}

/**
 * The straight path for `a` in an H x W frame: the shape crosses `SPEED_FRACTION` of the free room
 * along the motion axis and never touches the border; `u`, `v` in [0, 1) place it.
 */
export function trajectory(a: ShapeAttributes, h: number, w: number, u: number, v: number): Trajectory {
  const r = SIZE_FRACTION[a.size] * Math.min(h, w);
  const horizontal = a.direction === 'left-to-right' || a.direction === 'right-to-left';
  const along = horizontal ? w : h;
  const across = horizontal ? h : w;
  const room = along - 2 * r - 1;
  const travel = room * SPEED_FRACTION[a.speed];
  const start = r + 0.5 + u * (room - travel);
  const side = r + 0.5 + v * (across - 2 * r - 1);
  const [s, e] =
    a.direction === 'left-to-right' || a.direction === 'top-to-bottom'
      ? [start, start + travel]
      : [start + travel, start];
  return horizontal ? { x0: s, y0: side, x1: e, y1: side, r } : { x0: side, y0: s, x1: side, y1: e, r };
}

/** Is (dx, dy), relative to the centre, inside the shape of half-extent r? */
function inside(shape: ShapeAttributes['shape'], dx: number, dy: number, r: number): boolean {
  switch (shape) {
    case 'circle':
      return dx * dx + dy * dy <= r * r;
    case 'square':
      return Math.abs(dx) <= 0.85 * r && Math.abs(dy) <= 0.85 * r;
    case 'diamond':
      return Math.abs(dx) + Math.abs(dy) <= r;
    case 'cross':
      return (Math.abs(dx) <= r / 3 && Math.abs(dy) <= r) || (Math.abs(dy) <= r / 3 && Math.abs(dx) <= r);
    case 'triangle':
      // Apex up at (0, -r), base at y = 0.8r from x = -r to r.
      return dy <= 0.8 * r && dy >= -r && Math.abs(dx) <= ((dy + r) / (1.8 * r)) * r;
  }
}

const SS = 4; // supersampling per axis

/** Render T frames of H x W x 3 uint8 into a new (T, H, W, 3) buffer. */
export function renderClip(
  a: ShapeAttributes,
  path: Trajectory,
  t: number,
  h: number,
  w: number,
): Uint8Array {
  const out = new Uint8Array(t * h * w * 3);
  const bg = COLOUR_RGB[a.background];
  const fg = COLOUR_RGB[a.colour];
  for (let i = 0; i < h * w; i++) out.set(bg, 3 * i);
  for (let i = 1; i < t; i++) out.copyWithin(i * h * w * 3, 0, h * w * 3);
  const cover = new Float32Array(h * w);
  for (let f = 0; f < t; f++) {
    const k = t === 1 ? 0 : f / (t - 1);
    const cx = path.x0 + k * (path.x1 - path.x0);
    const cy = path.y0 + k * (path.y1 - path.y0);
    const xa = Math.max(0, Math.floor(cx - path.r - 1));
    const xb = Math.min(w - 1, Math.ceil(cx + path.r + 1));
    const ya = Math.max(0, Math.floor(cy - path.r - 1));
    const yb = Math.min(h - 1, Math.ceil(cy + path.r + 1));
    cover.fill(0);
    for (let y = ya; y <= yb; y++) {
      for (let x = xa; x <= xb; x++) {
        let n = 0;
        for (let sy = 0; sy < SS; sy++) {
          for (let sx = 0; sx < SS; sx++) {
            if (inside(a.shape, x + (sx + 0.5) / SS - cx, y + (sy + 0.5) / SS - cy, path.r)) n++;
          }
        }
        cover[y * w + x] = n / (SS * SS);
      }
    }
    const base = f * h * w * 3;
    for (let y = ya; y <= yb; y++) {
      for (let x = xa; x <= xb; x++) {
        const c = cover[y * w + x] as number;
        if (c === 0) continue;
        const o = base + 3 * (y * w + x);
        for (let ch = 0; ch < 3; ch++)
          out[o + ch] = Math.round((bg[ch] as number) * (1 - c) + (fg[ch] as number) * c);
      }
    }
  }
  return out;
}
