/**
 * fmaPeak, the fp32 peak `pnpm bench` takes its `ofPeak` fractions of (native/peak.cc): a vector FMA loop on every
 * pool thread. No timing is asserted (the machine may be loaded); what is checked is that it measures something
 * on a CPU with vector FMA, counts no more than the cores could at the nominal widest FMA rate at a generous
 * clock, and refuses a nonsense duration.
 */
import { describe, expect, it } from 'vitest';
import { loadAddon } from '../src/addon.js';
import { unavailable } from './helpers.js';

describe.skipIf(unavailable)('fmaPeak', () => {
  const load = loadAddon();
  const addon = load.ok ? load.addon : null;

  it('measures a positive throughput where the CPU has vector FMA, bounded by the cores at 6 GHz x 64 flop', () => {
    const info = addon!.info();
    const gflops = addon!.fmaPeak(0.05);
    if (!info.avx2 && !info.avx512) {
      expect(gflops).toBe(0);
      return;
    }
    expect(gflops).toBeGreaterThan(0);
    expect(gflops).toBeLessThan(info.threads * 6 * 64);
  });

  it('refuses a duration outside (0, 10] seconds, naming the function', () => {
    expect(() => addon!.fmaPeak(0)).toThrow(/fmaPeak: seconds must be in \(0, 10\]/);
    expect(() => addon!.fmaPeak(60)).toThrow(/fmaPeak/);
  });
});
