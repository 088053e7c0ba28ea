// The AVX-512 inner loops of the fused attention (attention_avx512.cc): one (head, sequence) task forward or
// backward, with its block products as register-tiled small GEMMs that read q, k, v, o and do in place (strided
// rows) and a 16-wide exp. Compiled with function target attributes like gemm_avx512.cc, so the addon loads on
// any x86-64 CPU; attention.cc calls these only when has_avx512_kernel() says the CPU runs them, and keeps its
// portable path (block GEMMs through sgemm_serial) as the fallback.
#pragma once
#include <cstdint>

namespace vtx {

// One sequence of one head: row i of q at q + i·ld (k, v likewise), len rows of dh columns; the scores are
// q·kᵀ·scale + kb[j] (kb: the key bias of a padding mask, or null).
struct AttnTaskView {
  const float *q, *k, *v;
  int64_t ld, len, dh;
  float scale;
  const float* kb;
};

// o row i at o + i·ldo, its log-sum-exp at lse[i·lse_ld].
void attention_fwd_task_avx512(const AttnTaskView& t, float* o, int64_t ldo, float* lse, int64_t lse_ld);
// dq, dk, dv rows at + i·t.ld (the layout of q, k, v), each element written once; dout and o rows at + i·ldo.
void attention_bwd_task_avx512(const AttnTaskView& t, const float* dout, const float* o, int64_t ldo,
                               const float* lse, int64_t lse_ld, float* dq, float* dk, float* dv);

}  // namespace vtx
