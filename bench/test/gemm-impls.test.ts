/**
 * bench/gemm-impls.ts on the native addon: one line per requested implementation in order, the ones this machine
 * lacks marked `skipped` (never timed as something else), best >= median GFLOP/s, and the forced implementation
 * restored afterwards. Timing values are not asserted (the machine is shared).
 */
import { nativeAddon } from '@vtx/backend-native';
import { describe, expect, it } from 'vitest';
import { GEMM_SHAPES, timeImpls } from '../gemm-impls.js';

const addon = (() => {
  try {
    return nativeAddon();
  } catch {
    return null;
  }
})();
if (!addon) console.warn('\n!!! bench/gemm-impls: native addon not built: its test SKIPPED\n');

describe.skipIf(!addon)('bench/gemm-impls', () => {
  it('times each available implementation, skips the rest by name, and restores the default', () => {
    const before = addon!.info().gemm;
    const shape = { name: 'small', m: 33, n: 17, k: 15, ta: false, tb: true };
    const lines = timeImpls(addon!, shape, ['avx2', 'no-such-kernel', 'scalar'], 2);
    expect(lines.map((l) => l['impl'])).toEqual(['avx2', 'no-such-kernel', 'scalar']);
    expect(lines[1]!['skipped']).toMatch(/not available/);
    const scalar = lines[2]!;
    expect(scalar['rounds']).toBe(2);
    expect(scalar['gflopsBest'] as number).toBeGreaterThanOrEqual(scalar['gflopsMedian'] as number);
    expect(addon!.info().gemm).toBe(before);
    expect(GEMM_SHAPES.map((s) => s.name)).toContain('1024');
  });
});
