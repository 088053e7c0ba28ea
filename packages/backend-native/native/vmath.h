// Branch-free float32 exp / tanh / erf / sigmoid that compilers vectorise (no libm calls in the loop).
// exp: Cody-Waite range reduction x = n·ln2 + r, |r| ≤ ln2/2, degree-6 polynomial (≈1-2 ulp);
// erf: Abramowitz & Stegun 7.1.26 (|error| ≤ 1.5e-7), the same formula as the tfjs cpu backend.
// sum8: the row sums of the kernels.
#pragma once
#include <cstdint>
#include <cstring>

namespace vtx {

static inline float bits_to_float(int32_t i) {
  float f;
  std::memcpy(&f, &i, 4);
  return f;
}

static inline float vexp(float x) {
  const float hi = 88.3762626647949f, lo = -87.3365447505531f;
  float xc = x > hi ? hi : (x < lo ? lo : x);
  // round to nearest with the 1.5·2^23 trick (plain adds: vectorises, unlike roundf)
  float n = (xc * 1.44269504088896341f + 12582912.f) - 12582912.f;
  float r = xc - n * 0.693359375f;
  r = r - n * -2.12194440e-4f;
  float p = 1.9875691500e-4f;
  p = p * r + 1.3981999507e-3f;
  p = p * r + 8.3334519073e-3f;
  p = p * r + 4.1665795894e-2f;
  p = p * r + 1.6666665459e-1f;
  p = p * r + 5.0000001201e-1f;
  p = p * r * r + r + 1.f;
  float y = p * bits_to_float((static_cast<int32_t>(n) + 127) << 23);
  y = x > hi ? __builtin_inff() : y;
  y = x < lo ? 0.f : y;
  return x != x ? x : y;
}

static inline float vtanh(float x) {
  float ax = x < 0.f ? -x : x;
  float t = vexp(-2.f * ax);
  float y = (1.f - t) / (1.f + t);
  // small |x|: the odd Taylor series is more accurate than 1 - 2/(e^2x + 1)
  float x2 = x * x;
  float s = ax * (1.f + x2 * (-1.f / 3.f + x2 * (2.f / 15.f + x2 * (-17.f / 315.f))));
  y = ax < 0.0625f ? s : y;
  y = x < 0.f ? -y : y;
  return x != x ? x : y;
}

// erf(x) given e = exp(-x²) (GELU's derivative needs that exponential too and computes it once).
static inline float verf_given_exp(float x, float e) {
  float ax = x < 0.f ? -x : x;
  float t = 1.f / (1.f + 0.3275911f * ax);
  float p = ((((1.061405429f * t - 1.453152027f) * t + 1.421413741f) * t - 0.284496736f) * t + 0.254829592f) * t;
  float y = 1.f - p * e;
  // near 0, 1 − p·e^(−x²) cancels in float32: use the Maclaurin series (error < 1e-13 for |x| < 0.05)
  float x2 = x * x;
  float s = 1.1283791670955126f * ax * (1.f + x2 * (-1.f / 3.f + x2 * (0.1f + x2 * (-1.f / 42.f))));
  y = ax < 0.05f ? s : y;
  y = x < 0.f ? -y : y;
  return x != x ? x : y;
}

static inline float verf(float x) { return verf_given_exp(x, vexp(-x * x)); }

// e^x − 1 without cancellation near 0 (Taylor series for |x| < 0.1, error < 2e-9 relative).
static inline float vexpm1(float x) {
  float t = x * (1.f + x * (0.5f + x * (1.f / 6.f + x * (1.f / 24.f + x * (1.f / 120.f)))));
  float y = vexp(x) - 1.f;
  float ax = x < 0.f ? -x : x;
  return ax < 0.1f ? t : y;
}

static inline float vsigmoid(float x) { return 1.f / (1.f + vexp(-x)); }

// Σ f(j) over j in [0, n) in T, as 8 interleaved partial sums added pairwise at the end: one serial chain of adds
// waits on each add's latency (about 4 cycles per element); 8 independent ones vectorise without reassociation
// flags, and are more accurate than one chain.
template <typename T, typename F>
static inline T sum8(int64_t n, F f) {
  T a[8] = {0, 0, 0, 0, 0, 0, 0, 0};
  int64_t j = 0;
  for (; j + 8 <= n; j += 8)
    for (int l = 0; l < 8; l++) a[l] += f(j + l);
  for (; j < n; j++) a[j & 7] += f(j);
  return ((a[0] + a[1]) + (a[2] + a[3])) + ((a[4] + a[5]) + (a[6] + a[7]));
}

}  // namespace vtx
