// Prints the compiler flags for this machine's CPU (binding.gyp expands them into cflags): with AVX2 and FMA,
// `-mavx2 -mfma -DVTX_AVX2` (the AVX2/FMA GEMM kernel and vectorised elementwise loops), else nothing: the
// portable build. On any x86-64 `-DVTX_AVX512` too: the AVX-512 GEMM kernels (native/gemm_avx512.cc) are
// compiled with function target attributes and run only where the CPU reports AVX-512 at run time, so the
// addon still loads on a CPU without it. VTX_NATIVE_PORTABLE=1 forces the portable build (neither).
/* global process, require */
/* eslint-disable @typescript-eslint/no-require-imports */
'use strict';
const fs = require('node:fs');

function hasAvx2Fma() {
  if (process.env.VTX_NATIVE_PORTABLE === '1' || process.arch !== 'x64') return false;
  try {
    const flags =
      fs
        .readFileSync('/proc/cpuinfo', 'utf8')
        .match(/^flags\s*:(.*)$/m)?.[1]
        .split(/\s+/) ?? [];
    return flags.includes('avx2') && flags.includes('fma');
  } catch {
    return false; // no /proc (macOS, Windows): build the portable kernels
  }
}

const portable = process.env.VTX_NATIVE_PORTABLE === '1' || process.arch !== 'x64';
process.stdout.write(
  [hasAvx2Fma() ? '-mavx2 -mfma -DVTX_AVX2' : '', portable ? '' : '-DVTX_AVX512'].filter(Boolean).join(' '),
);
