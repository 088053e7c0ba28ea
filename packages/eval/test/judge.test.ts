/** Attribute accuracy by hand-counted cases, and resampling clips to the judge's size. */
import * as tf from '@tensorflow/tfjs-core';
import { describe, expect, it } from 'vitest';
import { attributeAccuracy, toJudgeSize } from '../src/judge.js';

describe('attribute accuracy', () => {
  it('counts hits per attribute against the requested values and averages them', () => {
    const pred = { colour: ['red', 'blue', 'red', 'green'], shape: ['circle', 'circle', 'square', 'square'] };
    const wanted = [
      { colour: 'red', shape: 'circle' },
      { colour: 'red', shape: 'circle' },
      { colour: 'red', shape: 'square' },
      { colour: 'green', shape: 'circle' },
    ];
    const acc = attributeAccuracy(pred, wanted);
    expect(acc['colour']).toBe(3 / 4);
    expect(acc['shape']).toBe(3 / 4);
    expect(acc['mean']).toBe(3 / 4);
    expect(attributeAccuracy(pred, wanted, ['shape'])).toEqual({ shape: 0.75, mean: 0.75 });
  });

  it('skips clips that do not ask for an attribute, and names a missing head', () => {
    const acc = attributeAccuracy({ colour: ['red', 'blue'] }, [{ colour: 'red' }, {}]);
    expect(acc['colour']).toBe(1);
    expect(() => attributeAccuracy({ colour: ['red'] }, [{ size: 'small' }], ['size'])).toThrow(
      /no head for attribute 'size'/,
    );
  });
});

describe('toJudgeSize', () => {
  it('resamples frames (nearest) and pixels (bilinear) to the judge clip', () => {
    const x = tf.tensor(
      Float32Array.from({ length: 8 }, (_, i) => i),
      [1, 8, 1, 1, 1],
    );
    const y = toJudgeSize(tf.tile(x, [1, 1, 2, 2, 1]), [4, 4, 4, 1]);
    expect(y.shape).toEqual([1, 4, 4, 4, 1]);
    // frames 8 -> 4 take frames 1, 3, 5, 7 (centres of 4 equal spans); a constant frame stays constant
    expect(Array.from(tf.slice(y, [0, 0, 0, 0, 0], [1, 4, 1, 1, 1]).dataSync())).toEqual([1, 3, 5, 7]);
  });
});
