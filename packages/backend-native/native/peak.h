// The machine's fp32 FMA throughput, measured: the peak bench fractions are taken of (bench/run.ts).
#pragma once

namespace vtx {

// GFLOP/s of independent fused multiply-adds on every pool thread for about `seconds` (AVX-512 where the CPU has
// it, else AVX2+FMA, else 0: no vector FMA to measure). Registers only, no memory traffic: an upper bound no
// kernel exceeds. Counts each FMA lane as 2 flops.
double fma_peak_gflops(double seconds);

}  // namespace vtx
