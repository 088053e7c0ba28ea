/**
 * Labels numbered by name (`DataConfig.labels`): an evaluation set that lacks one of the training set's classes
 * numbers its own classes from 0, so the loader renumbers each row by its class name; a class the numbering lacks is
 * a DataError naming the dataset's index.json and the class. Inline and in the worker thread. Attributes likewise
 * (`DataConfig.attributes`, a judge's vocabulary): values numbered by their position in it, only its attributes
 * carried, and a value it lacks a DataError naming the index.json, the attribute and the value.
 */
import path from 'node:path';
import { describe, expect, it } from 'vitest';

import { createLoader, DataError, DatasetWriter } from '../src/index.js';
import { clip, tmpDir } from './helpers.js';

const root = tmpDir('vtx-labels');

/** A dataset of 2 clips per class of `names` (4x8x8), labelled by its own numbering: row i has class i mod |names|. */
async function dataset(name: string, names: string[]): Promise<string> {
  const dir = path.join(root, name);
  const w = await DatasetWriter.create(dir, { name, dtype: 'uint8', builder: {}, labels: names });
  for (let i = 0; i < 2 * names.length; i++) await w.add(clip(i, [4, 8, 8, 3], { label: i % names.length }));
  await w.finish();
  return dir;
}

describe('DataConfig.labels', () => {
  for (const worker of [false, true]) {
    it(`renumbers an evaluation set's labels by the training set's class names (worker: ${worker})`, async () => {
      const dir = await dataset(`bcd-${worker}`, ['b', 'c', 'd']);
      const load = async (labels?: string[]) => {
        const l = await createLoader({
          dataset: dir,
          batchSize: 6,
          shuffle: false,
          worker,
          ...(labels ? { labels } : {}),
        });
        try {
          return { labels: [...(await l.next()).labels!], names: l.labelNames };
        } finally {
          await l.close();
        }
      };
      // its own numbering: b c d -> 0 1 2 (what a 4-class model reads as a, b, c)
      expect(await load()).toEqual({ labels: [0, 1, 2, 0, 1, 2], names: ['b', 'c', 'd'] });
      expect(await load(['a', 'b', 'c', 'd'])).toEqual({
        labels: [1, 2, 3, 1, 2, 3],
        names: ['a', 'b', 'c', 'd'],
      });
      // any order of the names: positions follow them
      expect((await load(['d', 'c', 'b', 'a'])).labels).toEqual([2, 1, 0, 2, 1, 0]);
    });
  }

  it('a class the numbering lacks is a DataError naming the index.json and the class, before any batch', async () => {
    const dir = await dataset('bce', ['b', 'c', 'e']);
    const err = await createLoader({ dataset: dir, labels: ['a', 'b', 'c', 'd'], worker: false }).catch(
      (e: unknown) => e,
    );
    expect(err).toBeInstanceOf(DataError);
    expect((err as DataError).message).toBe(
      `${path.join(dir, 'index.json')}: label 'e' not among the model's classes (a, b, c, d): ` +
        "evaluation data must use the training data's class names",
    );
  });
});

/** 2 clips per colour of `colours` (4x8x8): row i has colour i mod |colours| and shape 'disc'. */
async function withAttributes(name: string, colours: string[]): Promise<string> {
  const dir = path.join(root, name);
  const w = await DatasetWriter.create(dir, {
    name,
    dtype: 'uint8',
    builder: {},
    labels: null,
    attributes: { colour: colours, shape: ['disc'] },
  });
  for (let i = 0; i < 2 * colours.length; i++)
    await w.add(
      clip(i, [4, 8, 8, 3], {
        label: null,
        attributes: { colour: colours[i % colours.length]!, shape: 'disc' },
      }),
    );
  await w.finish();
  return dir;
}

describe('DataConfig.attributes', () => {
  for (const worker of [false, true]) {
    it(`numbers attribute values by the judge's vocabulary (worker: ${worker})`, async () => {
      const dir = await withAttributes(`gr-${worker}`, ['green', 'red']);
      const load = async (attributes?: Record<string, string[]>) => {
        const l = await createLoader({
          dataset: dir,
          batchSize: 4,
          shuffle: false,
          worker,
          ...(attributes ? { attributes } : {}),
        });
        try {
          const b = await l.next();
          return {
            values: Object.fromEntries(Object.entries(b.attributes!).map(([k, v]) => [k, [...v]])),
            names: l.attributeNames,
          };
        } finally {
          await l.close();
        }
      };
      // its own numbering: green red -> 0 1 (what a judge of blue, green, red reads as blue, green)
      expect((await load()).values).toEqual({ colour: [0, 1, 0, 1], shape: [0, 0, 0, 0] });
      const judge = { colour: ['blue', 'green', 'red'] };
      expect(await load(judge)).toEqual({ values: { colour: [1, 2, 1, 2] }, names: judge });
      expect((await load({ colour: ['red', 'green'], size: ['big'] })).values).toEqual({
        colour: [1, 0, 1, 0],
        size: [-1, -1, -1, -1], // an attribute the data lacks: missing in every row
      });
    });
  }

  it('a value the vocabulary lacks is a DataError naming the index.json, the attribute and the value', async () => {
    const dir = await withAttributes('gy', ['green', 'yellow']);
    const err = await createLoader({
      dataset: dir,
      attributes: { colour: ['blue', 'green', 'red'] },
      worker: false,
    }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(DataError);
    expect((err as DataError).message).toBe(
      `${path.join(dir, 'index.json')}: attribute value colour 'yellow' not among the judge's ` +
        '(colour: blue, green, red): the data must use the vocabulary the judge was trained on',
    );
  });
});
