// Single-precision GEMM for the native backend: OpenBLAS `cblas_sgemm` loaded at run time with dlopen (so the
// build never needs it), else a packed, cache-blocked AVX2/FMA kernel (BLIS-style 6x16 micro-kernel), else a
// portable blocked scalar loop. Row-major throughout: C[M,N] = op(A)[M,K] · op(B)[K,N].
#pragma once
#include <cstdint>

namespace vtx {

// Which implementation sgemm uses: "openblas", "avx2" or "scalar".
const char* gemm_impl();
// Force an implementation (for tests and benchmarks); returns false if it is not available here.
bool set_gemm_impl(const char* name);
// Whether this build has the AVX2/FMA kernel compiled in.
bool have_avx2_kernel();

// One GEMM on the calling thread (OpenBLAS is kept single-threaded; the pool does the threading).
// With accumulate, C += op(A)·op(B), else C = op(A)·op(B).
void sgemm_serial(bool ta, bool tb, int64_t m, int64_t n, int64_t k, const float* a, int64_t lda, const float* b,
                  int64_t ldb, float* c, int64_t ldc, bool accumulate);

// A batch of GEMMs of one shape, threaded over the pool: slice i reads A at a + a_off[i], B at b + b_off[i]
// (element offsets; null means i * size) and writes C at c + i·m·n (dense).
void sgemm_batched(bool ta, bool tb, int64_t batch, int64_t m, int64_t n, int64_t k, const float* a,
                   const int64_t* a_off, const float* b, const int64_t* b_off, float* c);

}  // namespace vtx
