import * as tf from '@tensorflow/tfjs-core';
import { describe, expect, it } from 'vitest';
import {
  getRngState,
  mix32,
  mulberry32,
  nextSeed,
  normalSeed,
  rowDraw,
  rowValues,
  seededNormal,
  setRngState,
  setSeed,
  withBatchPart,
} from '@vtx/core';

describe('seeded RNG', () => {
  it('the same seed gives the same stream of op seeds; another seed another stream', () => {
    setSeed(123);
    const a = [nextSeed(), nextSeed(), nextSeed()];
    setSeed(123);
    expect([nextSeed(), nextSeed(), nextSeed()]).toEqual(a);
    setSeed(124);
    expect([nextSeed(), nextSeed(), nextSeed()]).not.toEqual(a);
    expect(new Set(a).size).toBe(3);
    for (const s of a) expect(Number.isInteger(s) && s >= 0 && s < 2 ** 32).toBe(true);
  });

  it('saving and restoring the state resumes exactly where it was', () => {
    setSeed(7);
    nextSeed();
    nextSeed();
    const saved = getRngState();
    expect(saved).toEqual({ seed: 7, counter: 2 });
    const cont = [nextSeed(), nextSeed()];
    const draw = () => Array.from(tf.randomUniform([5], 0, 1, 'float32', nextSeed()).dataSync());
    const d = draw();
    setSeed(999); // something else happens meanwhile
    nextSeed();
    setRngState(JSON.parse(JSON.stringify(saved)) as typeof saved); // as a checkpoint would store it
    expect([nextSeed(), nextSeed()]).toEqual(cont);
    expect(draw()).toEqual(d);
    // the returned state is a copy
    const s = getRngState();
    s.counter = 100;
    expect(getRngState().counter).toBe(5);
  });

  it('mix32 is a pure hash of (seed, counter) onto uint32', () => {
    expect(mix32(1, 1)).toBe(mix32(1, 1));
    expect(mix32(1, 1)).not.toBe(mix32(1, 2));
    expect(mix32(1, 1)).not.toBe(mix32(2, 1));
    expect(mix32(2 ** 32 - 1, 2 ** 31)).toBeGreaterThanOrEqual(0);
  });

  it('normalSeed makes a seed of 0 repeat in tfjs normal draws, and leaves other seeds alone', () => {
    expect(mix32(0, 0)).toBe(0); // the hash that reaches tfjs on the first step of a seed-0 run
    const draw = (seed: number) => Array.from(tf.randomNormal([8], 0, 1, 'float32', seed).dataSync());
    expect(draw(0)).not.toEqual(draw(0)); // tfjs reads 0 as "no seed": Math.random
    expect(draw(normalSeed(0))).toEqual(draw(normalSeed(0)));
    expect(normalSeed(7)).toBe(7);
    expect(draw(normalSeed(7))).toEqual(draw(7));
    // seededNormal: that draw, from a given seed or else the stream's next
    expect(Array.from(seededNormal([8], 0).dataSync())).toEqual(draw(normalSeed(0)));
    setSeed(3);
    const fromStream = Array.from(seededNormal([8]).dataSync());
    expect(fromStream).toEqual(draw(mix32(3, 1)));
    expect(
      Array.from(seededNormal([2, 2], 5, 10, 0.001).dataSync()).every((v) => Math.abs(v - 10) < 0.01),
    ).toBe(true);
  });

  it('mulberry32 is deterministic and roughly uniform on [0, 1)', () => {
    const r1 = mulberry32(5);
    const r2 = mulberry32(5);
    const xs = Array.from({ length: 20000 }, () => r1());
    expect(Array.from({ length: 20000 }, () => r2())).toEqual(xs);
    expect(Math.min(...xs)).toBeGreaterThanOrEqual(0);
    expect(Math.max(...xs)).toBeLessThan(1);
    const mean = xs.reduce((a, b) => a + b, 0) / xs.length;
    expect(Math.abs(mean - 0.5)).toBeLessThan(0.01); // σ = 0.002
    const lowDecile = xs.filter((x) => x < 0.1).length / xs.length;
    expect(Math.abs(lowDecile - 0.1)).toBeLessThan(0.01);
  });
});

describe('row-wise draws of a batch part (data parallel)', () => {
  it('are the global batch draws of the part’s rows, device and host side', () => {
    const uniform = (s: number[]) => tf.randomUniform(s, 0, 1, 'float32', 17);
    const whole = uniform([5, 2]).arraySync() as number[][];
    const part = withBatchPart({ offset: 2, global: 5 }, () => rowDraw([3, 2], uniform).arraySync());
    expect(part).toEqual(whole.slice(2, 5));
    // outside a part, or for a whole batch, the draw is the batch's own
    expect(rowDraw([5, 2], uniform).arraySync()).toEqual(whole);
    expect(withBatchPart({ offset: 0, global: 5 }, () => rowDraw([5, 2], uniform).arraySync())).toEqual(
      whole,
    );
    const host = rowValues(5, mulberry32(3));
    expect(withBatchPart({ offset: 1, global: 5 }, () => rowValues(2, mulberry32(3)))).toEqual(
      host.slice(1, 3),
    );
  });
});
