/**
 * Loading the N-API addon (`build/Release/vtx_native.node`, built by the repository's `scripts/build-addon.cjs` at install). A missing
 * or unloadable addon is not an error here: `loadAddon()` returns the reason, and the backend reports itself
 * unavailable so that vtx falls back to wasm with one log line.
 */
import { existsSync } from 'node:fs';
import { createRequire } from 'node:module';
import { fileURLToPath } from 'node:url';

/** Element offsets, shapes and strides travel as Float64Arrays (exact for all integers below 2^53). */
type Ints = Float64Array;

/** The addon's functions; every kernel writes into a caller-allocated Float32Array. */
export interface NativeAddon {
  /** C[i] = op(A[aOff[i]])·op(B[bOff[i]]) for i < batch; C dense (batch, m, n); null offsets = i·size. */
  gemm(
    a: Float32Array,
    b: Float32Array,
    c: Float32Array,
    transA: boolean,
    transB: boolean,
    batch: number,
    m: number,
    n: number,
    k: number,
    aOffsets: Ints | null,
    bOffsets: Ints | null,
  ): void;
  /** out[shape] = a ∘ b with per-axis element strides (0 = broadcast). */
  binary(
    op: number,
    a: Float32Array,
    b: Float32Array,
    out: Float32Array,
    shape: Ints,
    sa: Ints,
    sb: Ints,
  ): void;
  unary(op: number, x: Float32Array, out: Float32Array, alpha: number): void;
  /** Reduce (outer, inner) over inner (or over outer when `leading`). */
  reduce(
    op: number,
    x: Float32Array,
    out: Float32Array,
    outer: number,
    inner: number,
    leading: boolean,
  ): void;
  softmax(x: Float32Array, out: Float32Array, rows: number, n: number): void;
  /** out (dense, `shape`) gathers x with input strides `strides` per output axis. */
  transpose(x: Float32Array, out: Float32Array, shape: Ints, strides: Ints): void;
  /** dst[Σ i·dstStrides] = src[Σ i·srcStrides] over `shape` (bounds-checked). */
  stridedCopy(src: Float32Array, dst: Float32Array, shape: Ints, srcStrides: Ints, dstStrides: Ints): void;
  /** c (rows, n) = act(c + bias) in place; act codes in `kernels/matmul.ts`. */
  biasAct(
    c: Float32Array,
    rows: number,
    n: number,
    bias: Float32Array | null,
    act: number,
    alpha: number,
  ): void;
  /** One fused AdamW step into fresh buffers (see native/kernels.h). */
  adamw(
    p: Float32Array,
    g: Float32Array,
    m: Float32Array,
    v: Float32Array,
    pOut: Float32Array,
    mOut: Float32Array,
    vOut: Float32Array,
    beta1: number,
    beta2: number,
    eps: number,
    decay: number,
    step: number,
    sqrtBc2: number,
  ): void;
  /**
   * The AdamW step of many tensors in one call (native/kernels.h adamw_all): `buffers` holds p, g, m, v, pOut,
   * mOut, vOut for each tensor in turn, `decays` each tensor's 1 − lr·λ; the other coefficients as in `adamw`.
   */
  adamwAll(
    buffers: Float32Array[],
    decays: Float64Array,
    beta1: number,
    beta2: number,
    eps: number,
    step: number,
    sqrtBc2: number,
  ): void;
  /** Softmax cross-entropy of rows of k logits against targets smoothed by ε (native/loss.h). */
  softmaxXent(
    logits: Float32Array,
    targets: Float32Array,
    loss: Float32Array,
    lse: Float32Array,
    rows: number,
    k: number,
    smoothing: number,
  ): void;
  /** Its backward: dlogits from dloss and the forward's lse. */
  softmaxXentGrad(
    dloss: Float32Array,
    logits: Float32Array,
    targets: Float32Array,
    lse: Float32Array,
    dx: Float32Array,
    rows: number,
    k: number,
    smoothing: number,
  ): void;
  /** y = act(x·w + bias) over rows (native/linear.h); act -1 none (pre null), 0 GELU exact, 1 tanh, 2 SiLU. */
  linear(
    x: Float32Array,
    w: Float32Array,
    bias: Float32Array | null,
    y: Float32Array,
    pre: Float32Array | null,
    rows: number,
    din: number,
    dout: number,
    act: number,
  ): void;
  /** Its backward: dx, dw and (when given) dbias from dy and the forward's pre-activation. */
  linearGrad(
    dy: Float32Array,
    x: Float32Array,
    w: Float32Array,
    pre: Float32Array | null,
    dx: Float32Array,
    dw: Float32Array,
    dbias: Float32Array | null,
    rows: number,
    din: number,
    dout: number,
    act: number,
  ): void;
  /**
   * Convolution by im2col + GEMM (native/conv.h): mode 0 out = conv(x = a, filter = b), 1 out = dx from
   * (dy = a, filter = b), 2 out = dfilter from (x = a, dy = b); `geometry` holds n d h w cin, kd kh kw cout,
   * sd sh sw, dd dh dw, pd ph pw, od oh ow (channels-last; 2-D is d = kd = 1).
   */
  conv(mode: number, a: Float32Array, b: Float32Array, out: Float32Array, geometry: Ints): void;
  /** Fused layer norm over rows of d (native/fused.h); gamma and beta both null or both set. */
  layerNorm(
    x: Float32Array,
    gamma: Float32Array | null,
    beta: Float32Array | null,
    y: Float32Array,
    rows: number,
    d: number,
    eps: number,
  ): void;
  /** Its backward: dx, and dgamma / dbeta when gamma is set (statistics recomputed from x). */
  layerNormGrad(
    dy: Float32Array,
    x: Float32Array,
    gamma: Float32Array | null,
    dx: Float32Array,
    dgamma: Float32Array | null,
    dbeta: Float32Array | null,
    rows: number,
    d: number,
    eps: number,
  ): void;
  /** Fused group norm of x (s, n, c) in `groups` groups of adjacent channels (native/group_norm.h). */
  groupNorm(
    x: Float32Array,
    gamma: Float32Array | null,
    beta: Float32Array | null,
    y: Float32Array,
    s: number,
    n: number,
    c: number,
    groups: number,
    eps: number,
  ): void;
  /** Its backward: dx, and dgamma / dbeta when gamma is set (statistics recomputed from x). */
  groupNormGrad(
    dy: Float32Array,
    x: Float32Array,
    gamma: Float32Array | null,
    dx: Float32Array,
    dgamma: Float32Array | null,
    dbeta: Float32Array | null,
    s: number,
    n: number,
    c: number,
    groups: number,
    eps: number,
  ): void;
  /**
   * adaLN kernels over tokens (b, n, d) and per-sample vectors (b, d); the buffers by kind:
   *   modulate: x, shift, scale, y · modulateGrad: dy, x, scale, dx, dshift, dscale ·
   *   gatedResidual: x, h, gate, y · gatedResidualGrad: dy, h, gate, dh, dgate (unused slots null).
   */
  adaLN(
    kind: 'modulate' | 'modulateGrad' | 'gatedResidual' | 'gatedResidualGrad',
    a0: Float32Array,
    a1: Float32Array,
    a2: Float32Array,
    a3: Float32Array,
    a4: Float32Array | null,
    a5: Float32Array | null,
    b: number,
    n: number,
    d: number,
  ): void;
  /** y = act(x) / dx = dy·act'(x); act 0 GELU exact, 1 GELU tanh, 2 SiLU. */
  activation(act: number, x: Float32Array, y: Float32Array): void;
  activationGrad(act: number, dy: Float32Array, x: Float32Array, dx: Float32Array): void;
  /**
   * Fused self-attention over a (t, hw) token grid (native/attention.h): q, k, v read from qkv (b, t·hw, 3·D),
   * o (b, t·hw, D) and the row log-sum-exp (b, t·hw, heads) written; axis 0 joint, 1 space, 2 time, 3 split.
   */
  attention(
    qkv: Float32Array,
    mask: Float32Array | null,
    o: Float32Array,
    lse: Float32Array,
    b: number,
    t: number,
    hw: number,
    heads: number,
    dh: number,
    axis: number,
  ): void;
  /** Its backward: dqkv (b, t·hw, 3·D) from dout, the forward's qkv, o and lse. */
  attentionGrad(
    dout: Float32Array,
    qkv: Float32Array,
    o: Float32Array,
    lse: Float32Array,
    mask: Float32Array | null,
    dqkv: Float32Array,
    b: number,
    t: number,
    hw: number,
    heads: number,
    dh: number,
    axis: number,
  ): void;
  /**
   * Force the GEMM implementation: 'openblas' | 'avx512' | 'avx2' | 'scalar', or the inexact opt-in 'bf16'
   * (inputs rounded to bfloat16, fp32 accumulation); false when unavailable here.
   */
  setGemm(name: string): boolean;
  /**
   * Force the fused attention's inner loops: 'avx512' (register-tiled block products and a 16-wide exp; the
   * default where the CPU has AVX-512) or 'generic' (block GEMMs through the chosen GEMM); false when unavailable.
   */
  setAttention(name: string): boolean;
  /** The pool's fp32 FMA throughput in GFLOP/s over about `seconds` (registers only: no kernel exceeds it); 0 without vector FMA. */
  fmaPeak(seconds: number): number;
  info(): {
    gemm: string;
    attention: string;
    threads: number;
    avx2: boolean;
    avx512: boolean;
    bf16: boolean;
  };
}

export type AddonLoad = { ok: true; addon: NativeAddon; path: string } | { ok: false; reason: string };

const packageRoot = fileURLToPath(new URL('..', import.meta.url));
export const ADDON_PATH = `${packageRoot}build/Release/vtx_native.node`;

let cached: AddonLoad | undefined;

/** Load the addon once; never throws. */
export function loadAddon(): AddonLoad {
  if (cached) return cached;
  if (process.env['VTX_NATIVE_DISABLE'] === '1')
    return (cached = { ok: false, reason: 'VTX_NATIVE_DISABLE=1' });
  if (!existsSync(ADDON_PATH)) {
    return (cached = {
      ok: false,
      reason: `addon not built (${ADDON_PATH} is missing; run \`pnpm --filter @vtx/backend-native rebuild\`)`,
    });
  }
  try {
    const addon = createRequire(import.meta.url)(ADDON_PATH) as NativeAddon;
    return (cached = { ok: true, addon, path: ADDON_PATH });
  } catch (e) {
    const msg = String(e instanceof Error ? e.message : e).split('\n')[0] ?? '';
    return (cached = { ok: false, reason: `addon failed to load: ${msg}` });
  }
}
