// im2col + GEMM convolutions (see conv.h). Each thread takes a contiguous range of samples and keeps one
// (positions x patch) column buffer; the filter gradient is summed per thread and the partial sums added at the
// end, so no two threads write the same element.
#include "conv.h"

#include <algorithm>
#include <cstring>
#include <vector>

#include "gemm.h"
#include "pool.h"

namespace vtx {
namespace {

// A 1x1x1 convolution with unit strides and no padding reads x as the column matrix itself.
bool pointwise(const ConvGeom& g) {
  return g.kd == 1 && g.kh == 1 && g.kw == 1 && g.sd == 1 && g.sh == 1 && g.sw == 1 && g.pd == 0 && g.ph == 0 &&
         g.pw == 0 && g.od == g.d && g.oh == g.h && g.ow == g.w;
}

// cols (positions, patch) of sample x_n; taps outside the input are zero.
void im2col(const ConvGeom& g, const float* xn, float* cols) {
  const int64_t cin = g.cin, patch = g.patch();
  float* row = cols;
  for (int64_t od = 0; od < g.od; od++)
    for (int64_t oh = 0; oh < g.oh; oh++)
      for (int64_t ow = 0; ow < g.ow; ow++, row += patch) {
        float* dst = row;
        for (int64_t a = 0; a < g.kd; a++) {
          const int64_t id = od * g.sd - g.pd + a * g.dd;
          for (int64_t b = 0; b < g.kh; b++) {
            const int64_t ih = oh * g.sh - g.ph + b * g.dh;
            for (int64_t c = 0; c < g.kw; c++, dst += cin) {
              const int64_t iw = ow * g.sw - g.pw + c * g.dw;
              if (id < 0 || id >= g.d || ih < 0 || ih >= g.h || iw < 0 || iw >= g.w)
                std::memset(dst, 0, sizeof(float) * cin);
              else
                std::memcpy(dst, xn + ((id * g.h + ih) * g.w + iw) * cin, sizeof(float) * cin);
            }
          }
        }
      }
}

// The adjoint of im2col: dx_n += scatter of cols (dx_n zeroed by the caller).
void col2im(const ConvGeom& g, const float* cols, float* dxn) {
  const int64_t cin = g.cin, patch = g.patch();
  const float* row = cols;
  for (int64_t od = 0; od < g.od; od++)
    for (int64_t oh = 0; oh < g.oh; oh++)
      for (int64_t ow = 0; ow < g.ow; ow++, row += patch) {
        const float* src = row;
        for (int64_t a = 0; a < g.kd; a++) {
          const int64_t id = od * g.sd - g.pd + a * g.dd;
          for (int64_t b = 0; b < g.kh; b++) {
            const int64_t ih = oh * g.sh - g.ph + b * g.dh;
            for (int64_t c = 0; c < g.kw; c++, src += cin) {
              const int64_t iw = ow * g.sw - g.pw + c * g.dw;
              if (id < 0 || id >= g.d || ih < 0 || ih >= g.h || iw < 0 || iw >= g.w) continue;
              float* dst = dxn + ((id * g.h + ih) * g.w + iw) * cin;
              for (int64_t k = 0; k < cin; k++) dst[k] += src[k];
            }
          }
        }
      }
}

// Samples [begin, end) per thread; min 1 sample per thread.
void over_samples(const ConvGeom& g, const std::function<void(int64_t, int64_t, int)>& fn) {
  const int threads = std::max<int>(1, std::min<int64_t>(pool().size(), g.n));
  pool().run(threads, [&](int t) {
    const int64_t begin = g.n * t / threads, end = g.n * (t + 1) / threads;
    if (begin < end) fn(begin, end, t);
  });
}

}  // namespace

void conv_forward(const ConvGeom& g, const float* x, const float* filter, float* y) {
  const int64_t P = g.positions(), K = g.patch(), in = g.d * g.h * g.w * g.cin, out = P * g.cout;
  const bool direct = pointwise(g);
  over_samples(g, [&](int64_t begin, int64_t end, int) {
    std::vector<float> cols(direct ? 0 : P * K);
    for (int64_t s = begin; s < end; s++) {
      const float* a = x + s * in;
      if (!direct) {
        im2col(g, a, cols.data());
        a = cols.data();
      }
      sgemm_serial(false, false, P, g.cout, K, a, K, filter, g.cout, y + s * out, g.cout, false);
    }
  });
}

void conv_backprop_input(const ConvGeom& g, const float* dy, const float* filter, float* dx) {
  const int64_t P = g.positions(), K = g.patch(), in = g.d * g.h * g.w * g.cin, out = P * g.cout;
  const bool direct = pointwise(g);
  over_samples(g, [&](int64_t begin, int64_t end, int) {
    std::vector<float> cols(direct ? 0 : P * K);
    for (int64_t s = begin; s < end; s++) {
      // dcols (P, K) = dy_s (P, Cout) · filter^T (Cout, K)
      if (direct) {
        sgemm_serial(false, true, P, K, g.cout, dy + s * out, g.cout, filter, g.cout, dx + s * in, K, false);
        continue;
      }
      sgemm_serial(false, true, P, K, g.cout, dy + s * out, g.cout, filter, g.cout, cols.data(), K, false);
      std::memset(dx + s * in, 0, sizeof(float) * in);
      col2im(g, cols.data(), dx + s * in);
    }
  });
}

void conv_backprop_filter(const ConvGeom& g, const float* x, const float* dy, float* dfilter) {
  const int64_t P = g.positions(), K = g.patch(), in = g.d * g.h * g.w * g.cin, out = P * g.cout;
  const bool direct = pointwise(g);
  const int threads = std::max<int>(1, std::min<int64_t>(pool().size(), g.n));
  std::vector<std::vector<float>> partial(threads);
  over_samples(g, [&](int64_t begin, int64_t end, int t) {
    std::vector<float> cols(direct ? 0 : P * K);
    std::vector<float>& acc = partial[t];
    acc.assign(K * g.cout, 0.0f);
    for (int64_t s = begin; s < end; s++) {
      const float* a = x + s * in;
      if (!direct) {
        im2col(g, a, cols.data());
        a = cols.data();
      }
      // dfilter (K, Cout) += cols^T (K, P) · dy_s (P, Cout)
      sgemm_serial(true, false, K, g.cout, P, a, K, dy + s * out, g.cout, acc.data(), g.cout, true);
    }
  });
  std::fill(dfilter, dfilter + K * g.cout, 0.0f);
  for (const auto& acc : partial)
    for (size_t i = 0; i < acc.size(); i++) dfilter[i] += acc[i];
}

}  // namespace vtx
