// The dense layer y = act(x·W + b) as one call forward and one backward (issue 18: the GEMM epilogue): the
// GEMM of the whole (rows, din) input, then bias and activation in the same call; backward the activation's
// derivative, both GEMMs and the bias's column sums. act: -1 none, else fused.h's Act (GELU exact / tanh, SiLU).
#pragma once
#include <cstdint>

namespace vtx {

// y = act(x·w + bias) (bias may be null); with an activation, pre = x·w + bias is written too (for the backward).
void linear(const float* x, const float* w, const float* bias, float* y, float* pre, int64_t rows, int64_t din,
            int64_t dout, int act);
// From dy (rows, dout): dx (rows, din) = g·wᵀ, dw (din, dout) = xᵀ·g, dbias = Σ_rows g (when non-null), with
// g = dy·act'(pre) (scratch: rows·dout floats, used only with an activation) or g = dy.
void linear_grad(const float* dy, const float* x, const float* w, const float* pre, float* dx, float* dw,
                 float* dbias, float* scratch, int64_t rows, int64_t din, int64_t dout, int act);

}  // namespace vtx
