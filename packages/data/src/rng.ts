/**
 * Seeded host-side randomness for the data pipeline. Every random choice (shuffle order, temporal
 * offset, crop box, flip, the synthetic dataset's attributes) comes from an `Rng` derived from the
 * config seed and *where* it is used (`Rng.derive(seed, epoch, position)`), never from a running
 * global stream. So a loader restored at (epoch, position) draws exactly the numbers an uninterrupted
 * run would, whatever the prefetch depth or worker scheduling was. Generator: mulberry32.
 */
export class Rng {
  private a: number;

  constructor(seed: number) {
    this.a = seed >>> 0;
  }

  /** A generator keyed by a path of integers, e.g. (seed, epoch, position). */
  static derive(...keys: number[]): Rng {
    let h = 0x811c9dc5;
    for (const k of keys) h = mix32(h, k);
    return new Rng(h);
  }

  /** Uniform in [0, 1). */
  next(): number {
    this.a = (this.a + 0x6d2b79f5) >>> 0;
    let t = this.a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  }

  /** Uniform integer in [0, n). */
  int(n: number): number {
    return Math.floor(this.next() * n);
  }

  /** Uniform in [lo, hi). */
  uniform(lo: number, hi: number): number {
    return lo + (hi - lo) * this.next();
  }

  /** One element of a non-empty list. */
  pick<T>(xs: readonly T[]): T {
    return xs[this.int(xs.length)] as T;
  }

  /** Fisher-Yates shuffle in place. */
  shuffle<T>(xs: T[]): T[] {
    for (let i = xs.length - 1; i > 0; i--) {
      const j = this.int(i + 1);
      [xs[i], xs[j]] = [xs[j] as T, xs[i] as T];
    }
    return xs;
  }

  /** The generator's whole state (one uint32), JSON-serialisable. */
  state(): number {
    return this.a;
  }
}

/** splitmix-style hash of (h, k) -> uint32. */
export function mix32(h: number, k: number): number {
  let z = (h ^ Math.imul((k | 0) + 0x7f4a7c15, 0x9e3779b9)) >>> 0;
  z = Math.imul(z ^ (z >>> 16), 0x85ebca6b) >>> 0;
  z = Math.imul(z ^ (z >>> 13), 0xc2b2ae35) >>> 0;
  return (z ^ (z >>> 16)) >>> 0;
}
