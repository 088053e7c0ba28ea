// N-API entry points of the native backend. Every kernel takes Float32Arrays owned by the tfjs `cpu`-style
// storage (zero-copy: pointers into the JS ArrayBuffers) and writes into a caller-allocated output; shapes and
// strides come as Float64Arrays. Calls are synchronous on the JS thread, which runs chunk 0 of each parallel
// region while the pool's workers run the rest.
// Over 350 lines: one thin binding per kernel (argument unpacking and length checks), alike and independent;
// they stay together so that every check of a JS-supplied buffer is in one file.
#include <node_api.h>

#include <cstdint>
#include <cstring>
#include <initializer_list>
#include <utility>
#include <string>
#include <vector>

#include "attention.h"
#include "conv.h"
#include "fused.h"
#include "gemm.h"
#include "group_norm.h"
#include "kernels.h"
#include "linear.h"
#include "loss.h"
#include "peak.h"
#include "pool.h"

namespace {

struct Args {
  napi_env env;
  size_t argc = 16;
  napi_value argv[16];
  bool failed = false;

  Args(napi_env e, napi_callback_info info) : env(e) { napi_get_cb_info(env, info, &argc, argv, nullptr, nullptr); }

  void fail(const std::string& msg) {
    if (!failed) napi_throw_type_error(env, nullptr, ("vtx native: " + msg).c_str());
    failed = true;
  }

  template <typename T>
  T* typed(size_t i, napi_typedarray_type want, size_t* len = nullptr, bool nullable = false) {
    if (i >= argc) return fail("missing argument " + std::to_string(i)), nullptr;
    napi_valuetype vt;
    napi_typeof(env, argv[i], &vt);
    if (nullable && (vt == napi_null || vt == napi_undefined)) return nullptr;
    bool is = false;
    napi_is_typedarray(env, argv[i], &is);
    if (!is) return fail("argument " + std::to_string(i) + " is not a typed array"), nullptr;
    napi_typedarray_type type;
    size_t length;
    void* data;
    napi_get_typedarray_info(env, argv[i], &type, &length, &data, nullptr, nullptr);
    if (type != want) return fail("argument " + std::to_string(i) + " has the wrong element type"), nullptr;
    if (len) *len = length;
    return static_cast<T*>(data);
  }
  float* f32(size_t i, size_t* len = nullptr, bool nullable = false) {
    return typed<float>(i, napi_float32_array, len, nullable);
  }
  // A Float64Array of small integers (shapes, strides, offsets) as int64.
  std::vector<int64_t> ints(size_t i, bool nullable = false) {
    size_t n = 0;
    double* d = typed<double>(i, napi_float64_array, &n, nullable);
    std::vector<int64_t> v(n);
    for (size_t j = 0; j < n && d; j++) v[j] = static_cast<int64_t>(d[j]);
    return v;
  }
  double num(size_t i) {
    double v = 0;
    if (i >= argc || napi_get_value_double(env, argv[i], &v) != napi_ok) fail("argument " + std::to_string(i) + " is not a number");
    return v;
  }
  bool flag(size_t i) {
    bool v = false;
    if (i >= argc || napi_get_value_bool(env, argv[i], &v) != napi_ok) fail("argument " + std::to_string(i) + " is not a boolean");
    return v;
  }
  std::string str(size_t i) {
    char buf[64] = {0};
    size_t n = 0;
    if (i >= argc || napi_get_value_string_utf8(env, argv[i], buf, sizeof buf, &n) != napi_ok) fail("argument " + std::to_string(i) + " is not a string");
    return std::string(buf, n);
  }
};

napi_value undefined(napi_env env) {
  napi_value u;
  napi_get_undefined(env, &u);
  return u;
}

// gemm(a, b, c, transA, transB, batch, m, n, k, aOffsets|null, bOffsets|null)
napi_value Gemm(napi_env env, napi_callback_info info) {
  Args g(env, info);
  size_t la, lb, lc;
  float* a = g.f32(0, &la);
  float* b = g.f32(1, &lb);
  float* c = g.f32(2, &lc);
  bool ta = g.flag(3), tb = g.flag(4);
  int64_t batch = g.num(5), m = g.num(6), n = g.num(7), k = g.num(8);
  std::vector<int64_t> ao = g.ints(9, true), bo = g.ints(10, true);
  if (g.failed) return nullptr;
  if (static_cast<int64_t>(lc) < batch * m * n) return g.fail("gemm: output too small"), nullptr;
  auto check = [&](const std::vector<int64_t>& off, size_t len, int64_t size, const char* what) {
    if (!off.empty()) {
      if (static_cast<int64_t>(off.size()) < batch) return g.fail(std::string("gemm: too few offsets for ") + what), false;
      for (int64_t o : off)
        if (o < 0 || o + size > static_cast<int64_t>(len)) return g.fail(std::string("gemm: offset out of range in ") + what), false;
    } else if (batch * size > static_cast<int64_t>(len)) {
      return g.fail(std::string("gemm: ") + what + " too small"), false;
    }
    return true;
  };
  if (!check(ao, la, m * k, "a") || !check(bo, lb, k * n, "b")) return nullptr;
  vtx::sgemm_batched(ta, tb, batch, m, n, k, a, ao.empty() ? nullptr : ao.data(), b, bo.empty() ? nullptr : bo.data(), c);
  return undefined(env);
}

// conv(mode, a, b, out, geometry): mode 0 y = conv(x = a, filter = b); 1 dx from (dy = a, filter = b);
// 2 dfilter from (x = a, dy = b). geometry: n d h w cin, kd kh kw cout, sd sh sw, dd dh dw, pd ph pw, od oh ow.
napi_value Conv(napi_env env, napi_callback_info info) {
  Args g(env, info);
  int mode = g.num(0);
  size_t la, lb, lo;
  float *a = g.f32(1, &la), *b = g.f32(2, &lb), *out = g.f32(3, &lo);
  std::vector<int64_t> v = g.ints(4);
  if (g.failed) return nullptr;
  if (v.size() != 21) return g.fail("conv: geometry needs 21 integers"), nullptr;
  for (int64_t x : v)
    if (x < 0) return g.fail("conv: negative geometry"), nullptr;
  vtx::ConvGeom c{v[0], v[1], v[2], v[3], v[4], v[5], v[6], v[7], v[8], v[9], v[10],
                  v[11], v[12], v[13], v[14], v[15], v[16], v[17], v[18], v[19], v[20]};
  const int64_t xs = c.n * c.d * c.h * c.w * c.cin, fs = c.patch() * c.cout, ys = c.n * c.positions() * c.cout;
  auto need = [&](size_t have, int64_t want, const char* what) {
    if (static_cast<int64_t>(have) < want) return g.fail(std::string("conv: ") + what + " too small"), false;
    return true;
  };
  if (mode == 0) {
    if (!need(la, xs, "x") || !need(lb, fs, "filter") || !need(lo, ys, "y")) return nullptr;
    vtx::conv_forward(c, a, b, out);
  } else if (mode == 1) {
    if (!need(la, ys, "dy") || !need(lb, fs, "filter") || !need(lo, xs, "dx")) return nullptr;
    vtx::conv_backprop_input(c, a, b, out);
  } else if (mode == 2) {
    if (!need(la, xs, "x") || !need(lb, ys, "dy") || !need(lo, fs, "dfilter")) return nullptr;
    vtx::conv_backprop_filter(c, a, b, out);
  } else {
    return g.fail("conv: mode must be 0, 1 or 2"), nullptr;
  }
  return undefined(env);
}

// binary(op, a, b, out, shape, stridesA, stridesB)
napi_value BinaryOp(napi_env env, napi_callback_info info) {
  Args g(env, info);
  int op = g.num(0);
  float *a = g.f32(1), *b = g.f32(2), *out = g.f32(3);
  std::vector<int64_t> shape = g.ints(4), sa = g.ints(5), sb = g.ints(6);
  if (g.failed) return nullptr;
  int rank = static_cast<int>(shape.size());
  if (rank < 1 || rank > vtx::kMaxRank || sa.size() != shape.size() || sb.size() != shape.size())
    return g.fail("binary: bad rank"), nullptr;
  vtx::binary(static_cast<vtx::Binary>(op), a, b, out, rank, shape.data(), sa.data(), sb.data());
  return undefined(env);
}

// unary(op, x, out, alpha)
napi_value UnaryOp(napi_env env, napi_callback_info info) {
  Args g(env, info);
  int op = g.num(0);
  size_t n, no;
  float *x = g.f32(1, &n), *out = g.f32(2, &no);
  float alpha = g.num(3);
  if (g.failed) return nullptr;
  if (no < n) return g.fail("unary: output too small"), nullptr;
  vtx::unary(static_cast<vtx::Unary>(op), x, out, static_cast<int64_t>(n), alpha);
  return undefined(env);
}

// reduce(op, x, out, outer, inner, overLeadingAxes)
napi_value ReduceOp(napi_env env, napi_callback_info info) {
  Args g(env, info);
  int op = g.num(0);
  size_t n, no;
  float *x = g.f32(1, &n), *out = g.f32(2, &no);
  int64_t outer = g.num(3), inner = g.num(4);
  bool leading = g.flag(5);
  if (g.failed) return nullptr;
  if (static_cast<int64_t>(n) < outer * inner || static_cast<int64_t>(no) < (leading ? inner : outer))
    return g.fail("reduce: sizes do not match"), nullptr;
  if (leading)
    vtx::reduce_outer(static_cast<vtx::Reduce>(op), x, out, outer, inner);
  else
    vtx::reduce_inner(static_cast<vtx::Reduce>(op), x, out, outer, inner);
  return undefined(env);
}

// softmax(x, out, rows, n)
napi_value Softmax(napi_env env, napi_callback_info info) {
  Args g(env, info);
  size_t nx, no;
  float *x = g.f32(0, &nx), *out = g.f32(1, &no);
  int64_t rows = g.num(2), n = g.num(3);
  if (g.failed) return nullptr;
  if (static_cast<int64_t>(nx) < rows * n || static_cast<int64_t>(no) < rows * n) return g.fail("softmax: sizes"), nullptr;
  vtx::softmax(x, out, rows, n);
  return undefined(env);
}

// transpose(x, out, outShape, inStrides)
napi_value Transpose(napi_env env, napi_callback_info info) {
  Args g(env, info);
  float *x = g.f32(0), *out = g.f32(1);
  std::vector<int64_t> shape = g.ints(2), st = g.ints(3);
  if (g.failed) return nullptr;
  if (shape.empty() || shape.size() > vtx::kMaxRank || st.size() != shape.size()) return g.fail("transpose: bad rank"), nullptr;
  vtx::transpose(x, out, static_cast<int>(shape.size()), shape.data(), st.data());
  return undefined(env);
}

// stridedCopy(src, dst, shape, srcStrides, dstStrides): bounds are the caller's (JS) responsibility, checked
// here against the extent of the index space.
napi_value StridedCopy(napi_env env, napi_callback_info info) {
  Args g(env, info);
  size_t ns, nd;
  float *src = g.f32(0, &ns), *dst = g.f32(1, &nd);
  std::vector<int64_t> shape = g.ints(2), ss = g.ints(3), ds = g.ints(4);
  if (g.failed) return nullptr;
  if (shape.empty() || shape.size() > vtx::kMaxRank || ss.size() != shape.size() || ds.size() != shape.size())
    return g.fail("stridedCopy: bad rank"), nullptr;
  int64_t smax = 0, dmax = 0;
  for (size_t d = 0; d < shape.size(); d++) {
    if (shape[d] <= 0) return undefined(env);
    if (ss[d] < 0 || ds[d] < 0) return g.fail("stridedCopy: negative stride"), nullptr;
    smax += (shape[d] - 1) * ss[d], dmax += (shape[d] - 1) * ds[d];
  }
  if (smax >= static_cast<int64_t>(ns) || dmax >= static_cast<int64_t>(nd)) return g.fail("stridedCopy: out of bounds"), nullptr;
  vtx::strided_copy(src, dst, static_cast<int>(shape.size()), shape.data(), ss.data(), ds.data());
  return undefined(env);
}

// biasAct(c, rows, n, bias|null, act, alpha)
napi_value BiasAct(napi_env env, napi_callback_info info) {
  Args g(env, info);
  size_t nc, nb = 0;
  float* c = g.f32(0, &nc);
  int64_t rows = g.num(1), n = g.num(2);
  float* bias = g.f32(3, &nb, true);
  int act = g.num(4);
  float alpha = g.num(5);
  if (g.failed) return nullptr;
  if (static_cast<int64_t>(nc) < rows * n || (bias && static_cast<int64_t>(nb) != n)) return g.fail("biasAct: sizes"), nullptr;
  vtx::bias_act(c, rows, n, bias, act, alpha);
  return undefined(env);
}

// adamw(p, g, m, v, pOut, mOut, vOut, beta1, beta2, eps, decay, step, sqrtBc2)
napi_value AdamW(napi_env env, napi_callback_info info) {
  Args g(env, info);
  size_t n[7];
  float* a[7];
  for (int i = 0; i < 7; i++) a[i] = g.f32(i, &n[i]);
  double b1 = g.num(7), b2 = g.num(8), eps = g.num(9), decay = g.num(10), step = g.num(11), sbc2 = g.num(12);
  if (g.failed) return nullptr;
  for (int i = 1; i < 7; i++)
    if (n[i] != n[0]) return g.fail("adamw: all buffers must have the same length"), nullptr;
  vtx::adamw(a[0], a[1], a[2], a[3], a[4], a[5], a[6], static_cast<int64_t>(n[0]), b1, b2, eps, decay, step, sbc2);
  return undefined(env);
}

// ---- fused transformer kernels (fused.h): every buffer's length is checked against the shape ----------------

// Whether each buffer holds at least `want` floats (null buffers are skipped).
static bool enough(Args& g, const char* what, int64_t want, std::initializer_list<std::pair<float*, size_t>> bufs) {
  for (auto& b : bufs)
    if (b.first && static_cast<int64_t>(b.second) < want) return g.fail(std::string(what) + ": buffer too short"), false;
  return true;
}

// adamwAll([p, g, m, v, pOut, mOut, vOut] per tensor, flattened, decays (Float64Array, 1 − lr·λ per tensor), beta1,
// beta2, eps, step, sqrtBc2): the update of every parameter in one call (kernels.h adamw_all).
napi_value AdamWAll(napi_env env, napi_callback_info info) {
  Args g(env, info);
  size_t nd = 0;
  double* decays = g.typed<double>(1, napi_float64_array, &nd);
  double b1 = g.num(2), b2 = g.num(3), eps = g.num(4), step = g.num(5), sbc2 = g.num(6);
  if (g.failed) return nullptr;
  uint32_t len = 0;
  if (napi_get_array_length(env, g.argv[0], &len) != napi_ok || len != 7 * nd)
    return g.fail("adamwAll: expected an array of 7 buffers per tensor, one decay each"), nullptr;
  std::vector<vtx::AdamWTensor> ts(nd);
  for (size_t i = 0; i < nd; i++) {
    float* a[7];
    size_t n[7];
    for (uint32_t j = 0; j < 7; j++) {
      napi_value el;
      bool is = false;
      napi_typedarray_type type;
      void* data = nullptr;
      napi_get_element(env, g.argv[0], static_cast<uint32_t>(7 * i + j), &el);
      napi_is_typedarray(env, el, &is);
      if (is) napi_get_typedarray_info(env, el, &type, &n[j], &data, nullptr, nullptr);
      if (!is || type != napi_float32_array) return g.fail("adamwAll: buffers must be Float32Arrays"), nullptr;
      if (n[j] != n[0]) return g.fail("adamwAll: a tensor's buffers must have the same length"), nullptr;
      a[j] = static_cast<float*>(data);
    }
    ts[i] = {a[0], a[1], a[2], a[3], a[4], a[5], a[6], static_cast<int64_t>(n[0]), decays[i]};
  }
  vtx::adamw_all(ts.data(), static_cast<int64_t>(nd), b1, b2, eps, step, sbc2);
  return undefined(env);
}

// softmaxXent(logits, targets, loss, lse, rows, k, smoothing)
napi_value SoftmaxXent(napi_env env, napi_callback_info info) {
  Args g(env, info);
  size_t nx, nt, nl, ns;
  float *x = g.f32(0, &nx), *t = g.f32(1, &nt), *loss = g.f32(2, &nl), *lse = g.f32(3, &ns);
  int64_t rows = g.num(4), k = g.num(5);
  float smoothing = g.num(6);
  if (g.failed) return nullptr;
  if (!enough(g, "softmaxXent", rows * k, {{x, nx}, {t, nt}}) || !enough(g, "softmaxXent", rows, {{loss, nl}, {lse, ns}}))
    return nullptr;
  vtx::softmax_xent(x, t, loss, lse, rows, k, smoothing);
  return undefined(env);
}

// softmaxXentGrad(dloss, logits, targets, lse, dx, rows, k, smoothing)
napi_value SoftmaxXentGrad(napi_env env, napi_callback_info info) {
  Args g(env, info);
  size_t nd, nx, nt, ns, no;
  float *dl = g.f32(0, &nd), *x = g.f32(1, &nx), *t = g.f32(2, &nt), *lse = g.f32(3, &ns), *dx = g.f32(4, &no);
  int64_t rows = g.num(5), k = g.num(6);
  float smoothing = g.num(7);
  if (g.failed) return nullptr;
  if (!enough(g, "softmaxXentGrad", rows * k, {{x, nx}, {t, nt}, {dx, no}}) ||
      !enough(g, "softmaxXentGrad", rows, {{dl, nd}, {lse, ns}}))
    return nullptr;
  vtx::softmax_xent_grad(dl, x, t, lse, dx, rows, k, smoothing);
  return undefined(env);
}

// linear(x, w, bias|null, y, pre|null, rows, din, dout, act): act -1 none (pre null), else fused.h's Act
napi_value Linear(napi_env env, napi_callback_info info) {
  Args g(env, info);
  size_t nx, nw, nb = 0, ny, np = 0;
  float *x = g.f32(0, &nx), *w = g.f32(1, &nw), *bias = g.f32(2, &nb, true), *y = g.f32(3, &ny);
  float* pre = g.f32(4, &np, true);
  int64_t rows = g.num(5), din = g.num(6), dout = g.num(7);
  int act = g.num(8);
  if (g.failed) return nullptr;
  if (act < -1 || act > 2 || (act >= 0) != (pre != nullptr)) return g.fail("linear: act and pre"), nullptr;
  if (!enough(g, "linear", rows * din, {{x, nx}}) || !enough(g, "linear", din * dout, {{w, nw}}) ||
      !enough(g, "linear", dout, {{bias, nb}}) || !enough(g, "linear", rows * dout, {{y, ny}, {pre, np}}))
    return nullptr;
  vtx::linear(x, w, bias, y, pre, rows, din, dout, act);
  return undefined(env);
}

// linearGrad(dy, x, w, pre|null, dx, dw, dbias|null, rows, din, dout, act)
napi_value LinearGrad(napi_env env, napi_callback_info info) {
  Args g(env, info);
  size_t ndy, nx, nw, np = 0, ndx, ndw, ndb = 0;
  float *dy = g.f32(0, &ndy), *x = g.f32(1, &nx), *w = g.f32(2, &nw), *pre = g.f32(3, &np, true);
  float *dx = g.f32(4, &ndx), *dw = g.f32(5, &ndw), *dbias = g.f32(6, &ndb, true);
  int64_t rows = g.num(7), din = g.num(8), dout = g.num(9);
  int act = g.num(10);
  if (g.failed) return nullptr;
  if (act < -1 || act > 2 || (act >= 0) != (pre != nullptr)) return g.fail("linearGrad: act and pre"), nullptr;
  if (!enough(g, "linearGrad", rows * dout, {{dy, ndy}, {pre, np}}) ||
      !enough(g, "linearGrad", rows * din, {{x, nx}, {dx, ndx}}) ||
      !enough(g, "linearGrad", din * dout, {{w, nw}, {dw, ndw}}) || !enough(g, "linearGrad", dout, {{dbias, ndb}}))
    return nullptr;
  // scratch for dy·act'(pre), kept between calls (calls come from the JS thread only)
  static std::vector<float> scratch;
  if (act >= 0 && scratch.size() < static_cast<size_t>(rows * dout)) scratch.resize(static_cast<size_t>(rows * dout));
  vtx::linear_grad(dy, x, w, pre, dx, dw, dbias, scratch.data(), rows, din, dout, act);
  return undefined(env);
}

// layerNorm(x, gamma|null, beta|null, y, rows, d, eps)
napi_value LayerNorm(napi_env env, napi_callback_info info) {
  Args g(env, info);
  size_t nx, ng = 0, nb = 0, ny;
  float *x = g.f32(0, &nx), *gamma = g.f32(1, &ng, true), *beta = g.f32(2, &nb, true), *y = g.f32(3, &ny);
  int64_t rows = g.num(4), d = g.num(5);
  float eps = g.num(6);
  if (g.failed) return nullptr;
  if (!gamma != !beta) return g.fail("layerNorm: gamma and beta go together"), nullptr;
  if (!enough(g, "layerNorm", rows * d, {{x, nx}, {y, ny}}) || !enough(g, "layerNorm", d, {{gamma, ng}, {beta, nb}}))
    return nullptr;
  vtx::layer_norm(x, gamma, beta, y, rows, d, eps);
  return undefined(env);
}

// layerNormGrad(dy, x, gamma|null, dx, dgamma|null, dbeta|null, rows, d, eps)
napi_value LayerNormGrad(napi_env env, napi_callback_info info) {
  Args g(env, info);
  size_t n0, n1, n2 = 0, n3, n4 = 0, n5 = 0;
  float *dy = g.f32(0, &n0), *x = g.f32(1, &n1), *gamma = g.f32(2, &n2, true), *dx = g.f32(3, &n3);
  float *dgamma = g.f32(4, &n4, true), *dbeta = g.f32(5, &n5, true);
  int64_t rows = g.num(6), d = g.num(7);
  float eps = g.num(8);
  if (g.failed) return nullptr;
  if (gamma && (!dgamma || !dbeta)) return g.fail("layerNormGrad: gamma needs dgamma and dbeta"), nullptr;
  if (!enough(g, "layerNormGrad", rows * d, {{dy, n0}, {x, n1}, {dx, n3}}) ||
      !enough(g, "layerNormGrad", d, {{gamma, n2}, {dgamma, n4}, {dbeta, n5}}))
    return nullptr;
  vtx::layer_norm_grad(dy, x, gamma, dx, gamma ? dgamma : nullptr, gamma ? dbeta : nullptr, rows, d, eps);
  return undefined(env);
}

// groupNorm(x, gamma|null, beta|null, y, s, n, c, groups, eps)
napi_value GroupNorm(napi_env env, napi_callback_info info) {
  Args g(env, info);
  size_t nx, ng = 0, nb = 0, ny;
  float *x = g.f32(0, &nx), *gamma = g.f32(1, &ng, true), *beta = g.f32(2, &nb, true), *y = g.f32(3, &ny);
  int64_t s = g.num(4), n = g.num(5), c = g.num(6), groups = g.num(7);
  float eps = g.num(8);
  if (g.failed) return nullptr;
  if (!gamma != !beta) return g.fail("groupNorm: gamma and beta go together"), nullptr;
  if (groups < 1 || c % groups) return g.fail("groupNorm: channels must divide into groups"), nullptr;
  if (!enough(g, "groupNorm", s * n * c, {{x, nx}, {y, ny}}) || !enough(g, "groupNorm", c, {{gamma, ng}, {beta, nb}}))
    return nullptr;
  vtx::group_norm(x, gamma, beta, y, s, n, c, groups, eps);
  return undefined(env);
}

// groupNormGrad(dy, x, gamma|null, dx, dgamma|null, dbeta|null, s, n, c, groups, eps)
napi_value GroupNormGrad(napi_env env, napi_callback_info info) {
  Args g(env, info);
  size_t n0, n1, n2 = 0, n3, n4 = 0, n5 = 0;
  float *dy = g.f32(0, &n0), *x = g.f32(1, &n1), *gamma = g.f32(2, &n2, true), *dx = g.f32(3, &n3);
  float *dgamma = g.f32(4, &n4, true), *dbeta = g.f32(5, &n5, true);
  int64_t s = g.num(6), n = g.num(7), c = g.num(8), groups = g.num(9);
  float eps = g.num(10);
  if (g.failed) return nullptr;
  if (gamma && (!dgamma || !dbeta)) return g.fail("groupNormGrad: gamma needs dgamma and dbeta"), nullptr;
  if (groups < 1 || c % groups) return g.fail("groupNormGrad: channels must divide into groups"), nullptr;
  if (!enough(g, "groupNormGrad", s * n * c, {{dy, n0}, {x, n1}, {dx, n3}}) ||
      !enough(g, "groupNormGrad", c, {{gamma, n2}, {dgamma, n4}, {dbeta, n5}}))
    return nullptr;
  vtx::group_norm_grad(dy, x, gamma, dx, gamma ? dgamma : nullptr, gamma ? dbeta : nullptr, s, n, c, groups, eps);
  return undefined(env);
}

// A (b, n, d) kernel with three token-shaped or per-sample buffers in and up to three out: kind picks which.
napi_value AdaLN(napi_env env, napi_callback_info info) {
  Args g(env, info);
  std::string kind = g.str(0);
  size_t n[6] = {0};
  float* a[6];
  for (int i = 0; i < 6; i++) a[i] = g.f32(i + 1, &n[i], true);
  int64_t b = g.num(7), t = g.num(8), d = g.num(9);
  if (g.failed) return nullptr;
  const int64_t tok = b * t * d, per = b * d;
  auto need = [&](std::initializer_list<std::pair<int, int64_t>> want) {
    for (auto& w : want)
      if (!a[w.first] || static_cast<int64_t>(n[w.first]) < w.second) return g.fail("adaLN " + kind + ": buffer " + std::to_string(w.first) + " missing or too short"), false;
    return true;
  };
  if (kind == "modulate") {  // x, shift, scale, y
    if (!need({{0, tok}, {1, per}, {2, per}, {3, tok}})) return nullptr;
    vtx::modulate(a[0], a[1], a[2], a[3], b, t, d);
  } else if (kind == "modulateGrad") {  // dy, x, scale, dx, dshift, dscale
    if (!need({{0, tok}, {1, tok}, {2, per}, {3, tok}, {4, per}, {5, per}})) return nullptr;
    vtx::modulate_grad(a[0], a[1], a[2], a[3], a[4], a[5], b, t, d);
  } else if (kind == "gatedResidual") {  // x, h, gate, y
    if (!need({{0, tok}, {1, tok}, {2, per}, {3, tok}})) return nullptr;
    vtx::gated_residual(a[0], a[1], a[2], a[3], b, t, d);
  } else if (kind == "gatedResidualGrad") {  // dy, h, gate, dh, dgate
    if (!need({{0, tok}, {1, tok}, {2, per}, {3, tok}, {4, per}})) return nullptr;
    vtx::gated_residual_grad(a[0], a[1], a[2], a[3], a[4], b, t, d);
  } else {
    return g.fail("adaLN: unknown kind " + kind), nullptr;
  }
  return undefined(env);
}

// activation(act, x, y) / activationGrad(act, dy, x, dx): act 0 gelu exact, 1 gelu tanh, 2 silu
napi_value Activation(napi_env env, napi_callback_info info) {
  Args g(env, info);
  int act = g.num(0);
  size_t nx, ny;
  float *x = g.f32(1, &nx), *y = g.f32(2, &ny);
  if (g.failed) return nullptr;
  if (act < 0 || act > 2) return g.fail("activation: unknown act"), nullptr;
  if (ny < nx) return g.fail("activation: output too short"), nullptr;
  vtx::activation(static_cast<vtx::Act>(act), x, y, static_cast<int64_t>(nx));
  return undefined(env);
}

napi_value ActivationGrad(napi_env env, napi_callback_info info) {
  Args g(env, info);
  int act = g.num(0);
  size_t n0, n1, n2;
  float *dy = g.f32(1, &n0), *x = g.f32(2, &n1), *dx = g.f32(3, &n2);
  if (g.failed) return nullptr;
  if (act < 0 || act > 2) return g.fail("activationGrad: unknown act"), nullptr;
  if (n0 != n1 || n2 < n1) return g.fail("activationGrad: sizes"), nullptr;
  vtx::activation_grad(static_cast<vtx::Act>(act), dy, x, dx, static_cast<int64_t>(n1));
  return undefined(env);
}

// The attention geometry from args [i, i + 6): b, t, hw, heads, dh, axis; checked against the buffers.
static bool attn_shape(Args& g, size_t i, vtx::AttnShape* s) {
  s->b = g.num(i), s->t = g.num(i + 1), s->hw = g.num(i + 2), s->heads = g.num(i + 3), s->dh = g.num(i + 4);
  const int axis = g.num(i + 5);
  if (g.failed) return false;
  if (axis < 0 || axis > 3) return g.fail("attention: unknown axis"), false;
  if (s->b < 0 || s->t < 1 || s->hw < 1 || s->heads < 1 || s->dh < 1) return g.fail("attention: bad shape"), false;
  if (axis == 3 && s->heads % 2) return g.fail("attention: split needs an even number of heads"), false;
  s->axis = static_cast<vtx::AttnAxis>(axis);
  return true;
}

// attention(qkv, mask|null, o, lse, b, t, hw, heads, dh, axis)
napi_value Attention(napi_env env, napi_callback_info info) {
  Args g(env, info);
  size_t nq, nm = 0, no, nl;
  float *qkv = g.f32(0, &nq), *mask = g.f32(1, &nm, true), *o = g.f32(2, &no), *lse = g.f32(3, &nl);
  vtx::AttnShape s;
  if (g.failed || !attn_shape(g, 4, &s)) return nullptr;
  const int64_t n = s.b * s.t * s.hw, d = s.heads * s.dh;
  if (!enough(g, "attention", 3 * n * d, {{qkv, nq}}) || !enough(g, "attention", n * d, {{o, no}}) ||
      !enough(g, "attention", n * s.heads, {{lse, nl}}) || !enough(g, "attention", n, {{mask, nm}}))
    return nullptr;
  if (mask && s.axis != vtx::AttnAxis::Joint) return g.fail("attention: a mask needs joint attention"), nullptr;
  vtx::attention_fwd(qkv, mask, o, lse, s);
  return undefined(env);
}

// attentionGrad(dout, qkv, o, lse, mask|null, dqkv, b, t, hw, heads, dh, axis)
napi_value AttentionGrad(napi_env env, napi_callback_info info) {
  Args g(env, info);
  size_t n0, n1, n2, n3, n4 = 0, n5;
  float *dout = g.f32(0, &n0), *qkv = g.f32(1, &n1), *o = g.f32(2, &n2), *lse = g.f32(3, &n3);
  float *mask = g.f32(4, &n4, true), *dqkv = g.f32(5, &n5);
  vtx::AttnShape s;
  if (g.failed || !attn_shape(g, 6, &s)) return nullptr;
  const int64_t n = s.b * s.t * s.hw, d = s.heads * s.dh;
  if (!enough(g, "attentionGrad", 3 * n * d, {{qkv, n1}, {dqkv, n5}}) ||
      !enough(g, "attentionGrad", n * d, {{dout, n0}, {o, n2}}) || !enough(g, "attentionGrad", n * s.heads, {{lse, n3}}) ||
      !enough(g, "attentionGrad", n, {{mask, n4}}))
    return nullptr;
  if (mask && s.axis != vtx::AttnAxis::Joint) return g.fail("attentionGrad: a mask needs joint attention"), nullptr;
  vtx::attention_bwd(dout, qkv, o, lse, mask, dqkv, s);
  return undefined(env);
}

// setGemm(name) -> boolean
napi_value SetGemm(napi_env env, napi_callback_info info) {
  Args g(env, info);
  std::string name = g.str(0);
  if (g.failed) return nullptr;
  napi_value r;
  napi_get_boolean(env, vtx::set_gemm_impl(name.c_str()), &r);
  return r;
}

// setAttention(name) -> boolean
napi_value SetAttention(napi_env env, napi_callback_info info) {
  Args g(env, info);
  std::string name = g.str(0);
  if (g.failed) return nullptr;
  napi_value r;
  napi_get_boolean(env, vtx::set_attention_impl(name.c_str()), &r);
  return r;
}

// info() -> { gemm, attention, threads, avx2, avx512, bf16 }
// fmaPeak(seconds): the pool's measured fp32 FMA GFLOP/s (native/peak.h).
napi_value FmaPeak(napi_env env, napi_callback_info info) {
  Args g(env, info);
  const double seconds = g.num(0);
  if (g.failed) return nullptr;
  if (!(seconds > 0 && seconds <= 10)) return g.fail("fmaPeak: seconds must be in (0, 10]"), nullptr;
  napi_value v;
  napi_create_double(env, vtx::fma_peak_gflops(seconds), &v);
  return v;
}

napi_value Info(napi_env env, napi_callback_info) {
  napi_value o, v;
  napi_create_object(env, &o);
  napi_create_string_utf8(env, vtx::gemm_impl(), NAPI_AUTO_LENGTH, &v);
  napi_set_named_property(env, o, "gemm", v);
  napi_create_string_utf8(env, vtx::attention_impl(), NAPI_AUTO_LENGTH, &v);
  napi_set_named_property(env, o, "attention", v);
  napi_create_int32(env, vtx::pool().size(), &v);
  napi_set_named_property(env, o, "threads", v);
  napi_get_boolean(env, vtx::have_avx2_kernel(), &v);
  napi_set_named_property(env, o, "avx2", v);
  napi_get_boolean(env, vtx::have_avx512_kernel(), &v);
  napi_set_named_property(env, o, "avx512", v);
  napi_get_boolean(env, vtx::have_bf16_kernel(), &v);
  napi_set_named_property(env, o, "bf16", v);
  return o;
}

napi_value Init(napi_env env, napi_value exports) {
  struct {
    const char* name;
    napi_callback fn;
  } fns[] = {{"gemm", Gemm},       {"binary", BinaryOp},   {"unary", UnaryOp},   {"reduce", ReduceOp},
             {"softmax", Softmax}, {"transpose", Transpose}, {"biasAct", BiasAct}, {"stridedCopy", StridedCopy}, {"adamw", AdamW}, {"adamwAll", AdamWAll}, {"softmaxXent", SoftmaxXent}, {"softmaxXentGrad", SoftmaxXentGrad}, {"linear", Linear}, {"linearGrad", LinearGrad}, {"conv", Conv}, {"setGemm", SetGemm}, {"setAttention", SetAttention},
             {"layerNorm", LayerNorm}, {"layerNormGrad", LayerNormGrad},
             {"groupNorm", GroupNorm}, {"groupNormGrad", GroupNormGrad}, {"adaLN", AdaLN}, {"activation", Activation},
             {"activationGrad", ActivationGrad}, {"attention", Attention}, {"attentionGrad", AttentionGrad},
             {"fmaPeak", FmaPeak}, {"info", Info}};
  for (auto& f : fns) {
    napi_value v;
    napi_create_function(env, f.name, NAPI_AUTO_LENGTH, f.fn, nullptr, &v);
    napi_set_named_property(env, exports, f.name, v);
  }
  return exports;
}

}  // namespace

NAPI_MODULE(NODE_GYP_MODULE_NAME, Init)
