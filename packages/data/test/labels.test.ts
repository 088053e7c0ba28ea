/**
 * Labels numbered by name (`DataConfig.labels`): an evaluation set that lacks one of the training set's classes
 * numbers its own classes from 0, so the loader renumbers each row by its class name; a class the numbering lacks is
 * a DataError naming the dataset's index.json and the class. Inline and in the worker thread.
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
