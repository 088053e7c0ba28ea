#include "gemm.h"

#include <dlfcn.h>

#include <algorithm>
#include <cstdlib>
#include <cstring>
#include <vector>

#include "gemm_avx512.h"
#include "pool.h"

#if defined(VTX_AVX2)
#include <immintrin.h>
#endif

namespace vtx {

// ---- OpenBLAS, loaded at run time ----------------------------------------------------------------------

using cblas_sgemm_t = void (*)(int, int, int, int, int, int, float, const float*, int, const float*, int, float,
                               float*, int);
using set_threads_t = void (*)(int);
enum { kRowMajor = 101, kNoTrans = 111, kTrans = 112 };

struct Blas {
  cblas_sgemm_t sgemm = nullptr;
  Blas() {
    if (std::getenv("VTX_NATIVE_NO_BLAS")) return;
    // The pool does the threading; OpenBLAS threads would spin against it (oversubscription on 2 cores).
    setenv("OPENBLAS_NUM_THREADS", "1", 0);
    for (const char* lib : {"libopenblas.so.0", "libopenblas.so", "libopenblasp.so.0"}) {
      void* h = dlopen(lib, RTLD_NOW | RTLD_LOCAL);
      if (!h) continue;
      auto f = reinterpret_cast<cblas_sgemm_t>(dlsym(h, "cblas_sgemm"));
      auto t = reinterpret_cast<set_threads_t>(dlsym(h, "openblas_set_num_threads"));
      if (!f) continue;
      if (t) t(1);
      sgemm = f;
      return;
    }
  }
};

static Blas& blas() {
  static Blas b;
  return b;
}

enum class Impl { OpenBLAS, AVX512, AVX2, Scalar, BF16 };

bool have_avx2_kernel() {
#if defined(VTX_AVX2)
  return __builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma");
#else
  return false;
#endif
}

bool have_avx512_kernel() { return has_avx512_kernel(); }
bool have_bf16_kernel() { return has_bf16_kernel(); }

// The best exact implementation here; bf16 is never chosen by default (it rounds the inputs: an opt-in).
static Impl default_impl() {
  if (blas().sgemm) return Impl::OpenBLAS;
  if (has_avx512_kernel()) return Impl::AVX512;
  return have_avx2_kernel() ? Impl::AVX2 : Impl::Scalar;
}

static Impl& impl() {
  static Impl i = default_impl();
  return i;
}

const char* gemm_impl() {
  switch (impl()) {
    case Impl::OpenBLAS:
      return "openblas";
    case Impl::AVX512:
      return "avx512";
    case Impl::AVX2:
      return "avx2";
    case Impl::BF16:
      return "bf16";
    default:
      return "scalar";
  }
}

bool set_gemm_impl(const char* name) {
  if (!std::strcmp(name, "openblas") && blas().sgemm) return impl() = Impl::OpenBLAS, true;
  if (!std::strcmp(name, "avx512") && has_avx512_kernel()) return impl() = Impl::AVX512, true;
  if (!std::strcmp(name, "avx2") && have_avx2_kernel()) return impl() = Impl::AVX2, true;
  if (!std::strcmp(name, "scalar")) return impl() = Impl::Scalar, true;
  if (!std::strcmp(name, "bf16") && has_bf16_kernel()) return impl() = Impl::BF16, true;
  return false;
}

// ---- portable fallback: blocked i-k-j loop ------------------------------------------------------------------

static void gemm_scalar(bool ta, bool tb, int64_t m, int64_t n, int64_t k, const float* __restrict a, int64_t lda,
                        const float* __restrict b, int64_t ldb, float* __restrict c, int64_t ldc, bool acc) {
  if (!acc)
    for (int64_t i = 0; i < m; i++) std::memset(c + i * ldc, 0, sizeof(float) * n);
  // materialise op(B) row-major in blocks so the inner loop is unit-stride in j
  const int64_t KB = 128;
  std::vector<float> bt;
  for (int64_t p0 = 0; p0 < k; p0 += KB) {
    int64_t kb = std::min(KB, k - p0);
    const float* bp;
    int64_t ldbp;
    if (tb) {
      bt.resize(kb * n);
      for (int64_t p = 0; p < kb; p++)
        for (int64_t j = 0; j < n; j++) bt[p * n + j] = b[j * ldb + p0 + p];
      bp = bt.data(), ldbp = n;
    } else {
      bp = b + p0 * ldb, ldbp = ldb;
    }
    for (int64_t i = 0; i < m; i++) {
      float* ci = c + i * ldc;
      for (int64_t p = 0; p < kb; p++) {
        float av = ta ? a[(p0 + p) * lda + i] : a[i * lda + p0 + p];
        const float* br = bp + p * ldbp;
        for (int64_t j = 0; j < n; j++) ci[j] += av * br[j];
      }
    }
  }
}

// ---- AVX2/FMA: packed panels, 6x16 register-blocked micro-kernel ---------------------------------------

#if defined(VTX_AVX2)
constexpr int MR = 6, NR = 16;
constexpr int64_t KC = 256, MC = 72, NC = 3072;

// Pack op(A)[i0:i0+mc, p0:p0+kc] into MR-row strips, k-major: dst[(strip·kc + p)·MR + r]; zero-padded rows.
static void pack_a(bool ta, const float* a, int64_t lda, int64_t i0, int64_t p0, int64_t mc, int64_t kc,
                   float* dst) {
  for (int64_t s = 0; s < mc; s += MR) {
    int64_t rows = std::min<int64_t>(MR, mc - s);
    for (int64_t p = 0; p < kc; p++) {
      float* d = dst + (s / MR * kc + p) * MR;
      for (int64_t r = 0; r < rows; r++) {
        int64_t i = i0 + s + r, kk = p0 + p;
        d[r] = ta ? a[kk * lda + i] : a[i * lda + kk];
      }
      for (int64_t r = rows; r < MR; r++) d[r] = 0.f;
    }
  }
}

// Pack op(B)[p0:p0+kc, j0:j0+nc] into NR-column strips: dst[(strip·kc + p)·NR + c]; zero-padded columns.
static void pack_b(bool tb, const float* b, int64_t ldb, int64_t p0, int64_t j0, int64_t kc, int64_t nc,
                   float* dst) {
  for (int64_t s = 0; s < nc; s += NR) {
    int64_t cols = std::min<int64_t>(NR, nc - s);
    float* base = dst + s / NR * kc * NR;
    if (!tb && cols == NR) {
      for (int64_t p = 0; p < kc; p++) {
        const float* src = b + (p0 + p) * ldb + j0 + s;
        _mm256_storeu_ps(base + p * NR, _mm256_loadu_ps(src));
        _mm256_storeu_ps(base + p * NR + 8, _mm256_loadu_ps(src + 8));
      }
    } else if (tb) {
      for (int64_t c = 0; c < NR; c++) {
        if (c < cols) {
          const float* src = b + (j0 + s + c) * ldb + p0;
          for (int64_t p = 0; p < kc; p++) base[p * NR + c] = src[p];
        } else {
          for (int64_t p = 0; p < kc; p++) base[p * NR + c] = 0.f;
        }
      }
    } else {
      for (int64_t p = 0; p < kc; p++) {
        const float* src = b + (p0 + p) * ldb + j0 + s;
        for (int64_t c = 0; c < NR; c++) base[p * NR + c] = c < cols ? src[c] : 0.f;
      }
    }
  }
}

// C[0:6, 0:16] (+)= Ap(6 x kc) · Bp(kc x 16); full tile written straight to C, partial tiles via a buffer.
static inline void micro_6x16(int64_t kc, const float* ap, const float* bp, float* c, int64_t ldc, int rows,
                              int cols, bool acc) {
  __m256 c00 = _mm256_setzero_ps(), c01 = _mm256_setzero_ps(), c10 = _mm256_setzero_ps(),
         c11 = _mm256_setzero_ps(), c20 = _mm256_setzero_ps(), c21 = _mm256_setzero_ps(),
         c30 = _mm256_setzero_ps(), c31 = _mm256_setzero_ps(), c40 = _mm256_setzero_ps(),
         c41 = _mm256_setzero_ps(), c50 = _mm256_setzero_ps(), c51 = _mm256_setzero_ps();
  for (int64_t p = 0; p < kc; p++) {
    __m256 b0 = _mm256_load_ps(bp), b1 = _mm256_load_ps(bp + 8);
    __m256 a;
    a = _mm256_broadcast_ss(ap + 0), c00 = _mm256_fmadd_ps(a, b0, c00), c01 = _mm256_fmadd_ps(a, b1, c01);
    a = _mm256_broadcast_ss(ap + 1), c10 = _mm256_fmadd_ps(a, b0, c10), c11 = _mm256_fmadd_ps(a, b1, c11);
    a = _mm256_broadcast_ss(ap + 2), c20 = _mm256_fmadd_ps(a, b0, c20), c21 = _mm256_fmadd_ps(a, b1, c21);
    a = _mm256_broadcast_ss(ap + 3), c30 = _mm256_fmadd_ps(a, b0, c30), c31 = _mm256_fmadd_ps(a, b1, c31);
    a = _mm256_broadcast_ss(ap + 4), c40 = _mm256_fmadd_ps(a, b0, c40), c41 = _mm256_fmadd_ps(a, b1, c41);
    a = _mm256_broadcast_ss(ap + 5), c50 = _mm256_fmadd_ps(a, b0, c50), c51 = _mm256_fmadd_ps(a, b1, c51);
    ap += MR, bp += NR;
  }
  alignas(32) float buf[MR * NR];
  bool full = rows == MR && cols == NR;
  float* t = full ? c : buf;
  int64_t ld = full ? ldc : NR;
  __m256 acc_[MR][2] = {{c00, c01}, {c10, c11}, {c20, c21}, {c30, c31}, {c40, c41}, {c50, c51}};
  for (int r = 0; r < MR; r++) {
    float* row = t + r * ld;
    if (full && acc) {
      _mm256_storeu_ps(row, _mm256_add_ps(_mm256_loadu_ps(row), acc_[r][0]));
      _mm256_storeu_ps(row + 8, _mm256_add_ps(_mm256_loadu_ps(row + 8), acc_[r][1]));
    } else {
      _mm256_storeu_ps(row, acc_[r][0]);
      _mm256_storeu_ps(row + 8, acc_[r][1]);
    }
  }
  if (!full)
    for (int r = 0; r < rows; r++)
      for (int j = 0; j < cols; j++) c[r * ldc + j] = acc ? c[r * ldc + j] + buf[r * NR + j] : buf[r * NR + j];
}

static void gemm_avx2(bool ta, bool tb, int64_t m, int64_t n, int64_t k, const float* a, int64_t lda,
                      const float* b, int64_t ldb, float* c, int64_t ldc, bool acc) {
  if (k == 0) {
    if (!acc)
      for (int64_t i = 0; i < m; i++) std::memset(c + i * ldc, 0, sizeof(float) * n);
    return;
  }
  thread_local std::vector<float, std::allocator<float>> abuf, bbuf;
  abuf.resize(MC * KC + 16);
  bbuf.resize(KC * (NC + NR) + 16);
  float* ap = reinterpret_cast<float*>((reinterpret_cast<uintptr_t>(abuf.data()) + 31) & ~uintptr_t(31));
  float* bp = reinterpret_cast<float*>((reinterpret_cast<uintptr_t>(bbuf.data()) + 31) & ~uintptr_t(31));
  for (int64_t j0 = 0; j0 < n; j0 += NC) {
    int64_t nc = std::min(NC, n - j0);
    for (int64_t p0 = 0; p0 < k; p0 += KC) {
      int64_t kc = std::min(KC, k - p0);
      bool accum = acc || p0 > 0;
      pack_b(tb, b, ldb, p0, j0, kc, nc, bp);
      for (int64_t i0 = 0; i0 < m; i0 += MC) {
        int64_t mc = std::min(MC, m - i0);
        pack_a(ta, a, lda, i0, p0, mc, kc, ap);
        for (int64_t jr = 0; jr < nc; jr += NR)
          for (int64_t ir = 0; ir < mc; ir += MR)
            micro_6x16(kc, ap + ir / MR * kc * MR, bp + jr / NR * kc * NR, c + (i0 + ir) * ldc + j0 + jr, ldc,
                       static_cast<int>(std::min<int64_t>(MR, mc - ir)),
                       static_cast<int>(std::min<int64_t>(NR, nc - jr)), accum);
      }
    }
  }
}
#endif

void sgemm_serial(bool ta, bool tb, int64_t m, int64_t n, int64_t k, const float* a, int64_t lda, const float* b,
                  int64_t ldb, float* c, int64_t ldc, bool acc) {
  if (m == 0 || n == 0) return;
  switch (impl()) {
    case Impl::OpenBLAS:
      if (k == 0) break;
      blas().sgemm(kRowMajor, ta ? kTrans : kNoTrans, tb ? kTrans : kNoTrans, static_cast<int>(m),
                   static_cast<int>(n), static_cast<int>(k), 1.f, a, static_cast<int>(lda), b,
                   static_cast<int>(ldb), acc ? 1.f : 0.f, c, static_cast<int>(ldc));
      return;
    case Impl::AVX512:
      gemm_avx512(ta, tb, m, n, k, a, lda, b, ldb, c, ldc, acc);
      return;
    case Impl::BF16:
      gemm_bf16(ta, tb, m, n, k, a, lda, b, ldb, c, ldc, acc);
      return;
#if defined(VTX_AVX2)
    case Impl::AVX2:
      gemm_avx2(ta, tb, m, n, k, a, lda, b, ldb, c, ldc, acc);
      return;
#endif
    default:
      break;
  }
  gemm_scalar(ta, tb, m, n, k, a, lda, b, ldb, c, ldc, acc);
}

void sgemm_batched(bool ta, bool tb, int64_t batch, int64_t m, int64_t n, int64_t k, const float* a,
                   const int64_t* a_off, const float* b, const int64_t* b_off, float* c) {
  const int64_t lda = ta ? m : k, ldb = tb ? k : n;
  const int threads = pool().size();
  const double flops = 2.0 * batch * m * n * k;
  auto one = [&](int64_t i, int64_t r0, int64_t r1, int64_t c0, int64_t c1) {
    const float* ai = a + (a_off ? a_off[i] : i * m * k);
    const float* bi = b + (b_off ? b_off[i] : i * k * n);
    float* ci = c + i * m * n;
    // rows [r0, r1) and columns [c0, c1) of slice i
    const float* as = ta ? ai + r0 : ai + r0 * lda;
    const float* bs = tb ? bi + c0 * ldb : bi + c0;
    sgemm_serial(ta, tb, r1 - r0, c1 - c0, k, as, lda, bs, ldb, ci + r0 * n + c0, n, false);
  };
  if (threads == 1 || flops < 2e5) {
    for (int64_t i = 0; i < batch; i++) one(i, 0, m, 0, n);
    return;
  }
  if (batch >= threads) {
    // whole slices per thread (attention heads, per-frame matmuls)
    pool().run(threads, [&](int t) {
      for (int64_t i = batch * t / threads; i < batch * (t + 1) / threads; i++) one(i, 0, m, 0, n);
    });
    return;
  }
  // few large slices: split each into row (or column) blocks, aligned to the micro-tile
  const bool wide = impl() == Impl::AVX512 || impl() == Impl::BF16;
  const int64_t mr = wide ? kAvx512MR : 6, nr = wide ? kAvx512NR : 16;
  pool().run(threads, [&](int t) {
    for (int64_t i = 0; i < batch; i++) {
      if (m >= n || n < 2 * nr) {
        int64_t r0 = (m * t / threads) / mr * mr, r1 = t + 1 == threads ? m : (m * (t + 1) / threads) / mr * mr;
        if (r0 < r1) one(i, r0, r1, 0, n);
      } else {
        int64_t c0 = (n * t / threads) / nr * nr, c1 = t + 1 == threads ? n : (n * (t + 1) / threads) / nr * nr;
        if (c0 < c1) one(i, 0, m, c0, c1);
      }
    }
  });
}

}  // namespace vtx
