// The AVX-512 GEMM kernels (gemm_avx512.cc): fp32 with FMA, and the opt-in bf16 one (inputs rounded to bf16,
// products accumulated in fp32 by vdpbf16ps). They are compiled with function target attributes, so the addon
// loads on any x86-64 CPU; call them only when the matching `has_*` says the CPU can run them.
#pragma once
#include <cstdint>

namespace vtx {

// Whether this build has the kernel and the CPU runs it (AVX-512 F/BW/DQ/VL; plus AVX512_BF16 for bf16).
bool has_avx512_kernel();
bool has_bf16_kernel();

// The register tile of the AVX-512 micro-kernels (rows x columns of C): thread splits align to it.
constexpr int kAvx512MR = 12, kAvx512NR = 32;

// Row-major C[M,N] (+)= op(A)[M,K] · op(B)[K,N] on the calling thread, like sgemm_serial.
void gemm_avx512(bool ta, bool tb, int64_t m, int64_t n, int64_t k, const float* a, int64_t lda, const float* b,
                 int64_t ldb, float* c, int64_t ldc, bool acc);
// The same with A and B rounded to bf16 (round to nearest even) and fp32 accumulation: an opt-in, not exact.
void gemm_bf16(bool ta, bool tb, int64_t m, int64_t n, int64_t k, const float* a, int64_t lda, const float* b,
               int64_t ldb, float* c, int64_t ldc, bool acc);

// fp32 -> bf16 bits, round to nearest even (NaN stays a quiet NaN): the rounding the bf16 kernel applies.
inline uint16_t to_bf16(float x) {
  uint32_t u;
  __builtin_memcpy(&u, &x, 4);
  if ((u & 0x7fffffffu) > 0x7f800000u) return static_cast<uint16_t>((u >> 16) | 0x40);
  return static_cast<uint16_t>((u + 0x7fffu + ((u >> 16) & 1u)) >> 16);
}

}  // namespace vtx
