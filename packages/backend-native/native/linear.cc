#include "linear.h"

#include <algorithm>

#include "fused.h"
#include "gemm.h"
#include "kernels.h"

namespace vtx {

void linear(const float* x, const float* w, const float* bias, float* y, float* pre, int64_t rows, int64_t din,
            int64_t dout, int act) {
  float* h = act >= 0 ? pre : y;
  if (rows * dout == 0) return;
  if (din == 0) std::fill(h, h + rows * dout, 0.f);
  else sgemm_batched(false, false, 1, rows, dout, din, x, nullptr, w, nullptr, h);
  if (bias) bias_act(h, rows, dout, bias, 0, 0.f);
  if (act >= 0) activation(static_cast<Act>(act), h, y, rows * dout);
}

void linear_grad(const float* dy, const float* x, const float* w, const float* pre, float* dx, float* dw,
                 float* dbias, float* scratch, int64_t rows, int64_t din, int64_t dout, int act) {
  if (rows == 0 || dout == 0) {  // nothing flows back: zero weight and bias gradients, empty or zero dx
    std::fill(dw, dw + din * dout, 0.f);
    if (dbias) std::fill(dbias, dbias + dout, 0.f);
    std::fill(dx, dx + rows * din, 0.f);
    return;
  }
  const float* g = dy;
  if (act >= 0) {
    activation_grad(static_cast<Act>(act), dy, pre, scratch, rows * dout);
    g = scratch;
  }
  if (din > 0) {
    sgemm_batched(false, true, 1, rows, din, dout, g, nullptr, w, nullptr, dx);
    sgemm_batched(true, false, 1, din, dout, rows, x, nullptr, g, nullptr, dw);
  }
  if (dbias) reduce_outer(Reduce::Sum, g, dbias, rows, dout);
}

}  // namespace vtx
