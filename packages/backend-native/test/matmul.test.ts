/**
 * Matmul parity: every BatchMatMul form (2-D, batched, broadcast batch axes, all transpose flags, edge sizes)
 * against a float64 product computed by definition, and _FusedMatMul (bias, activations) against `cpu`; each
 * GEMM implementation the machine has (OpenBLAS, AVX-512, AVX2/FMA, scalar) is exercised, and the opt-in bf16
 * one (AVX512_BF16) against the same definition on bf16-rounded inputs.
 */
import * as tf from '@tensorflow/tfjs-core';
import { afterAll, describe, expect, it } from 'vitest';
import { forceGemm, nativeAddon, setMatmulPrecision } from '../src/backend.js';
import { host, parity, relErr, runOn, size, unavailable, type Host } from './helpers.js';

/** op(a)·op(b) with numpy batch broadcasting, in float64, by definition. */
function reference(a: Host, b: Host, ta: boolean, tb: boolean): { values: Float64Array; shape: number[] } {
  const [ra, rb] = [a.shape.length, b.shape.length];
  const [m, k] = ta ? [a.shape[ra - 1]!, a.shape[ra - 2]!] : [a.shape[ra - 2]!, a.shape[ra - 1]!];
  const n = tb ? b.shape[rb - 2]! : b.shape[rb - 1]!;
  const [ao, bo] = [a.shape.slice(0, -2), b.shape.slice(0, -2)];
  const r = Math.max(ao.length, bo.length);
  const pad = (s: number[]) => [...new Array<number>(r - s.length).fill(1), ...s];
  const [pa, pb] = [pad(ao), pad(bo)];
  const outer = pa.map((x, i) => Math.max(x, pb[i]!));
  const values = new Float64Array(size(outer) * m * n);
  for (let bi = 0; bi < size(outer); bi++) {
    let [rem, fa, fb, sa, sb] = [bi, 0, 0, 1, 1];
    for (let d = r - 1; d >= 0; d--) {
      const c = rem % outer[d]!;
      rem = Math.floor(rem / outer[d]!);
      fa += (pa[d] === 1 ? 0 : c) * sa;
      fb += (pb[d] === 1 ? 0 : c) * sb;
      sa *= pa[d]!;
      sb *= pb[d]!;
    }
    for (let i = 0; i < m; i++)
      for (let j = 0; j < n; j++) {
        let s = 0;
        for (let p = 0; p < k; p++) {
          const av = a.values[fa * m * k + (ta ? p * m + i : i * k + p)]!;
          const bv = b.values[fb * k * n + (tb ? j * k + p : p * n + j)]!;
          s += av * bv;
        }
        values[bi * m * n + i * n + j] = s;
      }
  }
  return { values, shape: [...outer, m, n] };
}

/** x rounded to the nearest bfloat16 (ties to even), as a float: what the bf16 GEMM multiplies. */
function bf16(x: number): number {
  const f = new Float32Array([x]);
  const u = new Uint32Array(f.buffer);
  u[0] = ((u[0]! + 0x7fff + ((u[0]! >>> 16) & 1)) >>> 16) << 16;
  return f[0]!;
}
const roundBf16 = (h: Host): Host => ({ ...h, values: h.values.map(bf16) });

const CASES: { name: string; a: number[]; b: number[] }[] = [
  { name: '1x1 · 1x1', a: [1, 1], b: [1, 1] },
  { name: 'odd 2-D (micro-tile edges)', a: [7, 13], b: [13, 19] },
  { name: 'K = 300 (crosses a K block)', a: [37, 300], b: [300, 33] },
  { name: 'tall 2-D', a: [130, 17], b: [17, 70] },
  { name: '3-D · 2-D (folded into M)', a: [3, 9, 8], b: [8, 5] },
  { name: '2-D · 3-D (a broadcast)', a: [9, 8], b: [4, 8, 5] },
  { name: 'batched 3-D', a: [5, 6, 7], b: [5, 7, 4] },
  { name: 'attention-shaped 4-D', a: [2, 3, 16, 8], b: [2, 3, 8, 16] },
  { name: '(3, 1) · (1, 3) mutual broadcast', a: [3, 1, 4, 5], b: [1, 3, 5, 2] },
  { name: '(2, 1, 3) · (4, 1) broadcast', a: [2, 1, 3, 4, 5], b: [4, 1, 5, 6] },
  { name: 'odd 3 x 15 · 15 x 17 (AVX-512 masked tails)', a: [3, 15], b: [15, 17] },
  { name: 'odd 33 x 257 · 257 x 33 (K block + 1, 12x32 tile edges)', a: [33, 257], b: [257, 33] },
  { name: 'odd 17 x 1 · 1 x 257', a: [17, 1], b: [1, 257] },
];

// The machine's implementations: a kernel the CPU lacks is skipped, loudly (never silently passes).
const WANTED = ['openblas', 'avx512', 'avx2', 'scalar'];

/** Square shapes for transposed variants: swap the last two axes of an operand's stored shape. */
const stored = (s: number[], t: boolean) => (t ? [...s.slice(0, -2), s.at(-1)!, s.at(-2)!] : s);

describe.skipIf(unavailable)('native BatchMatMul', () => {
  // describe bodies run even when skipped: stay inert without the addon
  const addon = nativeAddon() ?? { setGemm: () => false, info: () => ({ gemm: 'none' }) };
  const initial = addon.info().gemm;
  const impls = WANTED.filter((name) => addon.setGemm(name));
  addon.setGemm(initial);
  afterAll(() => void addon.setGemm(initial));
  // A GEMM this machine cannot run (no libopenblas, or a CPU without AVX2/AVX-512) is listed as skipped, by name,
  // rather than silently absent; here (AVX-512, OpenBLAS installed by .ci/run) none is.
  for (const name of WANTED.filter((x) => !impls.includes(x)))
    it.skip(
      `${name}: not on this machine (no OpenBLAS / the CPU lacks the instructions): its parity tests SKIPPED`,
    );
  if (!unavailable && !impls.includes('avx512'))
    console.warn(
      '\n!!! native GEMM: the CPU has no AVX-512 (or the build is portable): avx512 tests SKIPPED\n',
    );

  it('the default implementation is exact: never the bf16 opt-in', () => {
    expect(['openblas', 'avx512', 'avx2', 'scalar']).toContain(initial);
  });

  it('VTX_NATIVE_GEMM: a name that is not an implementation throws naming the variable; a valid one is applied', () => {
    const a = nativeAddon()!;
    try {
      expect(() => forceGemm(a, 'avx1024')).toThrow(/VTX_NATIVE_GEMM=avx1024: not a GEMM implementation/);
      forceGemm(a, 'scalar');
      expect(a.info().gemm).toBe('scalar');
      forceGemm(a, undefined); // unset: unchanged
      expect(a.info().gemm).toBe('scalar');
    } finally {
      a.setGemm(initial);
    }
  });

  for (const impl of impls)
    for (const c of CASES)
      for (const [ta, tb] of [
        [false, false],
        [true, false],
        [false, true],
        [true, true],
      ] as const)
        it(`${impl}: ${c.name}, transposeA=${ta} transposeB=${tb} equals the product by definition`, () => {
          addon.setGemm(impl);
          const a = host(stored(c.a, ta), 1);
          const b = host(stored(c.b, tb), 2);
          const ref = reference(a, b, ta, tb);
          const [out] = runOn('native', [a, b], (x, y) => tf.matMul(x, y, ta, tb));
          expect(out!.shape).toEqual(ref.shape);
          expect(relErr(out!.values, ref.values)).toBeLessThan(1e-5);
        });

  it('a large GEMM split across threads (rows and columns) matches the definition', () => {
    for (const impl of impls) {
      addon.setGemm(impl);
      for (const [m, n, k] of [
        [257, 63, 129],
        [31, 301, 40],
        [1, 1025, 3],
        [300, 17, 33],
      ] as const) {
        const [a, b] = [host([m, k], 3), host([k, n], 4)];
        const [out] = runOn('native', [a, b], (x, y) => tf.matMul(x, y));
        expect(relErr(out!.values, reference(a, b, false, false).values)).toBeLessThan(1e-5);
      }
    }
  });

  it('K = 0 gives zeros and empty operands give empty results, on every implementation', () => {
    try {
      for (const impl of [...impls, ...(addon.setGemm('bf16') ? ['bf16'] : [])]) {
        addon.setGemm(impl);
        const [z] = runOn('native', [host([3, 0], 1), host([0, 4], 2)], (x, y) => tf.matMul(x, y));
        expect(Array.from(z!.values), impl).toEqual(new Array(12).fill(0));
        const [e] = runOn('native', [host([0, 3], 1), host([3, 4], 2)], (x, y) => tf.matMul(x, y));
        expect(e!.shape).toEqual([0, 4]);
      }
    } finally {
      addon.setGemm(initial);
    }
  });

  it('gradients of a batched, transposed matmul match cpu', () => {
    const [a, b] = [host([2, 5, 3], 5), host([2, 4, 3], 6)];
    const f = (x: tf.Tensor, y: tf.Tensor) =>
      tf.grads((p: tf.Tensor, q: tf.Tensor) => tf.sum(tf.square(tf.matMul(p, q, false, true))))([x, y]);
    expect(parity([a, b], (x, y) => f(x, y))).toBeLessThan(1e-5);
  });
});

describe.skipIf(unavailable)('native BatchMatMul, bf16 opt-in (VTX_NATIVE_GEMM=bf16)', () => {
  const addon = nativeAddon() ?? { setGemm: () => false, info: () => ({ gemm: 'none' }) };
  const initial = addon.info().gemm;
  const has = addon.setGemm('bf16');
  addon.setGemm(initial);
  afterAll(() => void addon.setGemm(initial));
  if (!has) {
    // Only CPUs with AVX512_BF16 run the opt-in bf16 GEMM: elsewhere its parity tests are listed as skipped, loudly.
    it.skip('bf16: the CPU has no AVX512_BF16 (or the build is portable): bf16 parity tests SKIPPED');
    if (!unavailable) console.warn('\n!!! native GEMM: no AVX512_BF16 here: bf16 tests SKIPPED\n');
    return;
  }
  for (const c of CASES)
    for (const [ta, tb] of [
      [false, false],
      [true, true],
      [true, false],
      [false, true],
    ] as const)
      it(`bf16: ${c.name}, transposeA=${ta} transposeB=${tb}: the product of the bf16-rounded inputs, in fp32`, () => {
        addon.setGemm('bf16');
        try {
          const a = host(stored(c.a, ta), 1);
          const b = host(stored(c.b, tb), 2);
          const exact = reference(roundBf16(a), roundBf16(b), ta, tb);
          const abs = reference(
            roundBf16({ ...a, values: a.values.map(Math.abs) }),
            roundBf16({ ...b, values: b.values.map(Math.abs) }),
            ta,
            tb,
          );
          const k = ta ? c.a.at(-2)! : c.a.at(-1)!;
          const [out] = runOn('native', [a, b], (x, y) => tf.matMul(x, y, ta, tb));
          expect(out!.shape).toEqual(exact.shape);
          // products of bf16 values are exact in fp32: only the K fp32 additions round, |err| <= K·2^-24·Σ|a||b|
          for (let i = 0; i < exact.values.length; i++)
            expect(Math.abs(out!.values[i]! - exact.values[i]!)).toBeLessThanOrEqual(
              (k + 1) * 2 ** -24 * abs.values[i]! + 1e-30,
            );
          // and the inputs really were rounded: against the unrounded product the error is bf16's (~2^-9)
          if (k > 1) {
            const err = relErr(out!.values, reference(a, b, ta, tb).values);
            expect(err).toBeGreaterThan(1e-4);
            expect(err).toBeLessThan(2e-2);
          }
        } finally {
          addon.setGemm(initial);
        }
      });
});

describe.skipIf(unavailable)("setMatmulPrecision (a run's matmulPrecision)", () => {
  const addon = nativeAddon() ?? { setGemm: () => false, info: () => ({ gemm: 'none', bf16: false }) };
  const initial = addon.info().gemm;
  afterAll(() => void addon.setGemm(initial));
  const a = host([24, 40], 5);
  const b = host([40, 16], 6);
  const errAgainst = (ref: Host[]) =>
    relErr(
      runOn('native', [a, b], (x, y) => tf.matMul(x, y))[0]!.values,
      reference(ref[0]!, ref[1]!, false, false).values,
    );

  it('medium multiplies bf16-rounded inputs where the CPU has AVX512_BF16, else stays exact; highest puts the exact GEMM back', () => {
    const gemm = setMatmulPrecision('medium');
    if (addon.info().bf16) {
      expect(gemm).toBe('bf16');
      expect(errAgainst([roundBf16(a), roundBf16(b)])).toBeLessThan(1e-5);
      expect(errAgainst([a, b])).toBeGreaterThan(1e-4); // the rounding really happened
    } else {
      console.warn('\n!!! no AVX512_BF16 here: matmulPrecision medium checked to stay fp32 only\n');
      expect(gemm).toBe(initial);
    }
    expect(setMatmulPrecision('highest')).toBe(initial);
    expect(errAgainst([a, b])).toBeLessThan(1e-5);
  });

  it('VTX_NATIVE_GEMM, when set, decides: the precision leaves its implementation alone', () => {
    const before = process.env['VTX_NATIVE_GEMM'];
    process.env['VTX_NATIVE_GEMM'] = 'scalar';
    try {
      addon.setGemm('scalar');
      expect(setMatmulPrecision('medium')).toBe('scalar');
      expect(setMatmulPrecision('highest')).toBe('scalar');
    } finally {
      if (before === undefined) delete process.env['VTX_NATIVE_GEMM'];
      else process.env['VTX_NATIVE_GEMM'] = before;
      addon.setGemm(initial);
    }
  });
});

describe.skipIf(unavailable)('native _FusedMatMul', () => {
  const acts = ['linear', 'relu', 'relu6', 'sigmoid', 'elu', 'leakyrelu', 'prelu'] as const;
  for (const activation of acts)
    it(`bias (N) + ${activation} matches cpu, forward and gradients`, () => {
      const inputs = [host([6, 8], 1), host([8, 5], 2), host([5], 3), host([5], 4, 0.1)];
      const f = (a: tf.Tensor, b: tf.Tensor, bias: tf.Tensor, alpha: tf.Tensor) =>
        tf.fused.matMul({
          a,
          b,
          bias,
          activation,
          preluActivationWeights: activation === 'prelu' ? alpha : undefined,
          leakyreluAlpha: 0.1,
        });
      expect(parity(inputs, (a, b, bias, alpha) => f(a, b, bias, alpha))).toBeLessThan(1e-5);
      if (activation === 'linear' || activation === 'relu') {
        const g = (a: tf.Tensor, b: tf.Tensor, bias: tf.Tensor) =>
          tf.grads((x: tf.Tensor, y: tf.Tensor, z: tf.Tensor) =>
            tf.sum(tf.fused.matMul({ a: x, b: y, bias: z, activation, transposeB: true })),
          )([a, b, bias]);
        const ins = [host([6, 8], 1), host([5, 8], 2), host([5], 3)];
        expect(parity(ins, (a, b, bias) => g(a, b, bias))).toBeLessThan(1e-5);
      }
    });

  it('a full (M, N) bias and transposed operands match cpu', () => {
    const inputs = [host([8, 6], 1), host([5, 8], 2), host([6, 5], 3)];
    const f = (a: tf.Tensor, b: tf.Tensor, bias: tf.Tensor) =>
      tf.fused.matMul({ a, b, bias, transposeA: true, transposeB: true, activation: 'relu' });
    expect(parity(inputs, (a, b, bias) => f(a, b, bias))).toBeLessThan(1e-5);
  });
});
