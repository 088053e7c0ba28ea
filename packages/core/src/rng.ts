/**
 * The seeded source of randomness for every stochastic layer (dropout, DropPath, label dropout) and
 * for initialisers created by vtx. State is a single counter so a checkpoint can save and restore it
 * and a resumed run draws exactly the same random numbers as an uninterrupted one.
 */
import * as tf from '@tensorflow/tfjs-core';

let state = { seed: 0, counter: 0 };

/** Reset the stream: same seed, same sequence of draws. */
export function setSeed(seed: number): void {
  state = { seed: seed >>> 0, counter: 0 };
}

/** A fresh 32-bit seed for one tfjs random op (`tf.randomUniform(shape, 0, 1, 'float32', nextSeed())`). */
export function nextSeed(): number {
  state.counter += 1;
  return mix32(state.seed, state.counter);
}

/** The stream's state, for checkpoints. */
export function getRngState(): { seed: number; counter: number } {
  return { ...state };
}

export function setRngState(s: { seed: number; counter: number }): void {
  state = { seed: s.seed >>> 0, counter: s.counter };
}

/** splitmix32-style hash of (seed, counter) -> uint32. */
export function mix32(seed: number, counter: number): number {
  let z = (seed ^ Math.imul(counter, 0x9e3779b9)) >>> 0;
  z = Math.imul(z ^ (z >>> 16), 0x85ebca6b) >>> 0;
  z = Math.imul(z ^ (z >>> 13), 0xc2b2ae35) >>> 0;
  return (z ^ (z >>> 16)) >>> 0;
}

/**
 * The seed to give a tfjs normal-family draw (tf.randomNormal, tf.truncatedNormal, their initializers): tfjs reads
 * a seed of 0 there as "no seed" and draws from Math.random, so a stream whose hash happens to be 0 (mix32(0, 0), the
 * first step of a seed-0 run, sampling with seed 0) would not repeat. 0 maps to a fixed non-zero seed; every other
 * seed is unchanged. (Uniform draws treat 0 as a seed like any other.)
 */
export function normalSeed(seed: number): number {
  return seed === 0 ? 0x9e3779b9 : seed;
}

/**
 * N(mean, std^2) noise of `shape` from a seed (default: the stream's next), seed 0 included (normalSeed): the one
 * way vtx draws Gaussian noise, so every draw repeats for its seed.
 */
export function seededNormal(shape: readonly number[], seed = nextSeed(), mean = 0, std = 1): tf.Tensor {
  return tf.randomNormal([...shape], mean, std, 'float32', normalSeed(seed));
}

/** A deterministic uniform [0, 1) generator (mulberry32) for host-side sampling. */
export function mulberry32(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/**
 * Where the rows of the batch being computed sit in the global batch they were cut from (data-parallel training:
 * rank r holds rows [offset, offset + B) of `global`), or null for a whole batch. Row-wise random draws (noise,
 * timesteps, dropped labels, dropped paths) are made for the global batch and sliced, so N ranks draw exactly what
 * one process draws for the same rows.
 */
export interface BatchPart {
  offset: number;
  global: number;
}

let batchPart: BatchPart | null = null;

/** Run `fn` with the current batch's place in its global batch (the trainer sets it around each micro-batch). */
export function withBatchPart<T>(part: BatchPart | null, fn: () => T): T {
  const prev = batchPart;
  batchPart = part;
  try {
    return fn();
  } finally {
    batchPart = prev;
  }
}

/**
 * A row-wise draw of `shape` (rows first): `draw` is called with the global batch's shape and its rows
 * [offset, offset + shape[0]) are kept, or with `shape` itself when the batch is whole.
 */
export function rowDraw(shape: readonly number[], draw: (shape: number[]) => tf.Tensor): tf.Tensor {
  const rows = shape[0]!;
  const part = batchPart;
  if (!part || part.global === rows) return draw([...shape]);
  return tf.tidy(() => tf.slice(draw([part.global, ...shape.slice(1)]), part.offset, rows));
}

/** Host-side row draws: `n` values of `next` for rows [offset, offset + n) of the global batch. */
export function rowValues(n: number, next: () => number): number[] {
  const part = batchPart;
  const all = Array.from({ length: part && part.global !== n ? part.global : n }, next);
  return part && part.global !== n ? all.slice(part.offset, part.offset + n) : all;
}
