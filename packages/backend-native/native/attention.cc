#include "attention.h"

#include <algorithm>
#include <cmath>
#include <cstring>
#include <vector>

#include "attention_avx512.h"
#include "gemm.h"
#include "gemm_avx512.h"
#include "pool.h"
#include "vmath.h"

namespace vtx {

namespace {

constexpr int64_t kBlock = 64;  // scores are materialised kBlock x kBlock at a time

// The sequences of one head: count, length, and the token of position i in sequence q.
struct Seqs {
  int64_t count, len, n, t, hw;
  AttnAxis axis;
  int64_t token(int64_t q, int64_t i) const {
    switch (axis) {
      case AttnAxis::Space: return (q / t) * n + (q % t) * hw + i;
      case AttnAxis::Time: return (q / hw) * n + i * hw + (q % hw);
      default: return q * n + i;
    }
  }
  int64_t sample(int64_t q) const { return axis == AttnAxis::Joint ? q : axis == AttnAxis::Space ? q / t : q / hw; }
};

Seqs seqs_of(const AttnShape& s, int64_t head) {
  AttnAxis a = s.axis;
  if (a == AttnAxis::Split) a = head < s.heads / 2 ? AttnAxis::Space : AttnAxis::Time;
  const int64_t n = s.t * s.hw;
  if (a == AttnAxis::Space) return {s.b * s.t, s.hw, n, s.t, s.hw, a};
  if (a == AttnAxis::Time) return {s.b * s.hw, s.t, n, s.t, s.hw, a};
  return {s.b, n, n, s.t, s.hw, AttnAxis::Joint};
}

// The (head, sequence) tasks in order, each independent (disjoint outputs), dealt to the pool in ranges: 8 per
// thread, claimed as threads come free, so a thread that is descheduled (a loaded machine) or holds the costlier
// tasks (split heads: space sequences and time sequences differ in length) does not hold the others up.
template <typename F>
void for_tasks(const AttnShape& s, F fn) {
  std::vector<std::pair<int64_t, int64_t>> tasks;  // (head, sequence)
  for (int64_t h = 0; h < s.heads; h++) {
    const Seqs q = seqs_of(s, h);
    for (int64_t i = 0; i < q.count; i++) tasks.emplace_back(h, i);
  }
  const int64_t n = static_cast<int64_t>(tasks.size());
  const int threads = pool().size();
  const int parts = threads <= 1 ? 1 : static_cast<int>(std::min<int64_t>(8 * threads, n));
  auto run = [&](int p) {
    const int64_t b = n * p / parts, e = n * (p + 1) / parts;
    if (b < e) fn(tasks.data() + b, tasks.data() + e);
  };
  if (parts <= 1)
    run(0);
  else
    pool().run(parts, run);
}

// The additive key bias of one sequence (joint attention with a padding mask), or null.
const float* key_bias(const float* mask, const Seqs& q, int64_t seq, std::vector<float>& buf) {
  if (!mask) return nullptr;
  const float* m = mask + q.sample(seq) * q.n;
  buf.resize(q.len);
  for (int64_t j = 0; j < q.len; j++) buf[j] = (1.f - m[j]) * -1e9f;
  return buf.data();
}

// Where one (head, sequence) task's rows live: row i of q at q + i·ld (k at + d, v at + 2d), of o / do at
// o + i·ldo; the tokens of a sequence are evenly spaced (joint / space: adjacent, time: hw apart), so the
// block products below are strided GEMMs on the tensors in place.
struct Rows {
  int64_t tok0, ld, ldo, step;
};
Rows rows_of(const Seqs& q, int64_t seq, int64_t d) {
  const int64_t step = q.len > 1 ? q.token(seq, 1) - q.token(seq, 0) : 1;
  return {q.token(seq, 0), step * 3 * d, step * d, step};
}

enum class Impl { AVX512, Generic };
Impl& impl() {
  static Impl i = has_avx512_kernel() ? Impl::AVX512 : Impl::Generic;
  return i;
}

}  // namespace

const char* attention_impl() { return impl() == Impl::AVX512 ? "avx512" : "generic"; }

bool set_attention_impl(const char* name) {
  if (!std::strcmp(name, "avx512") && has_avx512_kernel()) return impl() = Impl::AVX512, true;
  if (!std::strcmp(name, "generic")) return impl() = Impl::Generic, true;
  return false;
}

void attention_fwd(const float* qkv, const float* mask, float* o, float* lse, const AttnShape& s) {
  const int64_t d = s.heads * s.dh, dh = s.dh;
  const float scale = 1.f / std::sqrt(static_cast<float>(dh));
  const bool fast = impl() == Impl::AVX512;
  for_tasks(s, [&](const std::pair<int64_t, int64_t>* b, const std::pair<int64_t, int64_t>* e) {
    std::vector<float> sc(kBlock * kBlock), acc(kBlock * dh), bias, m(kBlock), l(kBlock);
    for (auto task = b; task != e; ++task) {
      const int64_t h = task->first, seq = task->second;
      const Seqs sq = seqs_of(s, h);
      const int64_t len = sq.len;
      const Rows r = rows_of(sq, seq, d);
      const float* q = qkv + r.tok0 * 3 * d + h * dh;
      const float *k = q + d, *v = q + 2 * d;
      const float* kb = key_bias(mask, sq, seq, bias);
      if (fast) {
        attention_fwd_task_avx512({q, k, v, r.ld, len, dh, scale, kb}, o + r.tok0 * d + h * dh, r.ldo,
                                  lse + r.tok0 * s.heads + h, r.step * s.heads);
        continue;
      }
      for (int64_t i0 = 0; i0 < len; i0 += kBlock) {
        const int64_t rows = std::min(kBlock, len - i0);
        std::fill_n(m.begin(), rows, -INFINITY);
        std::fill_n(l.begin(), rows, 0.f);
        std::fill_n(acc.begin(), rows * dh, 0.f);
        for (int64_t j0 = 0; j0 < len; j0 += kBlock) {
          const int64_t cols = std::min(kBlock, len - j0);
          // S = q_i0 · k_j0ᵀ (rows, cols), then the online softmax
          sgemm_serial(false, true, rows, cols, dh, q + i0 * r.ld, r.ld, k + j0 * r.ld, r.ld, sc.data(), cols, false);
          for (int64_t i = 0; i < rows; i++) {
            float* si = sc.data() + i * cols;
            float mx = m[i];
            for (int64_t j = 0; j < cols; j++) {
              si[j] = si[j] * scale + (kb ? kb[j0 + j] : 0.f);
              mx = std::max(mx, si[j]);
            }
            const float corr = vexp(m[i] - mx);  // 0 on the first block (m = −inf)
            float sum = 0.f;
            for (int64_t j = 0; j < cols; j++) sum += (si[j] = vexp(si[j] - mx));
            l[i] = l[i] * corr + sum;
            m[i] = mx;
            float* ai = acc.data() + i * dh;
            for (int64_t c = 0; c < dh; c++) ai[c] *= corr;
          }
          // acc += P · v_j0 (rows, dh)
          sgemm_serial(false, false, rows, dh, cols, sc.data(), cols, v + j0 * r.ld, r.ld, acc.data(), dh, true);
        }
        for (int64_t i = 0; i < rows; i++) {
          const int64_t tok = sq.token(seq, i0 + i);
          const float inv = 1.f / l[i];
          float* oi = o + tok * d + h * dh;
          for (int64_t c = 0; c < dh; c++) oi[c] = acc[i * dh + c] * inv;
          lse[tok * s.heads + h] = m[i] + std::log(l[i]);
        }
      }
    }
  });
}

void attention_bwd(const float* dout, const float* qkv, const float* o, const float* lse, const float* mask,
                   float* dqkv, const AttnShape& s) {
  const int64_t d = s.heads * s.dh, dh = s.dh;
  const float scale = 1.f / std::sqrt(static_cast<float>(dh));
  const bool fast = impl() == Impl::AVX512;
  for_tasks(s, [&](const std::pair<int64_t, int64_t>* b, const std::pair<int64_t, int64_t>* e) {
    std::vector<float> dq, dk, dv, rowd, rowl, bias, p(kBlock * kBlock), dp(kBlock * kBlock);
    for (auto task = b; task != e; ++task) {
      const int64_t h = task->first, seq = task->second;
      const Seqs sq = seqs_of(s, h);
      const int64_t len = sq.len;
      const Rows r = rows_of(sq, seq, d);
      const float* q = qkv + r.tok0 * 3 * d + h * dh;
      const float *k = q + d, *v = q + 2 * d;
      const float* go = dout + r.tok0 * d + h * dh;
      if (fast) {
        const float* kb = key_bias(mask, sq, seq, bias);
        float* g = dqkv + (q - qkv);
        attention_bwd_task_avx512({q, k, v, r.ld, len, dh, scale, kb}, go, o + r.tok0 * d + h * dh, r.ldo,
                                  lse + r.tok0 * s.heads + h, r.step * s.heads, g, g + d, g + 2 * d);
        continue;
      }
      for (auto* buf : {&dq, &dk, &dv}) buf->assign(len * dh, 0.f);
      rowd.resize(len), rowl.resize(len);
      for (int64_t i = 0; i < len; i++) {
        const int64_t tok = sq.token(seq, i);
        const float *oi = o + tok * d + h * dh, *gi = go + i * r.ldo;
        float di = 0.f;  // D_i = dO_i · O_i = Σ_j P_ij dP_ij
        for (int64_t c = 0; c < dh; c++) di += gi[c] * oi[c];
        rowd[i] = di;
        rowl[i] = lse[tok * s.heads + h];
      }
      const float* kb = key_bias(mask, sq, seq, bias);
      for (int64_t j0 = 0; j0 < len; j0 += kBlock) {
        const int64_t cols = std::min(kBlock, len - j0);
        for (int64_t i0 = 0; i0 < len; i0 += kBlock) {
          const int64_t rows = std::min(kBlock, len - i0);
          // P = exp(q kᵀ·scale + bias − lse), dP = dO · vᵀ, then dS = P (dP − D) · scale in place of dP
          sgemm_serial(false, true, rows, cols, dh, q + i0 * r.ld, r.ld, k + j0 * r.ld, r.ld, p.data(), cols, false);
          sgemm_serial(false, true, rows, cols, dh, go + i0 * r.ldo, r.ldo, v + j0 * r.ld, r.ld, dp.data(), cols, false);
          for (int64_t i = 0; i < rows; i++) {
            float *pi = p.data() + i * cols, *dpi = dp.data() + i * cols;
            const float li = rowl[i0 + i], di = rowd[i0 + i];
            for (int64_t j = 0; j < cols; j++) {
              pi[j] = vexp(pi[j] * scale + (kb ? kb[j0 + j] : 0.f) - li);
              dpi[j] = pi[j] * (dpi[j] - di) * scale;
            }
          }
          // dV_j0 += Pᵀ dO_i0, dQ_i0 += dS k_j0, dK_j0 += dSᵀ q_i0
          sgemm_serial(true, false, cols, dh, rows, p.data(), cols, go + i0 * r.ldo, r.ldo, dv.data() + j0 * dh, dh, true);
          sgemm_serial(false, false, rows, dh, cols, dp.data(), cols, k + j0 * r.ld, r.ld, dq.data() + i0 * dh, dh, true);
          sgemm_serial(true, false, cols, dh, rows, dp.data(), cols, q + i0 * r.ld, r.ld, dk.data() + j0 * dh, dh, true);
        }
      }
      for (int64_t i = 0; i < len; i++) {
        float* row = dqkv + sq.token(seq, i) * 3 * d;
        std::copy_n(dq.data() + i * dh, dh, row + h * dh);
        std::copy_n(dk.data() + i * dh, dh, row + d + h * dh);
        std::copy_n(dv.data() + i * dh, dh, row + 2 * d + h * dh);
      }
    }
  });
}

}  // namespace vtx
