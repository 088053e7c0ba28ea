// Fused multi-head self-attention over a token grid, forward and backward (issue 18), flash-attention style
// (Dao et al. 2022): scores are computed one 64 x 64 block at a time with an online softmax, the row
// log-sum-exp is kept for the backward, which recomputes the scores block by block. q, k and v are read in
// place from the qkv projection (B, N, 3·D) (columns [q | k | v], each head-major, as timm's `qkv` and vtx's
// SelfAttention), and the output is written in the merged-heads layout (B, N, D): no transposes, whatever the
// axis. Token n = t·HW + s of a (T, HW) grid; which tokens attend to each other, per head:
//   joint: all N of a sample · space: the HW of one frame · time: the T at one position ·
//   split: heads < H/2 space, the others time (ViViT model 4).
#pragma once
#include <cstdint>

namespace vtx {

enum class AttnAxis { Joint = 0, Space = 1, Time = 2, Split = 3 };

struct AttnShape {
  int64_t b, t, hw, heads, dh;  // N = t·hw, D = heads·dh
  AttnAxis axis;
};

// Which implementation runs the blocks: "avx512" (attention_avx512.cc, the default where the CPU has AVX-512) or
// "generic" (block GEMMs through sgemm_serial, whatever GEMM is chosen); set_attention_impl forces one (tests,
// benchmarks) and returns false when it is not available here.
const char* attention_impl();
bool set_attention_impl(const char* name);

// o (B, N, D), lse (B, N, heads); mask (B, N) of 1 (attend) / 0 (ignore) keys or null (joint only): the
// logits of masked keys get −1e9 added, as the composed op's additive bias.
void attention_fwd(const float* qkv, const float* mask, float* o, float* lse, const AttnShape& s);
// dqkv (B, N, 3·D) from do (B, N, D), the forward's qkv, o and lse (every element written once).
void attention_bwd(const float* dout, const float* qkv, const float* o, const float* lse, const float* mask,
                   float* dqkv, const AttnShape& s);

}  // namespace vtx
