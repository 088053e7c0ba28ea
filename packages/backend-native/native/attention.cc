#include "attention.h"

#include <algorithm>
#include <cmath>
#include <vector>

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

// The (head, sequence) tasks in order, each independent (disjoint outputs), dealt to the pool in ranges.
template <typename F>
void for_tasks(const AttnShape& s, F fn) {
  std::vector<std::pair<int64_t, int64_t>> tasks;  // (head, sequence)
  for (int64_t h = 0; h < s.heads; h++) {
    const Seqs q = seqs_of(s, h);
    for (int64_t i = 0; i < q.count; i++) tasks.emplace_back(h, i);
  }
  const int64_t n = static_cast<int64_t>(tasks.size());
  const int parts = static_cast<int>(std::min<int64_t>(pool().size(), n));
  auto run = [&](int p) {
    const int64_t b = n * p / parts, e = n * (p + 1) / parts;
    if (b < e) fn(tasks.data() + b, tasks.data() + e);
  };
  if (parts <= 1)
    run(0);
  else
    pool().run(parts, run);
}

// Copy `len` rows of dh floats, row i from src + token(i)·stride + col, into dst (len, dh).
void gather(const float* src, float* dst, const Seqs& q, int64_t seq, int64_t len, int64_t dh, int64_t stride,
            int64_t col) {
  for (int64_t i = 0; i < len; i++) std::copy_n(src + q.token(seq, i) * stride + col, dh, dst + i * dh);
}

// kt (dh, cols) = k rows [j0, j0 + cols) transposed, so score rows accumulate as axpys (vectorisable).
void transpose_block(const float* k, float* kt, int64_t j0, int64_t cols, int64_t dh) {
  for (int64_t j = 0; j < cols; j++)
    for (int64_t c = 0; c < dh; c++) kt[c * cols + j] = k[(j0 + j) * dh + c];
}

// s (rows, cols) = scale · q[i0 …] · kᵀ + key bias
void scores(const float* q, const float* kt, const float* bias, float* s, int64_t i0, int64_t rows, int64_t j0,
            int64_t cols, int64_t dh, float scale) {
  for (int64_t i = 0; i < rows; i++) {
    float* si = s + i * cols;
    std::fill_n(si, cols, 0.f);
    const float* qi = q + (i0 + i) * dh;
    for (int64_t c = 0; c < dh; c++) {
      const float a = qi[c];
      const float* kc = kt + c * cols;
      for (int64_t j = 0; j < cols; j++) si[j] += a * kc[j];
    }
    for (int64_t j = 0; j < cols; j++) si[j] = si[j] * scale + (bias ? bias[j0 + j] : 0.f);
  }
}

// The additive key bias of one sequence (joint attention with a padding mask), or null.
const float* key_bias(const float* mask, const Seqs& q, int64_t seq, std::vector<float>& buf) {
  if (!mask) return nullptr;
  const float* m = mask + q.sample(seq) * q.n;
  buf.resize(q.len);
  for (int64_t j = 0; j < q.len; j++) buf[j] = (1.f - m[j]) * -1e9f;
  return buf.data();
}

}  // namespace

void attention_fwd(const float* qkv, const float* mask, float* o, float* lse, const AttnShape& s) {
  const int64_t d = s.heads * s.dh, dh = s.dh, stride = 3 * d;
  const float scale = 1.f / std::sqrt(static_cast<float>(dh));
  for_tasks(s, [&](const std::pair<int64_t, int64_t>* b, const std::pair<int64_t, int64_t>* e) {
    std::vector<float> q, k, v, kt(dh * kBlock), sc(kBlock * kBlock), acc(kBlock * dh), bias;
    std::vector<float> m(kBlock), l(kBlock);
    for (auto task = b; task != e; ++task) {
      const int64_t h = task->first, seq = task->second;
      const Seqs sq = seqs_of(s, h);
      const int64_t len = sq.len;
      q.resize(len * dh), k.resize(len * dh), v.resize(len * dh);
      gather(qkv, q.data(), sq, seq, len, dh, stride, h * dh);
      gather(qkv, k.data(), sq, seq, len, dh, stride, d + h * dh);
      gather(qkv, v.data(), sq, seq, len, dh, stride, 2 * d + h * dh);
      const float* kb = key_bias(mask, sq, seq, bias);
      for (int64_t i0 = 0; i0 < len; i0 += kBlock) {
        const int64_t rows = std::min(kBlock, len - i0);
        std::fill_n(m.begin(), rows, -INFINITY);
        std::fill_n(l.begin(), rows, 0.f);
        std::fill_n(acc.begin(), rows * dh, 0.f);
        for (int64_t j0 = 0; j0 < len; j0 += kBlock) {
          const int64_t cols = std::min(kBlock, len - j0);
          transpose_block(k.data(), kt.data(), j0, cols, dh);
          scores(q.data(), kt.data(), kb, sc.data(), i0, rows, j0, cols, dh, scale);
          for (int64_t i = 0; i < rows; i++) {
            float* si = sc.data() + i * cols;
            float mx = m[i];
            for (int64_t j = 0; j < cols; j++) mx = std::max(mx, si[j]);
            const float corr = vexp(m[i] - mx);  // 0 on the first block (m = −inf)
            float sum = 0.f;
            for (int64_t j = 0; j < cols; j++) sum += (si[j] = vexp(si[j] - mx));
            l[i] = l[i] * corr + sum;
            m[i] = mx;
            float* ai = acc.data() + i * dh;
            for (int64_t c = 0; c < dh; c++) ai[c] *= corr;
            for (int64_t j = 0; j < cols; j++) {
              const float p = si[j];
              const float* vj = v.data() + (j0 + j) * dh;
              for (int64_t c = 0; c < dh; c++) ai[c] += p * vj[c];
            }
          }
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
  const int64_t d = s.heads * s.dh, dh = s.dh, stride = 3 * d;
  const float scale = 1.f / std::sqrt(static_cast<float>(dh));
  for_tasks(s, [&](const std::pair<int64_t, int64_t>* b, const std::pair<int64_t, int64_t>* e) {
    std::vector<float> q, k, v, dq, dk, dv, go, rowd, rowl, bias;
    std::vector<float> kt(dh * kBlock), vt(dh * kBlock), p(kBlock * kBlock), dp(kBlock * kBlock);
    for (auto task = b; task != e; ++task) {
      const int64_t h = task->first, seq = task->second;
      const Seqs sq = seqs_of(s, h);
      const int64_t len = sq.len;
      for (auto* buf : {&q, &k, &v, &dq, &dk, &dv, &go}) buf->assign(len * dh, 0.f);
      rowd.resize(len), rowl.resize(len);
      gather(qkv, q.data(), sq, seq, len, dh, stride, h * dh);
      gather(qkv, k.data(), sq, seq, len, dh, stride, d + h * dh);
      gather(qkv, v.data(), sq, seq, len, dh, stride, 2 * d + h * dh);
      gather(dout, go.data(), sq, seq, len, dh, d, h * dh);
      for (int64_t i = 0; i < len; i++) {
        const int64_t tok = sq.token(seq, i);
        const float* oi = o + tok * d + h * dh;
        float di = 0.f;  // D_i = dO_i · O_i = Σ_j P_ij dP_ij
        for (int64_t c = 0; c < dh; c++) di += go[i * dh + c] * oi[c];
        rowd[i] = di;
        rowl[i] = lse[tok * s.heads + h];
      }
      const float* kb = key_bias(mask, sq, seq, bias);
      for (int64_t j0 = 0; j0 < len; j0 += kBlock) {
        const int64_t cols = std::min(kBlock, len - j0);
        transpose_block(k.data(), kt.data(), j0, cols, dh);
        transpose_block(v.data(), vt.data(), j0, cols, dh);
        for (int64_t i0 = 0; i0 < len; i0 += kBlock) {
          const int64_t rows = std::min(kBlock, len - i0);
          scores(q.data(), kt.data(), kb, p.data(), i0, rows, j0, cols, dh, scale);
          for (int64_t i = 0; i < rows; i++) {
            float* pi = p.data() + i * cols;
            float* dpi = dp.data() + i * cols;
            for (int64_t j = 0; j < cols; j++) pi[j] = vexp(pi[j] - rowl[i0 + i]);  // P
            // dP_i = dO_i · Vᵀ
            std::fill_n(dpi, cols, 0.f);
            const float* gi = go.data() + (i0 + i) * dh;
            for (int64_t c = 0; c < dh; c++) {
              const float a = gi[c];
              const float* vc = vt.data() + c * cols;
              for (int64_t j = 0; j < cols; j++) dpi[j] += a * vc[j];
            }
            // dV_j += P_ij dO_i; dS_ij = P_ij (dP_ij − D_i), scaled for q·k
            for (int64_t j = 0; j < cols; j++) {
              const float pij = pi[j];
              float* dvj = dv.data() + (j0 + j) * dh;
              for (int64_t c = 0; c < dh; c++) dvj[c] += pij * gi[c];
              dpi[j] = pij * (dpi[j] - rowd[i0 + i]) * scale;
            }
            // dQ_i += dS_i K, dK_j += dS_ij Q_i
            float* dqi = dq.data() + (i0 + i) * dh;
            const float* qi = q.data() + (i0 + i) * dh;
            for (int64_t j = 0; j < cols; j++) {
              const float ds = dpi[j];
              const float* kj = k.data() + (j0 + j) * dh;
              float* dkj = dk.data() + (j0 + j) * dh;
              for (int64_t c = 0; c < dh; c++) dqi[c] += ds * kj[c], dkj[c] += ds * qi[c];
            }
          }
        }
      }
      for (int64_t i = 0; i < len; i++) {
        float* row = dqkv + sq.token(seq, i) * stride;
        std::copy_n(dq.data() + i * dh, dh, row + h * dh);
        std::copy_n(dk.data() + i * dh, dh, row + d + h * dh);
        std::copy_n(dv.data() + i * dh, dh, row + 2 * d + h * dh);
      }
    }
  });
}

}  // namespace vtx
