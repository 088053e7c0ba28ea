// Group norm over (s, n, c) channels last (see group_norm.h). Threads take contiguous ranges of samples; within a
// sample every pass runs over the rows of c channels in memory order, accumulating per channel in double and
// folding the channels into their groups (so no strided walk per group). The statistics are two-pass (mean,
// then the mean square of x − mean: no cancellation). dgamma / dbeta are summed per thread and the partial sums
// added in thread order at the end.
#include "group_norm.h"

#include <algorithm>
#include <cmath>
#include <vector>

#include "pool.h"

namespace vtx {
namespace {

// Per channel: its group's mean and 1/sqrt(var + eps) of one sample (n, c), with the double accumulators.
struct Stats {
  std::vector<double> acc, group;
  std::vector<float> mean, rstd;
  Stats(int64_t c, int64_t groups) : acc(c), group(groups), mean(c), rstd(c) {}

  // Σ over each group of a per-channel sum (acc), into `group`.
  void fold(int64_t cg) {
    std::fill(group.begin(), group.end(), 0.0);
    for (size_t k = 0; k < acc.size(); k++) group[k / cg] += acc[k];
  }

  void compute(const float* xs, int64_t n, int64_t c, int64_t cg, float eps) {
    const double count = static_cast<double>(n) * cg;
    std::fill(acc.begin(), acc.end(), 0.0);
    for (int64_t p = 0; p < n; p++)
      for (int64_t k = 0; k < c; k++) acc[k] += xs[p * c + k];
    fold(cg);
    for (int64_t k = 0; k < c; k++) mean[k] = static_cast<float>(group[k / cg] / count);
    std::fill(acc.begin(), acc.end(), 0.0);
    for (int64_t p = 0; p < n; p++)
      for (int64_t k = 0; k < c; k++) {
        const double d = xs[p * c + k] - mean[k];
        acc[k] += d * d;
      }
    fold(cg);
    for (int64_t k = 0; k < c; k++) rstd[k] = static_cast<float>(1.0 / std::sqrt(group[k / cg] / count + eps));
  }
};

// Samples [begin, end) per thread, as many threads as the work is worth (at most the pool); fn(begin, end, t).
// Returns the number of threads used.
template <typename F>
int over_samples(int64_t s, int64_t n, int64_t c, F fn) {
  const int64_t grain = std::max<int64_t>(1, (1 << 15) / std::max<int64_t>(1, n * c));
  const int threads = static_cast<int>(std::max<int64_t>(1, std::min<int64_t>(pool().size(), s / grain)));
  if (threads == 1) {
    fn(0, s, 0);
    return 1;
  }
  pool().run(threads, [&](int t) { fn(s * t / threads, s * (t + 1) / threads, t); });
  return threads;
}

}  // namespace

void group_norm(const float* x, const float* gamma, const float* beta, float* y, int64_t s, int64_t n, int64_t c,
                int64_t groups, float eps) {
  const int64_t cg = c / groups;
  over_samples(s, n, c, [&](int64_t begin, int64_t end, int) {
    Stats st(c, groups);
    std::vector<float> scale(c), shift(c);
    for (int64_t i = begin; i < end; i++) {
      const float* xs = x + i * n * c;
      float* ys = y + i * n * c;
      st.compute(xs, n, c, cg, eps);
      // y = (x − mean)·scale + shift per channel: scale = rstd·gamma, shift = beta
      for (int64_t k = 0; k < c; k++) {
        scale[k] = st.rstd[k] * (gamma ? gamma[k] : 1.f);
        shift[k] = beta ? beta[k] : 0.f;
      }
      const float* mean = st.mean.data();
      for (int64_t p = 0; p < n; p++)
        for (int64_t k = 0; k < c; k++) ys[p * c + k] = (xs[p * c + k] - mean[k]) * scale[k] + shift[k];
    }
  });
}

void group_norm_grad(const float* dy, const float* x, const float* gamma, float* dx, float* dgamma, float* dbeta,
                     int64_t s, int64_t n, int64_t c, int64_t groups, float eps) {
  const int64_t cg = c / groups;
  const double count = static_cast<double>(n) * cg;
  // per-thread partial sums of dgamma / dbeta (c each)
  std::vector<double> partial(static_cast<size_t>(pool().size()) * 2 * c, 0.0);
  const int used = over_samples(s, n, c, [&](int64_t begin, int64_t end, int t) {
    Stats st(c, groups);
    double* pg = partial.data() + static_cast<size_t>(t) * 2 * c;
    double* pb = pg + c;
    std::vector<double> sdy(c), sdyx(c), mg(groups), mgx(groups);
    std::vector<float> ca(c), cb(c), cc(c);
    for (int64_t i = begin; i < end; i++) {
      const float* xs = x + i * n * c;
      const float* gs = dy + i * n * c;
      float* o = dx + i * n * c;
      st.compute(xs, n, c, cg, eps);
      // per channel Σ dy and Σ dy·(x − mean) over the positions
      std::fill(sdy.begin(), sdy.end(), 0.0);
      std::fill(sdyx.begin(), sdyx.end(), 0.0);
      for (int64_t p = 0; p < n; p++)
        for (int64_t k = 0; k < c; k++) {
          const float d = gs[p * c + k];
          sdy[k] += d;
          sdyx[k] += static_cast<double>(d) * (xs[p * c + k] - st.mean[k]);
        }
      // with g = dy·gamma and x̂ = (x − mean)·rstd: dx = rstd·(g − mean_group(g) − x̂·mean_group(g·x̂)),
      // which is dx = A·dy + B·(x − mean) + C per channel
      std::fill(mg.begin(), mg.end(), 0.0);
      std::fill(mgx.begin(), mgx.end(), 0.0);
      for (int64_t k = 0; k < c; k++) {
        const double gk = gamma ? gamma[k] : 1.0, xhat = sdyx[k] * st.rstd[k];  // Σ dy·x̂
        mg[k / cg] += gk * sdy[k];
        mgx[k / cg] += gk * xhat;
        if (gamma) pg[k] += xhat, pb[k] += sdy[k];
      }
      for (int64_t k = 0; k < c; k++) {
        const double r = st.rstd[k], m1 = mg[k / cg] / count, m2 = mgx[k / cg] / count;
        ca[k] = static_cast<float>(r * (gamma ? gamma[k] : 1.0));
        cb[k] = static_cast<float>(-r * r * m2);
        cc[k] = static_cast<float>(-r * m1);
      }
      const float* mean = st.mean.data();
      for (int64_t p = 0; p < n; p++)
        for (int64_t k = 0; k < c; k++) o[p * c + k] = ca[k] * gs[p * c + k] + cb[k] * (xs[p * c + k] - mean[k]) + cc[k];
    }
  });
  if (!gamma) return;
  for (int64_t k = 0; k < c; k++) {
    double sg = 0, sb = 0;
    for (int t = 0; t < used; t++)
      sg += partial[static_cast<size_t>(t) * 2 * c + k], sb += partial[static_cast<size_t>(t) * 2 * c + c + k];
    dgamma[k] = static_cast<float>(sg), dbeta[k] = static_cast<float>(sb);
  }
}

}  // namespace vtx
