// Fused float32 kernels of a transformer block, forward and backward, one pass each (issue 18): layer norm,
// adaLN modulate x·(1 + scale) + shift, the gated residual x + gate·h, and GELU (exact / tanh) / SiLU. The
// tfjs gradients that call the backward kernels live in @vtx/core (`ops/layer-norm.ts`, `ops/modulate.ts`,
// `ops/gelu.ts`); every tensor is dense row-major, rows = the product of the leading axes, d = the last axis.
#pragma once
#include <cstdint>

namespace vtx {

// y = (x − mean) / sqrt(var + eps) [· gamma + beta] per row of d; gamma and beta both null or both set.
void layer_norm(const float* x, const float* gamma, const float* beta, float* y, int64_t rows, int64_t d, float eps);
// dx (and, when gamma is set, dgamma = Σ dy·x̂ and dbeta = Σ dy over rows); statistics recomputed from x.
void layer_norm_grad(const float* dy, const float* x, const float* gamma, float* dx, float* dgamma, float* dbeta,
                     int64_t rows, int64_t d, float eps);

// x (b, n, d), shift and scale (b, d): y = x·(1 + scale) + shift.
void modulate(const float* x, const float* shift, const float* scale, float* y, int64_t b, int64_t n, int64_t d);
// dx = dy·(1 + scale), dshift = Σ_n dy, dscale = Σ_n dy·x.
void modulate_grad(const float* dy, const float* x, const float* scale, float* dx, float* dshift, float* dscale,
                   int64_t b, int64_t n, int64_t d);

// x, h (b, n, d), gate (b, d): y = x + gate·h.
void gated_residual(const float* x, const float* h, const float* gate, float* y, int64_t b, int64_t n, int64_t d);
// dh = dy·gate, dgate = Σ_n dy·h (dx = dy needs no kernel).
void gated_residual_grad(const float* dy, const float* h, const float* gate, float* dh, float* dgate, int64_t b,
                         int64_t n, int64_t d);

enum class Act { GeluExact = 0, GeluTanh = 1, Silu = 2 };
void activation(Act act, const float* x, float* y, int64_t n);
// dx = dy · act'(x)
void activation_grad(Act act, const float* dy, const float* x, float* dx, int64_t n);

}  // namespace vtx
