import * as tf from '@tensorflow/tfjs-core';
import { expect } from 'vitest';
import type { NamedParam } from '../../src/optim/index.js';

/** A named parameter with a fresh, process-unique tfjs variable. */
export function param(name: string, values: number[], shape: number[] = [values.length]): NamedParam {
  return { name, variable: tf.variable(tf.tensor(values, shape), true) };
}

export function values(p: NamedParam): number[] {
  return Array.from(p.variable.dataSync());
}

export function maxAbsDiff(a: number[], b: number[]): number {
  expect(a.length).toBe(b.length);
  return Math.max(...a.map((x, i) => Math.abs(x - b[i]!)));
}
