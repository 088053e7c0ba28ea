/**
 * Fixed sine-cosine position tables, computed for the run-time token grid.
 * Reference: facebookresearch/DiT models.py (get_1d/2d_sincos_pos_embed*, from MAE), and Latte's
 * `get_1d_sincos_temp_embed` for the temporal part. Computed in float64, returned as float32, so they
 * equal the reference numpy tables to float32 rounding.
 */

/** (P, D): row p is [sin(p·ω_0..ω_{D/2-1}), cos(p·ω_0..)] with ω_i = 10000^(-i/(D/2)). */
export function sincos1d(dim: number, positions: ArrayLike<number>): Float32Array {
  if (dim % 2 !== 0) throw new Error(`sin-cos embedding width must be even, got ${dim}`);
  const half = dim / 2;
  const out = new Float32Array(positions.length * dim);
  for (let p = 0; p < positions.length; p++) {
    const pos = positions[p]!;
    for (let i = 0; i < half; i++) {
      const a = pos / Math.pow(10000, i / half);
      out[p * dim + i] = Math.sin(a);
      out[p * dim + half + i] = Math.cos(a);
    }
  }
  return out;
}

/**
 * (H'·W', D) table for a row-major (h, w) grid, DiT's layout: the first D/2 columns encode the
 * w coordinate and the last D/2 the h coordinate (numpy `meshgrid(grid_w, grid_h)` puts w first).
 */
export function sincos2d(dim: number, h: number, w: number): Float32Array {
  if (dim % 4 !== 0) throw new Error(`2-D sin-cos embedding width must be divisible by 4, got ${dim}`);
  const half = dim / 2;
  const ws = Float64Array.from({ length: w }, (_, i) => i);
  const hs = Float64Array.from({ length: h }, (_, i) => i);
  const ew = sincos1d(half, ws); // (W', D/2)
  const eh = sincos1d(half, hs); // (H', D/2)
  const out = new Float32Array(h * w * dim);
  for (let i = 0; i < h; i++) {
    for (let j = 0; j < w; j++) {
      const row = (i * w + j) * dim;
      out.set(ew.subarray(j * half, (j + 1) * half), row);
      out.set(eh.subarray(i * half, (i + 1) * half), row + half);
    }
  }
  return out;
}

/**
 * (T'·H'·W', D) separable space-time table: the 2-D spatial table of every frame plus a 1-D temporal
 * table of the frame index (Latte: `pos_embed` + `temp_embed`). Row order is (t, h, w) row-major.
 */
export function sincos3d(dim: number, t: number, h: number, w: number): Float32Array {
  const space = sincos2d(dim, h, w); // (H'·W', D)
  const time = sincos1d(
    dim,
    Float64Array.from({ length: t }, (_, i) => i),
  ); // (T', D)
  const n = h * w;
  const out = new Float32Array(t * n * dim);
  for (let f = 0; f < t; f++) {
    for (let s = 0; s < n; s++) {
      const row = (f * n + s) * dim;
      for (let d = 0; d < dim; d++) out[row + d] = space[s * dim + d]! + time[f * dim + d]!;
    }
  }
  return out;
}

/**
 * (to, from) weights of 1-D linear interpolation with half-pixel centres — the per-axis weights of
 * `tf.image.resizeBilinear(x, size, alignCorners = false, halfPixelCenters = true)`: output o samples the input
 * at (o + ½)·from/to - ½, clamped to [0, from - 1]. A resize as a matmul with these weights has a correct
 * gradient on every backend (tfjs 4.22's `ResizeBilinearGrad` ignores `halfPixelCenters`).
 */
export function linearResizeMatrix(from: number, to: number): Float32Array {
  const m = new Float32Array(to * from);
  for (let o = 0; o < to; o++) {
    const src = Math.min(Math.max((o + 0.5) * (from / to) - 0.5, 0), from - 1);
    const lo = Math.floor(src);
    const hi = Math.min(lo + 1, from - 1);
    m[o * from + lo]! += 1 - (src - lo);
    m[o * from + hi]! += src - lo;
  }
  return m;
}
