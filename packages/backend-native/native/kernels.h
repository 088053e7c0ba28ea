// Memory-bound float32 kernels of a transformer training step: broadcasting binary ops, unary math,
// reductions, softmax, transposes, the fused-matmul epilogue and the Adam/AdamW update. All threaded over the pool.
#pragma once
#include <cstdint>

namespace vtx {

enum class Binary { Add, Sub, Mul, Div, Max, Min, SquaredDiff, Pow };
enum class Unary { Exp, Log, Neg, Sqrt, Rsqrt, Square, Tanh, Erf, Sigmoid, Relu, Abs, Reciprocal, Log1p, Relu6, Elu, Softplus, Step, Sign };
enum class Reduce { Sum, Mean, Max, Min, Prod };

constexpr int kMaxRank = 8;

// out[shape] = a ∘ b with element strides sa/sb per axis (0 = broadcast); rank ≤ kMaxRank, out dense.
void binary(Binary op, const float* a, const float* b, float* out, int rank, const int64_t* shape,
            const int64_t* sa, const int64_t* sb);
// out[i] = f(x[i]) (alpha: Elu/LeakyRelu slope).
void unary(Unary op, const float* x, float* out, int64_t n, float alpha);
// out[i] = reduce_j x[i·inner + j], for i < outer.
void reduce_inner(Reduce op, const float* x, float* out, int64_t outer, int64_t inner);
// out[j] = reduce_i x[i·inner + j], for j < inner (reduction over leading axes).
void reduce_outer(Reduce op, const float* x, float* out, int64_t outer, int64_t inner);
// Row-wise softmax over the last axis.
void softmax(const float* x, float* out, int64_t rows, int64_t n);
// out = x transposed: out axis d has input stride in_strides[d]; out dense of shape[rank].
void transpose(const float* x, float* out, int rank, const int64_t* shape, const int64_t* in_strides);
// dst[Σ i·dst_strides] = src[Σ i·src_strides] over the index space `shape` (slices, pads, concatenation).
void strided_copy(const float* src, float* dst, int rank, const int64_t* shape, const int64_t* src_strides,
                  const int64_t* dst_strides);
// One AdamW step (PyTorch's torch.optim.AdamW form) in a single pass, into fresh outputs:
//   m' = b1·m + (1−b1)·g,  v' = b2·v + (1−b2)·g²,  p' = p·decay − step·m' / (√v' / sqrt_bc2 + eps)
// with decay = 1 − lr·λ and step = lr / (1 − b1ᵗ).
// Coefficients come in double so that 1 − β is exact before the float32 rounding (1.f − 0.999f is off by 5e-5).
void adamw(const float* p, const float* g, const float* m, const float* v, float* po, float* mo, float* vo, int64_t n,
           double b1, double b2, double eps, double decay, double step, double sqrt_bc2);
// One parameter of an update over many: its buffers (n floats each) and its decay factor 1 − lr·λ.
struct AdamWTensor {
  const float *p, *g, *m, *v;
  float *po, *mo, *vo;
  int64_t n;
  double decay;
};
// The same step over every tensor in one parallel pass (the optimizer's whole update in one call).
void adamw_all(const AdamWTensor* ts, int64_t count, double b1, double b2, double eps, double step, double sqrt_bc2);
// c[rows, n] = act(c + bias[n]) in place (bias may be null); act: 0 linear, 1 relu, 2 relu6, 3 sigmoid,
// 4 elu, 5 leakyrelu(alpha).
void bias_act(float* c, int64_t rows, int64_t n, const float* bias, int act, float alpha);

}  // namespace vtx
