// Fused softmax cross-entropy over rows of k logits (issue 18), forward and backward one pass each, with label
// smoothing applied to the targets in the kernel: t' = t·(1 − ε) + ε/k. The tfjs gradient that calls the
// backward lives in @vtx/core (`ops/softmax-cross-entropy.ts`).
#pragma once
#include <cstdint>

namespace vtx {

// loss[r] = Σ_j t'_j·(lse_r − x_j) with lse_r = log Σ_j exp(x_j); lse written for the backward.
void softmax_xent(const float* logits, const float* targets, float* loss, float* lse, int64_t rows, int64_t k,
                  float smoothing);
// dx[r, j] = dloss[r]·(softmax_j·Σ t' − t'_j), softmax from the forward's lse.
void softmax_xent_grad(const float* dloss, const float* logits, const float* targets, const float* lse, float* dx,
                       int64_t rows, int64_t k, float smoothing);

}  // namespace vtx
