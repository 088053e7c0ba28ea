// AVX-512 flash-attention tasks (see attention_avx512.h). Per (head, sequence): kᵀ (and vᵀ for the backward)
// packed once as dh x len, then 64 x 64 blocks of scores. Every block product is C (+)= A·B with B's rows
// unit-stride (kᵀ, vᵀ, or v, k, q, do read in place) and A read by broadcasting elements at any (row, column)
// strides, so Pᵀ and dSᵀ need no transposed copy: a tile of R rows x NV 16-float vectors of C stays in zmm
// registers over the whole K loop (R·NV <= 24 accumulators), the last vector masked. exp is the scalar
// vexp's range reduction and polynomial, 16 lanes at a time with scalef for 2^n.
#include "attention_avx512.h"

#include <algorithm>
#include <cmath>
#include <vector>

#include "gemm_avx512.h"
#include "vmath.h"

#if defined(VTX_AVX512) && defined(__x86_64__)
#include <immintrin.h>
#define VTX_A512 1
#endif

namespace vtx {

#if defined(VTX_A512)
#define VTX_T512 __attribute__((target("avx512f,avx512bw,avx512dq,avx512vl,fma")))

namespace {

constexpr int64_t kBlock = 64;  // scores materialised kBlock x kBlock at a time

inline __mmask16 lanes(int64_t n) { return n >= 16 ? 0xffff : n <= 0 ? 0 : (__mmask16)((1u << n) - 1); }

// C[R rows, NV vectors] (+)= A·B over k: A(i, p) at a[i·ars + p·acs], B row p at b + p·ldb, the last vector of
// B and C through the mask `last`.
template <int R, int NV>
VTX_T512 inline void tile(int64_t k, const float* a, int64_t ars, int64_t acs, const float* b, int64_t ldb,
                          float* c, int64_t ldc, __mmask16 last, bool acc) {
  __m512 s[R][NV];
#pragma GCC unroll 12
  for (int r = 0; r < R; r++)
#pragma GCC unroll 4
    for (int v = 0; v < NV; v++) s[r][v] = _mm512_setzero_ps();
  for (int64_t p = 0; p < k; p++) {
    __m512 bv[NV];
    const float* bp = b + p * ldb;
#pragma GCC unroll 4
    for (int v = 0; v < NV; v++)
      bv[v] = v == NV - 1 ? _mm512_maskz_loadu_ps(last, bp + 16 * v) : _mm512_loadu_ps(bp + 16 * v);
    const float* ap = a + p * acs;
#pragma GCC unroll 12
    for (int r = 0; r < R; r++) {
      const __m512 av = _mm512_set1_ps(ap[r * ars]);
#pragma GCC unroll 4
      for (int v = 0; v < NV; v++) s[r][v] = _mm512_fmadd_ps(av, bv[v], s[r][v]);
    }
  }
#pragma GCC unroll 12
  for (int r = 0; r < R; r++)
#pragma GCC unroll 4
    for (int v = 0; v < NV; v++) {
      float* cp = c + r * ldc + 16 * v;
      const __mmask16 m = v == NV - 1 ? last : 0xffff;
      const __m512 x = acc ? _mm512_add_ps(s[r][v], _mm512_maskz_loadu_ps(m, cp)) : s[r][v];
      _mm512_mask_storeu_ps(cp, m, x);
    }
}

// The last rem < R rows of a column strip: one tile of exactly rem rows.
template <int R, int NV>
VTX_T512 inline void tail(int rem, int64_t k, const float* a, int64_t ars, int64_t acs, const float* b, int64_t ldb,
                          float* c, int64_t ldc, __mmask16 last, bool acc) {
  if constexpr (R > 1) {
    if (rem == R - 1) return tile<R - 1, NV>(k, a, ars, acs, b, ldb, c, ldc, last, acc);
    tail<R - 1, NV>(rem, k, a, ars, acs, b, ldb, c, ldc, last, acc);
  }
}

template <int R, int NV>
VTX_T512 void strip(int64_t m, int64_t k, const float* a, int64_t ars, int64_t acs, const float* b, int64_t ldb,
                    float* c, int64_t ldc, __mmask16 last, bool acc) {
  int64_t i = 0;
  for (; i + R <= m; i += R) tile<R, NV>(k, a + i * ars, ars, acs, b, ldb, c + i * ldc, ldc, last, acc);
  if (i < m) tail<R, NV>(static_cast<int>(m - i), k, a + i * ars, ars, acs, b, ldb, c + i * ldc, ldc, last, acc);
}

// C[m, n] (+)= A[m, k]·B[k, n], A(i, p) at a[i·ars + p·acs], B row p at b + p·ldb, C row i at c + i·ldc.
VTX_T512 void small_gemm(int64_t m, int64_t n, int64_t k, const float* a, int64_t ars, int64_t acs, const float* b,
                         int64_t ldb, float* c, int64_t ldc, bool acc) {
  for (int64_t j0 = 0; j0 < n; j0 += 64) {
    const int64_t nn = std::min<int64_t>(64, n - j0), nv = (nn + 15) / 16;
    const __mmask16 last = lanes(nn - 16 * (nv - 1));
    const float* bj = b + j0;
    float* cj = c + j0;
    switch (nv) {
      case 1: strip<12, 1>(m, k, a, ars, acs, bj, ldb, cj, ldc, last, acc); break;
      case 2: strip<12, 2>(m, k, a, ars, acs, bj, ldb, cj, ldc, last, acc); break;
      case 3: strip<8, 3>(m, k, a, ars, acs, bj, ldb, cj, ldc, last, acc); break;
      default: strip<6, 4>(m, k, a, ars, acs, bj, ldb, cj, ldc, last, acc); break;
    }
  }
}

// e^x, 16 lanes: vexp's clamp, Cody-Waite reduction and polynomial; 0 below its range, +inf above, NaN kept.
VTX_T512 inline __m512 exp16(__m512 x) {
  const __m512 hi = _mm512_set1_ps(88.3762626647949f), lo = _mm512_set1_ps(-87.3365447505531f);
  const __m512 xc = _mm512_min_ps(_mm512_max_ps(x, lo), hi);
  const __m512 n = _mm512_roundscale_ps(_mm512_mul_ps(xc, _mm512_set1_ps(1.44269504088896341f)),
                                        _MM_FROUND_TO_NEAREST_INT | _MM_FROUND_NO_EXC);
  __m512 r = _mm512_fnmadd_ps(n, _mm512_set1_ps(0.693359375f), xc);
  r = _mm512_fnmadd_ps(n, _mm512_set1_ps(-2.12194440e-4f), r);
  __m512 p = _mm512_set1_ps(1.9875691500e-4f);
  p = _mm512_fmadd_ps(p, r, _mm512_set1_ps(1.3981999507e-3f));
  p = _mm512_fmadd_ps(p, r, _mm512_set1_ps(8.3334519073e-3f));
  p = _mm512_fmadd_ps(p, r, _mm512_set1_ps(4.1665795894e-2f));
  p = _mm512_fmadd_ps(p, r, _mm512_set1_ps(1.6666665459e-1f));
  p = _mm512_fmadd_ps(p, r, _mm512_set1_ps(5.0000001201e-1f));
  p = _mm512_fmadd_ps(_mm512_mul_ps(p, r), r, _mm512_add_ps(r, _mm512_set1_ps(1.f)));
  __m512 y = _mm512_scalef_ps(p, n);
  y = _mm512_mask_mov_ps(y, _mm512_cmp_ps_mask(x, lo, _CMP_LT_OQ), _mm512_setzero_ps());
  y = _mm512_mask_mov_ps(y, _mm512_cmp_ps_mask(x, hi, _CMP_GT_OQ), _mm512_set1_ps(__builtin_inff()));
  return _mm512_mask_mov_ps(y, _mm512_cmp_ps_mask(x, x, _CMP_UNORD_Q), x);
}

// Ask for every line of len rows of dh floats at once: the rows are strided (3·D or more apart), so the
// hardware prefetcher misses them and the first reads would wait for one cache miss after another.
void prefetch_rows(const float* x, int64_t ld, int64_t len, int64_t dh) {
  for (int64_t j = 0; j < len; j++)
    for (int64_t c = 0; c < dh; c += 16) _mm_prefetch(reinterpret_cast<const char*>(x + j * ld + c), _MM_HINT_T0);
}

// dst[c·ldd + j] = src[j·lds + c] for j < rows, c < cols (both <= 16): 16 row loads, then unpacks and lane
// shuffles (rows past `rows` read as zero, columns past `cols` not stored).
VTX_T512 inline void transpose16(const float* src, int64_t lds, int64_t rows, int64_t cols, float* dst, int64_t ldd) {
  __m512 r[16], t[16];
  const __mmask16 mc = lanes(cols), mr = lanes(rows);
#pragma GCC unroll 16
  for (int j = 0; j < 16; j++) r[j] = j < rows ? _mm512_maskz_loadu_ps(mc, src + j * lds) : _mm512_setzero_ps();
#pragma GCC unroll 8
  for (int i = 0; i < 8; i++) {  // t[2i], t[2i+1]: rows 2i and 2i+1 interleaved (low and high pairs of each lane)
    t[2 * i] = _mm512_unpacklo_ps(r[2 * i], r[2 * i + 1]);
    t[2 * i + 1] = _mm512_unpackhi_ps(r[2 * i], r[2 * i + 1]);
  }
#pragma GCC unroll 4
  for (int i = 0; i < 4; i++) {  // r[4i+k], lane L: rows 4i..4i+3 of column 4L+k
    const __m512d t0 = _mm512_castps_pd(t[4 * i]), t1 = _mm512_castps_pd(t[4 * i + 1]),
                  t2 = _mm512_castps_pd(t[4 * i + 2]), t3 = _mm512_castps_pd(t[4 * i + 3]);
    r[4 * i] = _mm512_castpd_ps(_mm512_unpacklo_pd(t0, t2));
    r[4 * i + 1] = _mm512_castpd_ps(_mm512_unpackhi_pd(t0, t2));
    r[4 * i + 2] = _mm512_castpd_ps(_mm512_unpacklo_pd(t1, t3));
    r[4 * i + 3] = _mm512_castpd_ps(_mm512_unpackhi_pd(t1, t3));
  }
#pragma GCC unroll 4
  for (int k = 0; k < 4; k++) {  // column 4L+k: lane L of r[k], r[4+k], r[8+k], r[12+k]
    const __m512 v0 = _mm512_shuffle_f32x4(r[k], r[4 + k], 0x88), v1 = _mm512_shuffle_f32x4(r[k], r[4 + k], 0xdd);
    const __m512 w0 = _mm512_shuffle_f32x4(r[8 + k], r[12 + k], 0x88),
                 w1 = _mm512_shuffle_f32x4(r[8 + k], r[12 + k], 0xdd);
    const __m512 out[4] = {_mm512_shuffle_f32x4(v0, w0, 0x88), _mm512_shuffle_f32x4(v1, w1, 0x88),
                           _mm512_shuffle_f32x4(v0, w0, 0xdd), _mm512_shuffle_f32x4(v1, w1, 0xdd)};
#pragma GCC unroll 4
    for (int L = 0; L < 4; L++)
      if (4 * L + k < cols) _mm512_mask_storeu_ps(dst + (4 * L + k) * ldd, mr, out[L]);
  }
}

// kᵀ (or vᵀ) of a sequence as dh rows of len: dst[c·len + j] = src[j·ld + c], in 16 x 16 tiles.
VTX_T512 void pack_t(const float* src, int64_t ld, int64_t len, int64_t dh, float* dst) {
  for (int64_t j0 = 0; j0 < len; j0 += 16)
    for (int64_t c0 = 0; c0 < dh; c0 += 16)
      transpose16(src + j0 * ld + c0, ld, std::min<int64_t>(16, len - j0), std::min<int64_t>(16, dh - c0),
                  dst + c0 * len + j0, len);
}

// Row i of a score block: x = s·scale + kb over cols, written back; returns max(m, max x).
VTX_T512 inline float scaled_max(float* s, int64_t cols, float scale, const float* kb, float m) {
  __m512 mx = _mm512_set1_ps(-INFINITY);
  for (int64_t j = 0; j < cols; j += 16) {
    const __mmask16 mk = lanes(cols - j);
    __m512 x = _mm512_mul_ps(_mm512_maskz_loadu_ps(mk, s + j), _mm512_set1_ps(scale));
    if (kb) x = _mm512_add_ps(x, _mm512_maskz_loadu_ps(mk, kb + j));
    _mm512_mask_storeu_ps(s + j, mk, x);
    mx = _mm512_mask_max_ps(mx, mk, mx, x);
  }
  return std::max(m, _mm512_reduce_max_ps(mx));
}

// s[j] = e^(s[j] − m) over cols; returns their sum.
VTX_T512 inline float exp_sum(float* s, int64_t cols, float m) {
  __m512 sum = _mm512_setzero_ps();
  for (int64_t j = 0; j < cols; j += 16) {
    const __mmask16 mk = lanes(cols - j);
    const __m512 e = exp16(_mm512_sub_ps(_mm512_maskz_loadu_ps(mk, s + j), _mm512_set1_ps(m)));
    _mm512_mask_storeu_ps(s + j, mk, e);
    sum = _mm512_mask_add_ps(sum, mk, sum, e);
  }
  return _mm512_reduce_add_ps(sum);
}

// y[c] = x[c]·f over n.
VTX_T512 inline void scale_row(const float* x, float f, int64_t n, float* y) {
  for (int64_t c = 0; c < n; c += 16) {
    const __mmask16 mk = lanes(n - c);
    _mm512_mask_storeu_ps(y + c, mk, _mm512_mul_ps(_mm512_maskz_loadu_ps(mk, x + c), _mm512_set1_ps(f)));
  }
}

// P and dS of a block in place: p = e^(p·scale + kb − lse_i), dp = p·(dp − D_i)·scale, row i over cols.
VTX_T512 void probs_and_dscores(float* p, float* dp, int64_t rows, int64_t cols, float scale, const float* kb,
                                const float* rowl, const float* rowd) {
  for (int64_t i = 0; i < rows; i++) {
    float *pi = p + i * kBlock, *dpi = dp + i * kBlock;
    const __m512 li = _mm512_set1_ps(rowl[i]), di = _mm512_set1_ps(rowd[i]), sc = _mm512_set1_ps(scale);
    for (int64_t j = 0; j < cols; j += 16) {
      const __mmask16 mk = lanes(cols - j);
      __m512 x = _mm512_mul_ps(_mm512_maskz_loadu_ps(mk, pi + j), sc);
      if (kb) x = _mm512_add_ps(x, _mm512_maskz_loadu_ps(mk, kb + j));
      const __m512 e = exp16(_mm512_sub_ps(x, li));
      const __m512 ds = _mm512_mul_ps(_mm512_mul_ps(e, _mm512_sub_ps(_mm512_maskz_loadu_ps(mk, dpi + j), di)), sc);
      _mm512_mask_storeu_ps(pi + j, mk, e);
      _mm512_mask_storeu_ps(dpi + j, mk, ds);
    }
  }
}

}  // namespace

VTX_T512 void attention_fwd_task_avx512(const AttnTaskView& t, float* o, int64_t ldo, float* lse, int64_t lse_ld) {
  const int64_t len = t.len, dh = t.dh;
  thread_local std::vector<float> kt, sc, acc, m, l;
  kt.resize(dh * len), sc.resize(kBlock * kBlock), acc.resize(kBlock * dh), m.resize(kBlock), l.resize(kBlock);
  for (const float* x : {t.k, t.q, t.v}) prefetch_rows(x, t.ld, len, dh);
  pack_t(t.k, t.ld, len, dh, kt.data());
  for (int64_t i0 = 0; i0 < len; i0 += kBlock) {
    const int64_t rows = std::min(kBlock, len - i0);
    std::fill_n(m.begin(), rows, -INFINITY);
    std::fill_n(l.begin(), rows, 0.f);
    for (int64_t j0 = 0; j0 < len; j0 += kBlock) {
      const int64_t cols = std::min(kBlock, len - j0);
      // S = q_i0 · (kᵀ)_j0 (rows, cols), then the online softmax; acc = 0 before the first P·v
      small_gemm(rows, cols, dh, t.q + i0 * t.ld, t.ld, 1, kt.data() + j0, len, sc.data(), kBlock, false);
      for (int64_t i = 0; i < rows; i++) {
        float* si = sc.data() + i * kBlock;
        const float mx = scaled_max(si, cols, t.scale, t.kb ? t.kb + j0 : nullptr, m[i]);
        const float corr = vexp(m[i] - mx);  // 0 on the first block (m = −inf)
        l[i] = l[i] * corr + exp_sum(si, cols, mx);
        m[i] = mx;
        if (j0 > 0) scale_row(acc.data() + i * dh, corr, dh, acc.data() + i * dh);
      }
      // acc (+)= P · v_j0 (rows, dh)
      small_gemm(rows, dh, cols, sc.data(), kBlock, 1, t.v + j0 * t.ld, t.ld, acc.data(), dh, j0 > 0);
    }
    for (int64_t i = 0; i < rows; i++) {
      scale_row(acc.data() + i * dh, 1.f / l[i], dh, o + (i0 + i) * ldo);
      lse[(i0 + i) * lse_ld] = m[i] + std::log(l[i]);
    }
  }
}

VTX_T512 void attention_bwd_task_avx512(const AttnTaskView& t, const float* dout, const float* o, int64_t ldo,
                                        const float* lse, int64_t lse_ld, float* dq, float* dk, float* dv) {
  const int64_t len = t.len, dh = t.dh;
  thread_local std::vector<float> kt, vt, gq, gk, gv, rowd, rowl, p, dp;
  kt.resize(dh * len), vt.resize(dh * len), rowd.resize(len), rowl.resize(len);
  p.resize(kBlock * kBlock), dp.resize(kBlock * kBlock);
  for (auto* g : {&gq, &gk, &gv}) g->assign(len * dh, 0.f);
  for (const float* x : {t.k, t.v}) prefetch_rows(x, t.ld, len, dh);
  for (const float* x : {o, dout}) prefetch_rows(x, ldo, len, dh);
  prefetch_rows(t.q, t.ld, len, dh);
  pack_t(t.k, t.ld, len, dh, kt.data());
  pack_t(t.v, t.ld, len, dh, vt.data());
  for (int64_t i = 0; i < len; i++) {
    const float *oi = o + i * ldo, *gi = dout + i * ldo;
    float di = 0.f;  // D_i = dO_i · O_i = Σ_j P_ij dP_ij
    for (int64_t c = 0; c < dh; c++) di += gi[c] * oi[c];
    rowd[i] = di;
    rowl[i] = lse[i * lse_ld];
  }
  for (int64_t j0 = 0; j0 < len; j0 += kBlock) {
    const int64_t cols = std::min(kBlock, len - j0);
    for (int64_t i0 = 0; i0 < len; i0 += kBlock) {
      const int64_t rows = std::min(kBlock, len - i0);
      const float *qi = t.q + i0 * t.ld, *gi = dout + i0 * ldo;
      // P = exp(q kᵀ·scale + bias − lse), dP = dO vᵀ, then dS = P (dP − D)·scale in place of dP
      small_gemm(rows, cols, dh, qi, t.ld, 1, kt.data() + j0, len, p.data(), kBlock, false);
      small_gemm(rows, cols, dh, gi, ldo, 1, vt.data() + j0, len, dp.data(), kBlock, false);
      probs_and_dscores(p.data(), dp.data(), rows, cols, t.scale, t.kb ? t.kb + j0 : nullptr, rowl.data() + i0,
                        rowd.data() + i0);
      // dV_j0 += Pᵀ dO_i0, dQ_i0 += dS k_j0, dK_j0 += dSᵀ q_i0 (Pᵀ, dSᵀ: A read with swapped strides)
      small_gemm(cols, dh, rows, p.data(), 1, kBlock, gi, ldo, gv.data() + j0 * dh, dh, true);
      small_gemm(rows, dh, cols, dp.data(), kBlock, 1, t.k + j0 * t.ld, t.ld, gq.data() + i0 * dh, dh, true);
      small_gemm(cols, dh, rows, dp.data(), 1, kBlock, qi, t.ld, gk.data() + j0 * dh, dh, true);
    }
  }
  for (int64_t i = 0; i < len; i++) {
    std::copy_n(gq.data() + i * dh, dh, dq + i * t.ld);
    std::copy_n(gk.data() + i * dh, dh, dk + i * t.ld);
    std::copy_n(gv.data() + i * dh, dh, dv + i * t.ld);
  }
}

#else  // no AVX-512 kernels in this build: attention.cc never calls these (has_avx512_kernel() is false)
void attention_fwd_task_avx512(const AttnTaskView&, float*, int64_t, float*, int64_t) {}
void attention_bwd_task_avx512(const AttnTaskView&, const float*, const float*, int64_t, const float*, int64_t,
                               float*, float*, float*) {}
#endif

}  // namespace vtx
