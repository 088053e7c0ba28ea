#include "kernels.h"

#include <algorithm>
#include <cmath>
#include <cstring>
#include <vector>

#include "pool.h"
#include "vmath.h"

namespace vtx {

// Work below this many elements runs on the calling thread (waking a worker costs ~5 µs).
constexpr int64_t kGrain = 1 << 15;

// ---- binary ---------------------------------------------------------------------------------------------

template <Binary op>
static inline float apply(float x, float y) {
  switch (op) {
    case Binary::Add: return x + y;
    case Binary::Sub: return x - y;
    case Binary::Mul: return x * y;
    case Binary::Div: return x / y;
    case Binary::Max: return x > y || std::isnan(x) ? x : y;
    case Binary::Min: return x < y || std::isnan(x) ? x : y;
    case Binary::SquaredDiff: return (x - y) * (x - y);
    case Binary::Pow: return std::pow(x, y);
  }
  return 0.f;
}

// One row of the innermost axis, specialised on the stride pattern so the common cases vectorise.
template <Binary op>
static void row(const float* __restrict a, const float* __restrict b, float* __restrict o, int64_t n, int64_t sa,
                int64_t sb) {
  if (sa == 1 && sb == 1) {
    for (int64_t i = 0; i < n; i++) o[i] = apply<op>(a[i], b[i]);
  } else if (sa == 1 && sb == 0) {
    const float y = b[0];
    for (int64_t i = 0; i < n; i++) o[i] = apply<op>(a[i], y);
  } else if (sa == 0 && sb == 1) {
    const float x = a[0];
    for (int64_t i = 0; i < n; i++) o[i] = apply<op>(x, b[i]);
  } else {
    for (int64_t i = 0; i < n; i++) o[i] = apply<op>(a[i * sa], b[i * sb]);
  }
}

template <Binary op>
static void binary_t(const float* a, const float* b, float* out, int rank, const int64_t* shape, const int64_t* sa,
                     const int64_t* sb) {
  const int64_t inner = shape[rank - 1];
  int64_t rows = 1;
  for (int d = 0; d < rank - 1; d++) rows *= shape[d];
  const int64_t isa = sa[rank - 1], isb = sb[rank - 1];
  if (rows < pool().size() && inner >= 2 * kGrain) {
    // a few long rows (same-shape or scalar operands merge into one row): split each row across threads
    for (int64_t r = 0; r < rows; r++) {
      int64_t rem = r, oa = 0, ob = 0;
      for (int d = rank - 2; d >= 0; d--) oa += (rem % shape[d]) * sa[d], ob += (rem % shape[d]) * sb[d], rem /= shape[d];
      parallel_range(inner, kGrain, [&](int64_t j0, int64_t j1) {
        row<op>(a + oa + j0 * isa, b + ob + j0 * isb, out + r * inner + j0, j1 - j0, isa, isb);
      });
    }
    return;
  }
  parallel_range(rows, std::max<int64_t>(1, kGrain / std::max<int64_t>(1, inner)), [&](int64_t r0, int64_t r1) {
    // odometer over the outer axes, starting at row r0
    int64_t idx[kMaxRank] = {0};
    int64_t rem = r0, oa = 0, ob = 0;
    for (int d = rank - 2; d >= 0; d--) {
      idx[d] = rem % shape[d];
      rem /= shape[d];
      oa += idx[d] * sa[d], ob += idx[d] * sb[d];
    }
    for (int64_t r = r0; r < r1; r++) {
      row<op>(a + oa, b + ob, out + r * inner, inner, isa, isb);
      for (int d = rank - 2; d >= 0; d--) {
        if (++idx[d] < shape[d]) {
          oa += sa[d], ob += sb[d];
          break;
        }
        oa -= (shape[d] - 1) * sa[d], ob -= (shape[d] - 1) * sb[d];
        idx[d] = 0;
      }
    }
  });
}

void binary(Binary op, const float* a, const float* b, float* out, int rank, const int64_t* shape, const int64_t* sa,
            const int64_t* sb) {
  switch (op) {
    case Binary::Add: return binary_t<Binary::Add>(a, b, out, rank, shape, sa, sb);
    case Binary::Sub: return binary_t<Binary::Sub>(a, b, out, rank, shape, sa, sb);
    case Binary::Mul: return binary_t<Binary::Mul>(a, b, out, rank, shape, sa, sb);
    case Binary::Div: return binary_t<Binary::Div>(a, b, out, rank, shape, sa, sb);
    case Binary::Max: return binary_t<Binary::Max>(a, b, out, rank, shape, sa, sb);
    case Binary::Min: return binary_t<Binary::Min>(a, b, out, rank, shape, sa, sb);
    case Binary::SquaredDiff: return binary_t<Binary::SquaredDiff>(a, b, out, rank, shape, sa, sb);
    case Binary::Pow: return binary_t<Binary::Pow>(a, b, out, rank, shape, sa, sb);
  }
}

// ---- unary ----------------------------------------------------------------------------------------------

template <Unary op>
static inline float f(float x, float alpha) {
  switch (op) {
    case Unary::Exp: return vexp(x);
    case Unary::Log: return std::log(x);
    case Unary::Neg: return -x;
    case Unary::Sqrt: return std::sqrt(x);
    case Unary::Rsqrt: return 1.f / std::sqrt(x);
    case Unary::Square: return x * x;
    case Unary::Tanh: return vtanh(x);
    case Unary::Erf: return verf(x);
    case Unary::Sigmoid: return vsigmoid(x);
    case Unary::Relu: return x > 0.f ? x : (std::isnan(x) ? x : 0.f);
    case Unary::Abs: return std::fabs(x);
    case Unary::Reciprocal: return 1.f / x;
    case Unary::Log1p: return std::log1p(x);
    case Unary::Relu6: return std::isnan(x) ? x : std::min(6.f, std::max(0.f, x));
    case Unary::Elu: return x >= 0.f ? x : alpha * vexpm1(x);
    case Unary::Softplus: return x > 20.f ? x : (x < -20.f ? std::exp(x) : std::log1p(std::exp(x)));
    case Unary::Step: return std::isnan(x) ? x : (x > 0.f ? 1.f : alpha);
    case Unary::Sign: return x > 0.f ? 1.f : (x < 0.f ? -1.f : 0.f);
  }
  return 0.f;
}

template <Unary op>
static void unary_t(const float* __restrict x, float* __restrict out, int64_t n, float alpha) {
  parallel_range(n, kGrain, [&](int64_t b, int64_t e) {
    for (int64_t i = b; i < e; i++) out[i] = f<op>(x[i], alpha);
  });
}

void unary(Unary op, const float* x, float* out, int64_t n, float alpha) {
#define CASE(name) \
  case Unary::name: return unary_t<Unary::name>(x, out, n, alpha);
  switch (op) {
    CASE(Exp) CASE(Log) CASE(Neg) CASE(Sqrt) CASE(Rsqrt) CASE(Square) CASE(Tanh) CASE(Erf) CASE(Sigmoid)
    CASE(Relu) CASE(Abs) CASE(Reciprocal) CASE(Log1p) CASE(Relu6) CASE(Elu) CASE(Softplus) CASE(Step) CASE(Sign)
  }
#undef CASE
}

// ---- reductions -----------------------------------------------------------------------------------------

// a row's sum (sum8 in vmath.h)
static inline float row_sum(const float* x, int64_t n) {
  return sum8<float>(n, [&](int64_t j) { return x[j]; });
}

static inline float max8(const float* x, int64_t n, bool is_max) {
  float m = x[0];
  bool nan = false;
  for (int64_t i = 0; i < n; i++) {
    nan |= std::isnan(x[i]);
    m = is_max ? (x[i] > m ? x[i] : m) : (x[i] < m ? x[i] : m);
  }
  return nan ? NAN : m;
}

void reduce_inner(Reduce op, const float* x, float* out, int64_t outer, int64_t inner) {
  parallel_range(outer, std::max<int64_t>(1, kGrain / std::max<int64_t>(1, inner)), [&](int64_t b, int64_t e) {
    for (int64_t i = b; i < e; i++) {
      const float* r = x + i * inner;
      switch (op) {
        case Reduce::Sum: out[i] = row_sum(r, inner); break;
        case Reduce::Mean: out[i] = row_sum(r, inner) / static_cast<float>(inner); break;
        case Reduce::Max: out[i] = inner ? max8(r, inner, true) : -INFINITY; break;
        case Reduce::Min: out[i] = inner ? max8(r, inner, false) : INFINITY; break;
        case Reduce::Prod: {
          float p = 1.f;
          for (int64_t j = 0; j < inner; j++) p *= r[j];
          out[i] = p;
          break;
        }
      }
    }
  });
}

void reduce_outer(Reduce op, const float* x, float* out, int64_t outer, int64_t inner) {
  // columns split across threads; each thread walks all rows for its column range (unit stride inner loop)
  parallel_range(inner, std::max<int64_t>(64, kGrain / std::max<int64_t>(1, outer)), [&](int64_t b, int64_t e) {
    float* o = out + b;
    const int64_t w = e - b;
    const float init = op == Reduce::Max ? -INFINITY : op == Reduce::Min ? INFINITY : op == Reduce::Prod ? 1.f : 0.f;
    for (int64_t j = 0; j < w; j++) o[j] = init;
    for (int64_t i = 0; i < outer; i++) {
      const float* r = x + i * inner + b;
      switch (op) {
        case Reduce::Sum:
        case Reduce::Mean:
          for (int64_t j = 0; j < w; j++) o[j] += r[j];
          break;
        case Reduce::Max:
          for (int64_t j = 0; j < w; j++) o[j] = r[j] > o[j] || std::isnan(r[j]) ? r[j] : o[j];
          break;
        case Reduce::Min:
          for (int64_t j = 0; j < w; j++) o[j] = r[j] < o[j] || std::isnan(r[j]) ? r[j] : o[j];
          break;
        case Reduce::Prod:
          for (int64_t j = 0; j < w; j++) o[j] *= r[j];
          break;
      }
    }
    if (op == Reduce::Mean)
      for (int64_t j = 0; j < w; j++) o[j] /= static_cast<float>(outer);
  });
}

// ---- softmax --------------------------------------------------------------------------------------------

void softmax(const float* x, float* out, int64_t rows, int64_t n) {
  parallel_range(rows, std::max<int64_t>(1, kGrain / std::max<int64_t>(1, n)), [&](int64_t b, int64_t e) {
    for (int64_t i = b; i < e; i++) {
      const float* r = x + i * n;
      float* o = out + i * n;
      const float m = max8(r, n, true);
      for (int64_t j = 0; j < n; j++) o[j] = vexp(r[j] - m);
      const float inv = 1.f / row_sum(o, n);
      for (int64_t j = 0; j < n; j++) o[j] *= inv;
    }
  });
}

// ---- transpose ------------------------------------------------------------------------------------------

void transpose(const float* x, float* out, int rank, const int64_t* shape, const int64_t* st) {
  // q: the output axis that walks the input contiguously (stride 1); when it is not the last output axis,
  // (q, last) is transposed in 32x32 tiles, the other axes are an odometer.
  int q = -1;
  for (int d = 0; d < rank - 1; d++)
    if (st[d] == 1) q = d;
  const int last = rank - 1;
  const int64_t n = shape[last], sl = st[last];
  if (q < 0 || sl == 1) {
    int64_t rows = 1;
    for (int d = 0; d < last; d++) rows *= shape[d];
    parallel_range(rows, std::max<int64_t>(1, kGrain / std::max<int64_t>(1, n)), [&](int64_t r0, int64_t r1) {
      int64_t idx[kMaxRank] = {0}, rem = r0, off = 0;
      for (int d = last - 1; d >= 0; d--) idx[d] = rem % shape[d], rem /= shape[d], off += idx[d] * st[d];
      for (int64_t r = r0; r < r1; r++) {
        float* o = out + r * n;
        const float* s = x + off;
        if (sl == 1)
          std::memcpy(o, s, sizeof(float) * n);
        else
          for (int64_t j = 0; j < n; j++) o[j] = s[j * sl];
        for (int d = last - 1; d >= 0; d--) {
          if (++idx[d] < shape[d]) {
            off += st[d];
            break;
          }
          off -= (shape[d] - 1) * st[d], idx[d] = 0;
        }
      }
    });
    return;
  }
  // out strides
  int64_t os[kMaxRank];
  os[last] = 1;
  for (int d = last - 1; d >= 0; d--) os[d] = os[d + 1] * shape[d + 1];
  int64_t outer = 1;
  for (int d = 0; d < last; d++)
    if (d != q) outer *= shape[d];
  const int64_t m = shape[q];
  constexpr int64_t T = 32;
  const int64_t tiles_m = (m + T - 1) / T;
  parallel_range(outer * tiles_m, 4, [&](int64_t t0, int64_t t1) {
    for (int64_t t = t0; t < t1; t++) {
      int64_t o = t / tiles_m, i0 = (t % tiles_m) * T;
      int64_t xo = 0, yo = 0, rem = o;
      for (int d = last - 1; d >= 0; d--) {
        if (d == q) continue;
        int64_t c = rem % shape[d];
        rem /= shape[d];
        xo += c * st[d], yo += c * os[d];
      }
      const int64_t i1 = std::min(m, i0 + T);
      for (int64_t j0 = 0; j0 < n; j0 += T) {
        const int64_t j1 = std::min(n, j0 + T);
        for (int64_t i = i0; i < i1; i++)
          for (int64_t j = j0; j < j1; j++) out[yo + i * os[q] + j] = x[xo + i + j * sl];
      }
    }
  });
}

void strided_copy(const float* src, float* dst, int rank, const int64_t* shape, const int64_t* ss, const int64_t* ds) {
  const int last = rank - 1;
  const int64_t n = shape[last], sl = ss[last], dl = ds[last];
  int64_t rows = 1;
  for (int d = 0; d < last; d++) rows *= shape[d];
  parallel_range(rows, std::max<int64_t>(1, kGrain / std::max<int64_t>(1, n)), [&](int64_t r0, int64_t r1) {
    int64_t idx[kMaxRank] = {0}, rem = r0, so = 0, dof = 0;
    for (int d = last - 1; d >= 0; d--) idx[d] = rem % shape[d], rem /= shape[d], so += idx[d] * ss[d], dof += idx[d] * ds[d];
    for (int64_t r = r0; r < r1; r++) {
      if (sl == 1 && dl == 1)
        std::memcpy(dst + dof, src + so, sizeof(float) * n);
      else
        for (int64_t j = 0; j < n; j++) dst[dof + j * dl] = src[so + j * sl];
      for (int d = last - 1; d >= 0; d--) {
        if (++idx[d] < shape[d]) {
          so += ss[d], dof += ds[d];
          break;
        }
        so -= (shape[d] - 1) * ss[d], dof -= (shape[d] - 1) * ds[d], idx[d] = 0;
      }
    }
  });
}

// ---- optimizer ------------------------------------------------------------------------------------------

namespace {
struct AdamWCoef {
  float b1, c1, b2, c2, eps, step, inv_bc2;
  AdamWCoef(double b1_, double b2_, double eps_, double step_, double sqrt_bc2)
      : b1(static_cast<float>(b1_)), c1(static_cast<float>(1.0 - b1_)), b2(static_cast<float>(b2_)),
        c2(static_cast<float>(1.0 - b2_)), eps(static_cast<float>(eps_)), step(static_cast<float>(step_)),
        inv_bc2(static_cast<float>(1.0 / sqrt_bc2)) {}
};

// Elements [b, e) of one tensor's update.
inline void adamw_span(const AdamWTensor& t, const AdamWCoef& k, int64_t b, int64_t e) {
  const float* __restrict p = t.p;
  const float* __restrict g = t.g;
  const float* __restrict m = t.m;
  const float* __restrict v = t.v;
  float* __restrict po = t.po;
  float* __restrict mo = t.mo;
  float* __restrict vo = t.vo;
  const float decay = static_cast<float>(t.decay);
  for (int64_t i = b; i < e; i++) {
    const float gi = g[i];
    const float mi = k.b1 * m[i] + k.c1 * gi;
    const float vi = k.b2 * v[i] + k.c2 * gi * gi;
    mo[i] = mi;
    vo[i] = vi;
    po[i] = p[i] * decay - k.step * mi / (std::sqrt(vi) * k.inv_bc2 + k.eps);
  }
}
}  // namespace

void adamw(const float* p, const float* g, const float* m, const float* v, float* po, float* mo, float* vo, int64_t n,
           double b1, double b2, double eps, double decay, double step, double sqrt_bc2) {
  const AdamWTensor t{p, g, m, v, po, mo, vo, n, decay};
  adamw_all(&t, 1, b1, b2, eps, step, sqrt_bc2);
}

void adamw_all(const AdamWTensor* ts, int64_t count, double b1, double b2, double eps, double step,
               double sqrt_bc2) {
  const AdamWCoef k(b1, b2, eps, step, sqrt_bc2);
  // one index space over every tensor (start[i] = first element of tensor i), split evenly across the pool
  std::vector<int64_t> start(static_cast<size_t>(count) + 1, 0);
  for (int64_t i = 0; i < count; i++) start[i + 1] = start[i] + ts[i].n;
  parallel_range(start[count], kGrain, [&](int64_t b, int64_t e) {
    int64_t i = std::upper_bound(start.begin(), start.end(), b) - start.begin() - 1;
    for (; i < count && start[i] < e; i++) {
      const int64_t lo = std::max(b, start[i]) - start[i], hi = std::min(e, start[i + 1]) - start[i];
      if (lo < hi) adamw_span(ts[i], k, lo, hi);
    }
  });
}

// ---- fused matmul epilogue ------------------------------------------------------------------------------

void bias_act(float* c, int64_t rows, int64_t n, const float* bias, int act, float alpha) {
  parallel_range(rows, std::max<int64_t>(1, kGrain / std::max<int64_t>(1, n)), [&](int64_t b, int64_t e) {
    for (int64_t i = b; i < e; i++) {
      float* r = c + i * n;
      if (bias)
        for (int64_t j = 0; j < n; j++) r[j] += bias[j];
      switch (act) {
        case 1: for (int64_t j = 0; j < n; j++) r[j] = r[j] > 0.f ? r[j] : 0.f; break;
        case 2: for (int64_t j = 0; j < n; j++) r[j] = std::min(6.f, std::max(0.f, r[j])); break;
        case 3: for (int64_t j = 0; j < n; j++) r[j] = vsigmoid(r[j]); break;
        case 4: for (int64_t j = 0; j < n; j++) r[j] = r[j] >= 0.f ? r[j] : vexpm1(r[j]); break;
        case 5: for (int64_t j = 0; j < n; j++) r[j] = r[j] >= 0.f ? r[j] : alpha * r[j]; break;
        default: break;
      }
    }
  });
}

}  // namespace vtx
