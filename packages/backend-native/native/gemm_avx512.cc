// AVX-512 GEMM kernels, BLIS-style: op(B) packed into 32-column panels (K x NC blocks that stay in L2), op(A)
// into 12-row strips, and a 12x32 register-blocked micro-kernel (24 zmm accumulators, the A value broadcast from
// memory into the FMA); partial tiles are zero-padded when packed and stored through masks. The bf16 kernel has
// the same shape with K taken in pairs: both operands rounded to bf16 (round to nearest even) and packed as
// (k, k+1) pairs in 32-bit lanes, one vdpbf16ps per pair adding both exact products into the fp32 accumulators.
// Every function that uses AVX-512 carries a target attribute (no -mavx512f for the file), so the addon still
// loads on CPUs without it; gemm.cc calls these only when has_avx512_kernel() / has_bf16_kernel() say so.
#include "gemm_avx512.h"

#include <cstring>
#include <vector>

#if defined(VTX_AVX512) && defined(__x86_64__)
#include <immintrin.h>
#define VTX_K512 1
// avx512bf16 intrinsics arrived in gcc 10 and clang 9
#if (defined(__clang__) && __clang_major__ >= 9) || (!defined(__clang__) && defined(__GNUC__) && __GNUC__ >= 10)
#define VTX_KBF16 1
#endif
#endif

namespace vtx {

#if defined(VTX_K512)
#define VTX_T512 __attribute__((target("avx512f,avx512bw,avx512dq,avx512vl,fma")))

bool has_avx512_kernel() {
  static const bool ok = __builtin_cpu_supports("avx512f") && __builtin_cpu_supports("avx512bw") &&
                         __builtin_cpu_supports("avx512dq") && __builtin_cpu_supports("avx512vl");
  return ok;
}

constexpr int MR = kAvx512MR, NR = kAvx512NR;
constexpr int64_t KC = 256, MC = 144, NC = 512;

static inline int64_t lo(int64_t x, int64_t y) { return x < y ? x : y; }
static inline __mmask16 mask16(int64_t n) { return n >= 16 ? 0xffff : n <= 0 ? 0 : (__mmask16)((1u << n) - 1); }

static void zero_c(int64_t m, int64_t n, float* c, int64_t ldc) {
  for (int64_t i = 0; i < m; i++) std::memset(c + i * ldc, 0, sizeof(float) * n);
}

// 64-byte-aligned views of this thread's packing buffers (grown, never shrunk).
template <typename T>
static T* aligned(std::vector<T>& v, size_t n) {
  v.resize(n + 64 / sizeof(T));
  return reinterpret_cast<T*>((reinterpret_cast<uintptr_t>(v.data()) + 63) & ~uintptr_t(63));
}

// ---- fp32 -----------------------------------------------------------------------------------------------

// op(A)[i0:i0+mc, p0:p0+kc] into MR-row strips, k-major: dst[(strip·kc + p)·MR + r]; rows past mc are zero.
VTX_T512 static void pack_a(bool ta, const float* a, int64_t lda, int64_t i0, int64_t p0, int64_t mc, int64_t kc,
                            float* dst) {
  for (int64_t s = 0; s < mc; s += MR) {
    const int64_t rows = lo(MR, mc - s);
    float* d = dst + s / MR * kc * MR;
    if (ta) {  // the strip's rows are contiguous in each of A's stored rows
      const __mmask16 m = mask16(rows);
      for (int64_t p = 0; p < kc; p++)
        _mm512_mask_storeu_ps(d + p * MR, 0x0fff, _mm512_maskz_loadu_ps(m, a + (p0 + p) * lda + i0 + s));
    } else {
      for (int64_t r = 0; r < MR; r++) {
        const float* src = a + (i0 + s + r) * lda + p0;
        if (r < rows)
          for (int64_t p = 0; p < kc; p++) d[p * MR + r] = src[p];
        else
          for (int64_t p = 0; p < kc; p++) d[p * MR + r] = 0.f;
      }
    }
  }
}

// op(B)[p0:p0+kc, j0:j0+nc] into NR-column panels: dst[(panel·kc + p)·NR + c]; columns past nc are zero.
VTX_T512 static void pack_b(bool tb, const float* b, int64_t ldb, int64_t p0, int64_t j0, int64_t kc, int64_t nc,
                            float* dst) {
  for (int64_t s = 0; s < nc; s += NR) {
    const int64_t cols = lo(NR, nc - s);
    float* base = dst + s / NR * kc * NR;
    if (!tb) {
      const __mmask16 m0 = mask16(cols), m1 = mask16(cols - 16);
      for (int64_t p = 0; p < kc; p++) {
        const float* src = b + (p0 + p) * ldb + j0 + s;
        _mm512_store_ps(base + p * NR, _mm512_maskz_loadu_ps(m0, src));
        _mm512_store_ps(base + p * NR + 16, _mm512_maskz_loadu_ps(m1, src + 16));
      }
    } else {  // column c of the panel is row j0+s+c of the stored B, contiguous in k
      for (int64_t c = 0; c < NR; c++) {
        const float* src = b + (j0 + s + c) * ldb + p0;
        if (c < cols)
          for (int64_t p = 0; p < kc; p++) base[p * NR + c] = src[p];
        else
          for (int64_t p = 0; p < kc; p++) base[p * NR + c] = 0.f;
      }
    }
  }
}

// The accumulators to C: rows [0, rows), columns [0, cols) through masks; C += tile with acc.
VTX_T512 static inline void store_tile(const __m512* c0, const __m512* c1, float* c, int64_t ldc, int rows,
                                       int cols, bool acc) {
  const __mmask16 m0 = mask16(cols), m1 = mask16(cols - 16);
  for (int r = 0; r < rows; r++) {
    float* row = c + r * ldc;
    __m512 v0 = c0[r], v1 = c1[r];
    if (acc) {
      v0 = _mm512_add_ps(v0, _mm512_maskz_loadu_ps(m0, row));
      v1 = _mm512_add_ps(v1, _mm512_maskz_loadu_ps(m1, row + 16));
    }
    _mm512_mask_storeu_ps(row, m0, v0);
    _mm512_mask_storeu_ps(row + 16, m1, v1);
  }
}

// C[0:12, 0:32] (+)= Ap(12 x kc) · Bp(kc x 32).
VTX_T512 static void micro_12x32(int64_t kc, const float* ap, const float* bp, float* c, int64_t ldc, int rows,
                                 int cols, bool acc) {
  __m512 c0[MR], c1[MR];
#pragma GCC unroll 12
  for (int r = 0; r < MR; r++) c0[r] = c1[r] = _mm512_setzero_ps();
  for (int64_t p = 0; p < kc; p++) {
    const __m512 b0 = _mm512_load_ps(bp), b1 = _mm512_load_ps(bp + 16);
#pragma GCC unroll 12
    for (int r = 0; r < MR; r++) {
      const __m512 av = _mm512_set1_ps(ap[r]);
      c0[r] = _mm512_fmadd_ps(av, b0, c0[r]);
      c1[r] = _mm512_fmadd_ps(av, b1, c1[r]);
    }
    ap += MR, bp += NR;
  }
  store_tile(c0, c1, c, ldc, rows, cols, acc);
}

VTX_T512 void gemm_avx512(bool ta, bool tb, int64_t m, int64_t n, int64_t k, const float* a, int64_t lda,
                          const float* b, int64_t ldb, float* c, int64_t ldc, bool acc) {
  if (k == 0) {
    if (!acc) zero_c(m, n, c, ldc);
    return;
  }
  thread_local std::vector<float> abuf, bbuf;
  float* ap = aligned(abuf, MC * KC);
  float* bp = aligned(bbuf, KC * (NC + NR));
  for (int64_t j0 = 0; j0 < n; j0 += NC) {
    const int64_t nc = lo(NC, n - j0);
    for (int64_t p0 = 0; p0 < k; p0 += KC) {
      const int64_t kc = lo(KC, k - p0);
      const bool accum = acc || p0 > 0;
      pack_b(tb, b, ldb, p0, j0, kc, nc, bp);
      for (int64_t i0 = 0; i0 < m; i0 += MC) {
        const int64_t mc = lo(MC, m - i0);
        pack_a(ta, a, lda, i0, p0, mc, kc, ap);
        for (int64_t ir = 0; ir < mc; ir += MR)
          for (int64_t jr = 0; jr < nc; jr += NR)
            micro_12x32(kc, ap + ir / MR * kc * MR, bp + jr / NR * kc * NR, c + (i0 + ir) * ldc + j0 + jr, ldc,
                        static_cast<int>(lo(MR, mc - ir)), static_cast<int>(lo(NR, nc - jr)), accum);
      }
    }
  }
}

// ---- bf16 inputs, fp32 accumulation (opt-in) --------------------------------------------------------------

#if defined(VTX_KBF16)
#define VTX_TBF16 __attribute__((target("avx512f,avx512bw,avx512dq,avx512vl,fma,avx512bf16")))

bool has_bf16_kernel() {
  static const bool ok = has_avx512_kernel() && __builtin_cpu_supports("avx512bf16");
  return ok;
}

// A (k, k+1) pair of bf16 in one 32-bit lane, k in the low half (vdpbf16ps pairs lanes of A and B alike).
static inline uint32_t pair(float lo16, float hi16) {
  return static_cast<uint32_t>(to_bf16(lo16)) | static_cast<uint32_t>(to_bf16(hi16)) << 16;
}

// op(A)[i0:i0+mc, p0:p0+kc] as k pairs: dst[(strip·kp + q)·MR + r] = (A[i][p0+2q], A[i][p0+2q+1]), kp = ⌈kc/2⌉.
static void pack_a_bf16(bool ta, const float* a, int64_t lda, int64_t i0, int64_t p0, int64_t mc, int64_t kc,
                        uint32_t* dst) {
  const int64_t kp = (kc + 1) / 2;
  for (int64_t s = 0; s < mc; s += MR) {
    const int64_t rows = lo(MR, mc - s);
    uint32_t* d = dst + s / MR * kp * MR;
    if (ta) {  // A's stored rows run along i: walk q outside, r inside (contiguous reads)
      for (int64_t q = 0; q < kp; q++) {
        const float* r0 = a + (p0 + 2 * q) * lda + i0 + s;
        const float* r1 = 2 * q + 1 < kc ? r0 + lda : nullptr;
        for (int64_t r = 0; r < MR; r++) d[q * MR + r] = r < rows ? pair(r0[r], r1 ? r1[r] : 0.f) : 0;
      }
    } else {  // A's stored rows run along k: r outside, q inside
      for (int64_t r = 0; r < MR; r++) {
        const float* src = a + (i0 + s + r) * lda + p0;
        for (int64_t q = 0; q < kp; q++)
          d[q * MR + r] = r < rows ? pair(src[2 * q], 2 * q + 1 < kc ? src[2 * q + 1] : 0.f) : 0;
      }
    }
  }
}

// op(B)[p0:p0+kc, j0:j0+nc] as k pairs: dst[(panel·kp + q)·NR + c] = (B[p0+2q][j], B[p0+2q+1][j]).
static void pack_b_bf16(bool tb, const float* b, int64_t ldb, int64_t p0, int64_t j0, int64_t kc, int64_t nc,
                        uint32_t* dst) {
  const int64_t kp = (kc + 1) / 2;
  for (int64_t s = 0; s < nc; s += NR) {
    const int64_t cols = lo(NR, nc - s);
    uint32_t* base = dst + s / NR * kp * NR;
    if (tb) {  // B's stored rows run along k: c outside, q inside (contiguous reads)
      for (int64_t c = 0; c < NR; c++) {
        const float* src = b + (j0 + s + c) * ldb + p0;
        for (int64_t q = 0; q < kp; q++)
          base[q * NR + c] = c < cols ? pair(src[2 * q], 2 * q + 1 < kc ? src[2 * q + 1] : 0.f) : 0;
      }
    } else {  // B's stored rows run along j: q outside, c inside
      for (int64_t q = 0; q < kp; q++) {
        const float* r0 = b + (p0 + 2 * q) * ldb + j0 + s;
        const float* r1 = 2 * q + 1 < kc ? r0 + ldb : nullptr;
        for (int64_t c = 0; c < NR; c++) base[q * NR + c] = c < cols ? pair(r0[c], r1 ? r1[c] : 0.f) : 0;
      }
    }
  }
}

// C[0:12, 0:32] (+)= Σ_q Ap(12 pairs) · Bp(pairs x 32), two exact bf16 products per vdpbf16ps lane.
VTX_TBF16 static void micro_bf16_12x32(int64_t kp, const uint32_t* ap, const uint32_t* bp, float* c, int64_t ldc,
                                       int rows, int cols, bool acc) {
  __m512 c0[MR], c1[MR];
#pragma GCC unroll 12
  for (int r = 0; r < MR; r++) c0[r] = c1[r] = _mm512_setzero_ps();
  for (int64_t q = 0; q < kp; q++) {
    const __m512bh b0 = (__m512bh)_mm512_load_si512(bp), b1 = (__m512bh)_mm512_load_si512(bp + 16);
#pragma GCC unroll 12
    for (int r = 0; r < MR; r++) {
      const __m512bh av = (__m512bh)_mm512_set1_epi32(static_cast<int>(ap[r]));
      c0[r] = _mm512_dpbf16_ps(c0[r], av, b0);
      c1[r] = _mm512_dpbf16_ps(c1[r], av, b1);
    }
    ap += MR, bp += NR;
  }
  store_tile(c0, c1, c, ldc, rows, cols, acc);
}

VTX_TBF16 void gemm_bf16(bool ta, bool tb, int64_t m, int64_t n, int64_t k, const float* a, int64_t lda,
                         const float* b, int64_t ldb, float* c, int64_t ldc, bool acc) {
  if (k == 0) {
    if (!acc) zero_c(m, n, c, ldc);
    return;
  }
  // KC is even: every block but the last holds whole pairs, so the pairs never straddle a block
  thread_local std::vector<uint32_t> abuf, bbuf;
  uint32_t* ap = aligned(abuf, MC * KC / 2);
  uint32_t* bp = aligned(bbuf, KC / 2 * (NC + NR));
  for (int64_t j0 = 0; j0 < n; j0 += NC) {
    const int64_t nc = lo(NC, n - j0);
    for (int64_t p0 = 0; p0 < k; p0 += KC) {
      const int64_t kc = lo(KC, k - p0), kp = (kc + 1) / 2;
      const bool accum = acc || p0 > 0;
      pack_b_bf16(tb, b, ldb, p0, j0, kc, nc, bp);
      for (int64_t i0 = 0; i0 < m; i0 += MC) {
        const int64_t mc = lo(MC, m - i0);
        pack_a_bf16(ta, a, lda, i0, p0, mc, kc, ap);
        for (int64_t ir = 0; ir < mc; ir += MR)
          for (int64_t jr = 0; jr < nc; jr += NR)
            micro_bf16_12x32(kp, ap + ir / MR * kp * MR, bp + jr / NR * kp * NR, c + (i0 + ir) * ldc + j0 + jr,
                             ldc, static_cast<int>(lo(MR, mc - ir)), static_cast<int>(lo(NR, nc - jr)), accum);
      }
    }
  }
}
#else
bool has_bf16_kernel() { return false; }
void gemm_bf16(bool, bool, int64_t, int64_t, int64_t, const float*, int64_t, const float*, int64_t, float*, int64_t,
               bool) {}
#endif

#else  // no AVX-512 kernels in this build (VTX_NATIVE_PORTABLE, or not x86-64)
bool has_avx512_kernel() { return false; }
bool has_bf16_kernel() { return false; }
void gemm_avx512(bool, bool, int64_t, int64_t, int64_t, const float*, int64_t, const float*, int64_t, float*,
                 int64_t, bool) {}
void gemm_bf16(bool, bool, int64_t, int64_t, int64_t, const float*, int64_t, const float*, int64_t, float*, int64_t,
               bool) {}
#endif

}  // namespace vtx
