// Prints the compiler flags for this machine's CPU (binding.gyp expands them into cflags): with AVX2 and FMA,
// `-mavx2 -mfma -DVTX_AVX2` (the AVX2/FMA GEMM kernel and vectorised elementwise loops), else nothing: the
// portable build. VTX_NATIVE_PORTABLE=1 forces the portable build.
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

process.stdout.write(hasAvx2Fma() ? '-mavx2 -mfma -DVTX_AVX2' : '');
