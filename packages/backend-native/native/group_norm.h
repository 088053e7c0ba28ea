// Group normalisation (Wu & He 2018), channels last, forward and backward one kernel each (issue 21): x is
// (s, n, c) — s samples (a U-Net's images or frames), n positions, c channels in `groups` groups of c / groups
// adjacent channels — and each (sample, group) is normalised over its n · c / groups values, then scaled and shifted
// per channel. The tfjs gradient that calls the backward kernel lives in @vtx/core (`ops/group-norm.ts`).
#pragma once
#include <cstdint>

namespace vtx {

// y = (x − mean) / sqrt(var + eps) [· gamma + beta]; gamma and beta (c) both null or both set.
void group_norm(const float* x, const float* gamma, const float* beta, float* y, int64_t s, int64_t n, int64_t c,
                int64_t groups, float eps);
// dx (and, when gamma is set, dgamma = Σ dy·x̂ and dbeta = Σ dy over samples and positions); statistics recomputed.
void group_norm_grad(const float* dy, const float* x, const float* gamma, float* dx, float* dgamma, float* dbeta,
                     int64_t s, int64_t n, int64_t c, int64_t groups, float eps);

}  // namespace vtx
