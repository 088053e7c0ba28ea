/**
 * fmaPeak, the fp32 peak `pnpm bench` takes its `ofPeak` fractions of (native/peak.cc): a vector FMA loop on every
 * pool thread. No timing is asserted (the machine may be loaded); what is checked is that it measures something
 * on a CPU with vector FMA, counts no more than the cores could at the nominal widest FMA rate at a generous
 * clock, and refuses a nonsense duration.
 */
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { loadAddon } from '../src/addon.js';
import { unavailable } from './helpers.js';

/** Whether this CPU has a vector FMA fmaPeak can run (it dispatches at run time, whatever the build's flags). */
function cpuHasVectorFma(): boolean {
  if (process.arch !== 'x64') return false;
  let flags: string[] = [];
  try {
    flags =
      readFileSync('/proc/cpuinfo', 'utf8')
        .match(/^flags\s*:(.*)$/m)?.[1]
        ?.split(/\s+/) ?? [];
  } catch {
    return false;
  }
  return flags.includes('avx512f') || (flags.includes('avx2') && flags.includes('fma'));
}

describe.skipIf(unavailable)('fmaPeak', () => {
  const load = loadAddon();
  const addon = load.ok ? load.addon : null;

  it('measures a positive throughput where the CPU has vector FMA, bounded by the cores at 6 GHz x 64 flop', () => {
    const info = addon!.info();
    const gflops = addon!.fmaPeak(0.05);
    // the CPU decides, not the build: a portable build (info.avx2 false) still runs the target-attribute loops
    if (!cpuHasVectorFma()) {
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
