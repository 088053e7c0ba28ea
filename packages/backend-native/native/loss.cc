#include "loss.h"

#include <algorithm>
#include <cmath>

#include "pool.h"

namespace vtx {

constexpr int64_t kGrain = 1 << 15;

static int64_t rows_grain(int64_t k) { return std::max<int64_t>(1, kGrain / std::max<int64_t>(1, k)); }

// Sums in double: a row of a thousand classes keeps float32 accuracy in the loss and its gradient.
void softmax_xent(const float* logits, const float* targets, float* loss, float* lse, int64_t rows, int64_t k,
                  float smoothing) {
  const double keep = 1.0 - smoothing, spread = static_cast<double>(smoothing) / k;
  parallel_range(rows, rows_grain(k), [&](int64_t r0, int64_t r1) {
    for (int64_t r = r0; r < r1; r++) {
      const float* x = logits + r * k;
      const float* t = targets + r * k;
      float m = -INFINITY;
      for (int64_t j = 0; j < k; j++) m = std::max(m, x[j]);
      double s = 0, st = 0, stx = 0;
      for (int64_t j = 0; j < k; j++) {
        s += std::exp(static_cast<double>(x[j]) - m);
        const double tj = t[j] * keep + spread;
        st += tj, stx += tj * x[j];
      }
      const double l = m + std::log(s);
      lse[r] = static_cast<float>(l);
      loss[r] = static_cast<float>(l * st - stx);
    }
  });
}

void softmax_xent_grad(const float* dloss, const float* logits, const float* targets, const float* lse, float* dx,
                       int64_t rows, int64_t k, float smoothing) {
  const double keep = 1.0 - smoothing, spread = static_cast<double>(smoothing) / k;
  parallel_range(rows, rows_grain(k), [&](int64_t r0, int64_t r1) {
    for (int64_t r = r0; r < r1; r++) {
      const float* x = logits + r * k;
      const float* t = targets + r * k;
      float* o = dx + r * k;
      double st = 0;
      for (int64_t j = 0; j < k; j++) st += t[j] * keep + spread;
      const double g = dloss[r], l = lse[r];
      for (int64_t j = 0; j < k; j++)
        o[j] = static_cast<float>(g * (std::exp(x[j] - l) * st - (t[j] * keep + spread)));
    }
  });
}

}  // namespace vtx
