/**
 * The native addon's GEMM implementations side by side: OpenBLAS, the own AVX-512 and AVX2 kernels, and the bf16
 * opt-in (AVX512_BF16: inputs rounded to bf16, fp32 accumulation), each on the same operands through
 * `addon.gemm` (threaded over the addon's pool, as a tfjs matMul is). The implementations alternate A B C D A B …
 * (`alternation`), each round timing a few calls; per (shape, implementation) one JSON line with the best and
 * median round's GFLOP/s, and the load average before and after. Implementations the machine lacks get a
 * `skipped` line. `pnpm bench --only matmul` runs it; alone:
 *
 *   node --conditions=@vtx/source --import tsx bench/gemm-impls.ts [--rounds 7] [--shapes 1024,tiny-mlp]
 */
import os from 'node:os';
import { pathToFileURL } from 'node:url';
import { parseArgs } from 'node:util';
import { nativeAddon, type NativeAddon } from '@vtx/backend-native';
import { alternation, summarize } from './measure.js';

export interface GemmShape {
  name: string;
  m: number;
  n: number;
  k: number;
  ta: boolean;
  tb: boolean;
}

/** 1024³, and GEMMs of the default config's step (default-tiny: 32 clips x 64 tokens = 2048 rows, width 128). */
export const GEMM_SHAPES: GemmShape[] = [
  { name: '1024', m: 1024, n: 1024, k: 1024, ta: false, tb: false },
  { name: 'tiny-mlp-up', m: 2048, n: 512, k: 128, ta: false, tb: false },
  { name: 'tiny-mlp-down-dx', m: 2048, n: 512, k: 128, ta: false, tb: true },
  { name: 'tiny-qkv-dw', m: 128, n: 384, k: 2048, ta: true, tb: false },
];

export const GEMM_IMPLS = ['openblas', 'avx512', 'avx2', 'bf16'] as const;

/** Seeded uniform values in [-1, 1) (an LCG: the timing does not care about the distribution). */
export function uniform(n: number, seed: number): Float32Array {
  const v = new Float32Array(n);
  let x = seed >>> 0;
  for (let i = 0; i < n; i++) {
    x = (Math.imul(x, 1664525) + 1013904223) >>> 0;
    v[i] = x / 2 ** 31 - 1;
  }
  return v;
}

/** GFLOP/s of each available implementation on one shape, alternating; one line per implementation. */
export function timeImpls(
  addon: NativeAddon,
  s: GemmShape,
  impls: readonly string[],
  rounds: number,
): Record<string, unknown>[] {
  const initial = addon.info().gemm;
  const have = impls.filter((i) => addon.setGemm(i));
  const [a, b, c] = [uniform(s.m * s.k, 1), uniform(s.k * s.n, 2), new Float32Array(s.m * s.n)];
  const flop = 2 * s.m * s.n * s.k;
  const call = () => addon.gemm(a, b, c, s.ta, s.tb, 1, s.m, s.n, s.k, null, null);
  // calls per round: about 0.2 s of work at 50 GFLOP/s, 3 to 1000
  const reps = Math.min(1000, Math.max(3, Math.round((0.2 * 50e9) / flop)));
  const seconds = new Map<string, number[]>(have.map((i) => [i, []]));
  // warm: packing buffers, pool threads
  for (const impl of have) {
    addon.setGemm(impl);
    call();
  }
  for (const impl of alternation(have, rounds)) {
    addon.setGemm(impl);
    const t = performance.now();
    for (let r = 0; r < reps; r++) call();
    seconds.get(impl)!.push((performance.now() - t) / 1000 / reps);
  }
  addon.setGemm(initial);
  const shape = { shape: s.name, m: s.m, n: s.n, k: s.k, transposeA: s.ta, transposeB: s.tb };
  return impls.map((impl) => {
    const t = seconds.get(impl);
    if (!t) return { bench: 'gemm', ...shape, impl, skipped: 'not available on this machine or build' };
    const sum = summarize(t);
    return {
      bench: 'gemm',
      ...shape,
      impl,
      ...(impl === 'bf16' ? { optIn: 'VTX_NATIVE_GEMM=bf16: inputs rounded to bf16, not exact' } : {}),
      gflopsBest: +(flop / sum.best / 1e9).toFixed(1),
      gflopsMedian: +(flop / sum.median / 1e9).toFixed(1),
      rounds: sum.rounds,
      callsPerRound: reps,
    };
  });
}

function main() {
  const { values: args } = parseArgs({
    options: {
      rounds: { type: 'string', default: '7' },
      shapes: { type: 'string', default: '1024,tiny-mlp-up' },
      impls: { type: 'string', default: GEMM_IMPLS.join(',') },
    },
  });
  const rounds = Number(args.rounds);
  const shapes = args.shapes.split(',').map((name) => {
    const s = GEMM_SHAPES.find((x) => x.name === name);
    if (!s) throw new Error(`--shapes: '${name}' is not one of ${GEMM_SHAPES.map((x) => x.name).join(', ')}`);
    return s;
  });
  const addon = nativeAddon();
  if (!addon) {
    console.log(JSON.stringify({ bench: 'gemm', skipped: 'native addon not built' }));
    return;
  }
  const info = addon.info();
  console.log(
    JSON.stringify({ bench: 'gemm', load: 'before', loadavg1m: +os.loadavg()[0]!.toFixed(2), ...info }),
  );
  for (const s of shapes)
    for (const line of timeImpls(addon, s, args.impls.split(','), rounds)) console.log(JSON.stringify(line));
  console.log(JSON.stringify({ bench: 'gemm', load: 'after', loadavg1m: +os.loadavg()[0]!.toFixed(2) }));
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  try {
    main();
  } catch (e) {
    console.error((e as Error).message);
    process.exit(2);
  }
}
