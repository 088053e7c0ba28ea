// Single-precision GEMM for the native backend: OpenBLAS `cblas_sgemm` loaded at run time with dlopen (so the
// build never needs it), else a packed AVX-512 kernel where the CPU has it (12x32 micro-kernel, gemm_avx512.cc),
// else a packed, cache-blocked AVX2/FMA kernel (BLIS-style 6x16 micro-kernel), else a portable blocked scalar
// loop; chosen at run time. `bf16` (AVX512_BF16: inputs rounded to bf16, fp32 accumulation) is an explicit
// opt-in only, never the default. Row-major throughout: C[M,N] = op(A)[M,K] · op(B)[K,N].
#pragma once
#include <cstdint>

namespace vtx {

// Which implementation sgemm uses: "openblas", "avx512", "avx2", "scalar" or "bf16".
const char* gemm_impl();
// Force an implementation (for tests and benchmarks); returns false if it is not available here.
bool set_gemm_impl(const char* name);
// Whether this build has the AVX2/FMA kernel compiled in (and the CPU runs it).
bool have_avx2_kernel();
// Whether the AVX-512 fp32 kernel and the bf16 one are compiled in and the CPU runs them.
bool have_avx512_kernel();
bool have_bf16_kernel();

// One GEMM on the calling thread (OpenBLAS is kept single-threaded; the pool does the threading).
// With accumulate, C += op(A)·op(B), else C = op(A)·op(B).
void sgemm_serial(bool ta, bool tb, int64_t m, int64_t n, int64_t k, const float* a, int64_t lda, const float* b,
                  int64_t ldb, float* c, int64_t ldc, bool accumulate);

// A batch of GEMMs of one shape, threaded over the pool: slice i reads A at a + a_off[i], B at b + b_off[i]
// (element offsets; null means i * size) and writes C at c + i·m·n (dense).
void sgemm_batched(bool ta, bool tb, int64_t batch, int64_t m, int64_t n, int64_t k, const float* a,
                   const int64_t* a_off, const float* b, const int64_t* b_off, float* c);

}  // namespace vtx
