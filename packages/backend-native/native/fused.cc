#include "fused.h"

#include <algorithm>
#include <cmath>
#include <vector>

#include "pool.h"
#include "vmath.h"

namespace vtx {

// Work below this many elements runs on the calling thread (as in kernels.cc).
constexpr int64_t kGrain = 1 << 15;

// Mean and 1/sqrt(var + eps) of one row, accumulated in double (two passes: no cancellation).
static inline void row_stats(const float* x, int64_t d, float eps, float* mean, float* rstd) {
  const double m = sum8<double>(d, [&](int64_t j) { return static_cast<double>(x[j]); }) / d;
  const double v = sum8<double>(d, [&](int64_t j) {
    const double t = x[j] - m;
    return t * t;
  });
  *mean = static_cast<float>(m);
  *rstd = static_cast<float>(1.0 / std::sqrt(v / d + eps));
}

static int64_t rows_grain(int64_t d) { return std::max<int64_t>(1, kGrain / std::max<int64_t>(1, d)); }

void layer_norm(const float* x, const float* gamma, const float* beta, float* y, int64_t rows, int64_t d, float eps) {
  parallel_range(rows, rows_grain(d), [&](int64_t r0, int64_t r1) {
    for (int64_t r = r0; r < r1; r++) {
      const float* xr = x + r * d;
      float* yr = y + r * d;
      float mean, rstd;
      row_stats(xr, d, eps, &mean, &rstd);
      if (gamma)
        for (int64_t j = 0; j < d; j++) yr[j] = (xr[j] - mean) * rstd * gamma[j] + beta[j];
      else
        for (int64_t j = 0; j < d; j++) yr[j] = (xr[j] - mean) * rstd;
    }
  });
}

// Run fn(part, r0, r1) over `parts` contiguous row ranges; parts = how many threads the work is worth.
template <typename F>
static void row_parts(int64_t rows, int64_t d, int parts, F fn) {
  if (parts <= 1) {
    fn(0, 0, rows);
    return;
  }
  pool().run(parts, [&](int t) { fn(t, rows * t / parts, rows * (t + 1) / parts); });
}

static int parts_for(int64_t rows, int64_t d) {
  return static_cast<int>(std::min<int64_t>(pool().size(), std::max<int64_t>(1, rows / rows_grain(d))));
}

void layer_norm_grad(const float* dy, const float* x, const float* gamma, float* dx, float* dgamma, float* dbeta,
                     int64_t rows, int64_t d, float eps) {
  const int parts = parts_for(rows, d);
  // per-part partial sums of dgamma / dbeta (d each), added up at the end in a fixed order (deterministic)
  std::vector<double> acc(gamma ? static_cast<size_t>(parts) * 2 * d : 0, 0.0);
  row_parts(rows, d, parts, [&](int t, int64_t r0, int64_t r1) {
    double* ag = gamma ? acc.data() + static_cast<size_t>(t) * 2 * d : nullptr;
    double* ab = gamma ? ag + d : nullptr;
    for (int64_t r = r0; r < r1; r++) {
      const float* xr = x + r * d;
      const float* gr = dy + r * d;
      float* o = dx + r * d;
      float mean, rstd;
      row_stats(xr, d, eps, &mean, &rstd);
      // g = dy·gamma; dx = rstd·(g − mean(g) − x̂·mean(g·x̂))
      const double sg =
          sum8<double>(d, [&](int64_t j) { return static_cast<double>(gamma ? gr[j] * gamma[j] : gr[j]); });
      const double sgx = sum8<double>(d, [&](int64_t j) {
        const float g = gamma ? gr[j] * gamma[j] : gr[j];
        return static_cast<double>(g) * ((xr[j] - mean) * rstd);
      });
      if (gamma)
        for (int64_t j = 0; j < d; j++) {
          ag[j] += static_cast<double>(gr[j]) * ((xr[j] - mean) * rstd);
          ab[j] += gr[j];
        }
      const float mg = static_cast<float>(sg / d), mgx = static_cast<float>(sgx / d);
      for (int64_t j = 0; j < d; j++) {
        const float xh = (xr[j] - mean) * rstd;
        const float g = gamma ? gr[j] * gamma[j] : gr[j];
        o[j] = rstd * (g - mg - xh * mgx);
      }
    }
  });
  if (!gamma) return;
  for (int64_t j = 0; j < d; j++) {
    double sg = 0, sb = 0;
    for (int t = 0; t < parts; t++) sg += acc[static_cast<size_t>(t) * 2 * d + j], sb += acc[static_cast<size_t>(t) * 2 * d + d + j];
    dgamma[j] = static_cast<float>(sg), dbeta[j] = static_cast<float>(sb);
  }
}

// Parallel over samples b (each writes its own (d) slice of a per-sample reduction), else over tokens.
template <typename F>
static void per_sample(int64_t b, int64_t n, int64_t d, F fn) {
  parallel_range(b, std::max<int64_t>(1, kGrain / std::max<int64_t>(1, n * d)), [&](int64_t b0, int64_t b1) {
    for (int64_t i = b0; i < b1; i++) fn(i);
  });
}

// No fused multiply-add (-mfma would contract) in the adaLN ops: x·(1 + scale) + shift and x + gate·h round
// like the composed tfjs ops they replace, bit for bit, so a forward pass is the same with the fused path on or off.
#pragma GCC push_options
#pragma GCC optimize("fp-contract=off")

void modulate(const float* x, const float* shift, const float* scale, float* y, int64_t b, int64_t n, int64_t d) {
  per_sample(b, n, d, [&](int64_t i) {
    const float* sh = shift + i * d;
    const float* sc = scale + i * d;
    for (int64_t t = 0; t < n; t++) {
      const float* xr = x + (i * n + t) * d;
      float* yr = y + (i * n + t) * d;
      for (int64_t j = 0; j < d; j++) yr[j] = xr[j] * (1.f + sc[j]) + sh[j];
    }
  });
}

void modulate_grad(const float* dy, const float* x, const float* scale, float* dx, float* dshift, float* dscale,
                   int64_t b, int64_t n, int64_t d) {
  per_sample(b, n, d, [&](int64_t i) {
    const float* sc = scale + i * d;
    std::vector<double> ss(d, 0.0), sx(d, 0.0);
    for (int64_t t = 0; t < n; t++) {
      const int64_t o = (i * n + t) * d;
      for (int64_t j = 0; j < d; j++) {
        const float g = dy[o + j];
        dx[o + j] = g * (1.f + sc[j]);
        ss[j] += g, sx[j] += static_cast<double>(g) * x[o + j];
      }
    }
    for (int64_t j = 0; j < d; j++) dshift[i * d + j] = static_cast<float>(ss[j]), dscale[i * d + j] = static_cast<float>(sx[j]);
  });
}

void gated_residual(const float* x, const float* h, const float* gate, float* y, int64_t b, int64_t n, int64_t d) {
  per_sample(b, n, d, [&](int64_t i) {
    const float* g = gate + i * d;
    for (int64_t t = 0; t < n; t++) {
      const int64_t o = (i * n + t) * d;
      for (int64_t j = 0; j < d; j++) y[o + j] = x[o + j] + g[j] * h[o + j];
    }
  });
}

#pragma GCC pop_options

void gated_residual_grad(const float* dy, const float* h, const float* gate, float* dh, float* dgate, int64_t b,
                         int64_t n, int64_t d) {
  per_sample(b, n, d, [&](int64_t i) {
    const float* g = gate + i * d;
    std::vector<double> sg(d, 0.0);
    for (int64_t t = 0; t < n; t++) {
      const int64_t o = (i * n + t) * d;
      for (int64_t j = 0; j < d; j++) {
        dh[o + j] = dy[o + j] * g[j];
        sg[j] += static_cast<double>(dy[o + j]) * h[o + j];
      }
    }
    for (int64_t j = 0; j < d; j++) dgate[i * d + j] = static_cast<float>(sg[j]);
  });
}

constexpr float kSqrt1_2 = 0.70710678118654752f;
constexpr float kInvSqrt2Pi = 0.39894228040143268f;
constexpr float kSqrt2OverPi = 0.79788456080286536f;
constexpr float kGeluC = 0.044715f;

template <Act act>
static inline float fwd(float x) {
  if (act == Act::GeluExact) return 0.5f * x * (1.f + verf(x * kSqrt1_2));
  if (act == Act::GeluTanh) return 0.5f * x * (1.f + vtanh(kSqrt2OverPi * (x + kGeluC * x * x * x)));
  return x * vsigmoid(x);
}

template <Act act>
static inline float deriv(float x) {
  if (act == Act::GeluExact) {
    const float z = x * kSqrt1_2, e = vexp(-z * z);  // e^(-x²/2): both erf's and the Gaussian density's
    return 0.5f * (1.f + verf_given_exp(z, e)) + x * kInvSqrt2Pi * e;
  }
  if (act == Act::GeluTanh) {
    const float t = vtanh(kSqrt2OverPi * (x + kGeluC * x * x * x));
    return 0.5f * (1.f + t) + 0.5f * x * (1.f - t * t) * kSqrt2OverPi * (1.f + 3.f * kGeluC * x * x);
  }
  const float s = vsigmoid(x);
  return s * (1.f + x * (1.f - s));
}

template <Act act>
static void activation_t(const float* x, float* y, int64_t n) {
  parallel_range(n, kGrain, [&](int64_t i0, int64_t i1) {
    for (int64_t i = i0; i < i1; i++) y[i] = fwd<act>(x[i]);
  });
}

template <Act act>
static void activation_grad_t(const float* dy, const float* x, float* dx, int64_t n) {
  parallel_range(n, kGrain, [&](int64_t i0, int64_t i1) {
    for (int64_t i = i0; i < i1; i++) dx[i] = dy[i] * deriv<act>(x[i]);
  });
}

void activation(Act act, const float* x, float* y, int64_t n) {
  switch (act) {
    case Act::GeluExact: return activation_t<Act::GeluExact>(x, y, n);
    case Act::GeluTanh: return activation_t<Act::GeluTanh>(x, y, n);
    case Act::Silu: return activation_t<Act::Silu>(x, y, n);
  }
}

void activation_grad(Act act, const float* dy, const float* x, float* dx, int64_t n) {
  switch (act) {
    case Act::GeluExact: return activation_grad_t<Act::GeluExact>(dy, x, dx, n);
    case Act::GeluTanh: return activation_grad_t<Act::GeluTanh>(dy, x, dx, n);
    case Act::Silu: return activation_grad_t<Act::Silu>(dy, x, dx, n);
  }
}

}  // namespace vtx
