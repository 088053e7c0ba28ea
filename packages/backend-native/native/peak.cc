#include "peak.h"

#include <atomic>
#include <chrono>

#include "pool.h"

#if defined(__x86_64__)
#include <immintrin.h>
#endif

namespace vtx {

namespace {

using Clock = std::chrono::steady_clock;
constexpr int kChains = 12;         // independent accumulators: more than FMA latency x issue width on current cores
constexpr long kBlock = 1L << 20;   // iterations between clock reads

#if defined(__x86_64__)
// Each function carries its own target (no ISA flags for the file), so the addon loads on any x86-64.
__attribute__((target("avx512f"))) long fma_loop_512(double seconds, float* sink) {
  __m512 acc[kChains];
  for (int i = 0; i < kChains; i++) acc[i] = _mm512_set1_ps(0.001f * i);
  const __m512 a = _mm512_set1_ps(0.999999f), b = _mm512_set1_ps(1e-7f);
  long iters = 0;
  const auto end = Clock::now() + std::chrono::duration<double>(seconds);
  do {
    for (long n = 0; n < kBlock; n++)
      for (int i = 0; i < kChains; i++) acc[i] = _mm512_fmadd_ps(acc[i], a, b);
    iters += kBlock;
  } while (Clock::now() < end);
  __m512 s = acc[0];
  for (int i = 1; i < kChains; i++) s = _mm512_add_ps(s, acc[i]);
  *sink = _mm512_reduce_add_ps(s);
  return iters * kChains * 16 * 2;
}

__attribute__((target("avx2,fma"))) long fma_loop_256(double seconds, float* sink) {
  __m256 acc[kChains];
  for (int i = 0; i < kChains; i++) acc[i] = _mm256_set1_ps(0.001f * i);
  const __m256 a = _mm256_set1_ps(0.999999f), b = _mm256_set1_ps(1e-7f);
  long iters = 0;
  const auto end = Clock::now() + std::chrono::duration<double>(seconds);
  do {
    for (long n = 0; n < kBlock; n++)
      for (int i = 0; i < kChains; i++) acc[i] = _mm256_fmadd_ps(acc[i], a, b);
    iters += kBlock;
  } while (Clock::now() < end);
  float out[8];
  __m256 s = acc[0];
  for (int i = 1; i < kChains; i++) s = _mm256_add_ps(s, acc[i]);
  _mm256_storeu_ps(out, s);
  *sink = out[0];
  return iters * kChains * 8 * 2;
}
#endif

}  // namespace

double fma_peak_gflops(double seconds) {
#if defined(__x86_64__)
  const bool wide = __builtin_cpu_supports("avx512f");
  if (!wide && !(__builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma"))) return 0;
  std::atomic<long> flops{0};
  std::atomic<float> sink{0};
  const auto start = Clock::now();
  pool().run(pool().size(), [&](int) {
    float s = 0;
    flops += wide ? fma_loop_512(seconds, &s) : fma_loop_256(seconds, &s);
    sink = s;
  });
  const double elapsed = std::chrono::duration<double>(Clock::now() - start).count();
  return sink.load() == -1.0f ? 0 : flops.load() / elapsed / 1e9;
#else
  (void)seconds;
  return 0;
#endif
}

}  // namespace vtx
