/**
 * Attribute accuracy by hand-counted cases, resampling clips to the judge's size, and reference rows read by name:
 * an attribute judge's vocabulary numbers their values (a value it does not know is an error naming the data's
 * index.json), and their class names are the numbering their labels use.
 */
import path from 'node:path';
import * as tf from '@tensorflow/tfjs-core';
import type * as tfl from '@tensorflow/tfjs-layers';
import { DataError, DatasetWriter } from '@vtx/data';
import { describe, expect, it } from 'vitest';
import { attributeAccuracy, realFeatures, toJudgeSize, type Judge } from '../src/judge.js';
import { clip, tmpDir } from '../../data/test/helpers.js';

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

describe('reference rows by name', () => {
  const root = tmpDir('vtx-judge-ref');

  /** 4 clips (2x4x4) of classes `labels` (own numbering b, c) and colours `colours` alternating. */
  async function dataset(name: string, colours: string[]): Promise<string> {
    const dir = path.join(root, name);
    const w = await DatasetWriter.create(dir, {
      name,
      dtype: 'uint8',
      builder: {},
      labels: ['b', 'c'],
      attributes: { colour: colours },
    });
    for (let i = 0; i < 4; i++)
      await w.add(clip(i, [2, 4, 4, 3], { label: i % 2, attributes: { colour: colours[i % 2]! } }));
    await w.finish();
    return dir;
  }

  /** An attribute judge of colour (blue, green, red) whose model returns fixed logits and features. */
  const judge: Pick<Judge, 'model' | 'clip' | 'heads' | 'kind'> = {
    kind: 'attribute',
    clip: [2, 4, 4, 3],
    heads: [{ name: 'colour', values: ['blue', 'green', 'red'], offset: 0 }],
    model: {
      predict: (x: tf.Tensor) => [tf.zeros([x.shape[0], 3]), tf.ones([x.shape[0], 2])],
    } as unknown as tfl.LayersModel,
  };

  it("names the rows' values and classes as the data numbers them for the judge and the model", async () => {
    const dir = await dataset('gr', ['green', 'red']);
    const ref = await realFeatures(judge, { dataset: dir, batchSize: 4, labels: ['a', 'b', 'c'] }, 4);
    expect(ref.attributes).toEqual([
      { colour: 'green' },
      { colour: 'red' },
      { colour: 'green' },
      { colour: 'red' },
    ]);
    expect(ref.labels).toEqual([1, 2, 1, 2]); // b, c in the model's numbering a, b, c
    expect(ref.labelNames).toEqual(['a', 'b', 'c']); // so labelNames[label] names each row's class
    expect(ref.labels.map((k) => ref.labelNames![k])).toEqual(['b', 'c', 'b', 'c']);
  });

  it("a value the judge does not know is an error naming the data's index.json and the value", async () => {
    const dir = await dataset('gy', ['green', 'yellow']);
    const err = await realFeatures(judge, { dataset: dir, batchSize: 4 }, 4).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(DataError);
    expect((err as Error).message).toContain(
      `${path.join(dir, 'index.json')}: attribute value colour 'yellow' not among the judge's`,
    );
  });
});
