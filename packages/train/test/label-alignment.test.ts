/**
 * Evaluation labels numbered as in training: an evaluation set lacking one of the training set's classes numbers
 * its classes from 0 in its own index.json; the trainer evaluates it by class name, so its metrics equal those of
 * the same clips in a dataset numbered like the training set. A class the training data lacks fails at setup,
 * naming the evaluation index.json and the class.
 */
import { join } from 'node:path';
import { DatasetWriter } from '@vtx/data';
import { describe, expect, it } from 'vitest';
import { ExperimentConfig, Trainer } from '@vtx/train';
import { tinyClassifier, wasmRunsDir } from './helpers/tiny.js';

const dir = wasmRunsDir('labels');
const NAMES = ['a', 'b', 'c', 'd'];

/** Clip i (4x16x16x3): byte k = (i * 31 + k * 7) mod 251, so every clip differs. */
function bytes(i: number): Uint8Array {
  return Uint8Array.from({ length: 4 * 16 * 16 * 3 }, (_, k) => (i * 31 + k * 7) % 251);
}

/** A dataset of clips `rows` (clip i of class NAMES[i % 4]) under the class names `names`. */
async function dataset(name: string, rows: number[], names: string[]): Promise<string> {
  const out = join(dir, name);
  const w = await DatasetWriter.create(out, { name, dtype: 'uint8', builder: {}, labels: names });
  for (const i of rows) {
    const label = names.indexOf(NAMES[i % 4]!);
    await w.add({
      id: `clip-${i}`,
      source: `test:${i}`,
      data: bytes(i),
      shape: [4, 16, 16, 3],
      label,
      caption: null,
      captionTerse: null,
      attributes: null,
      fps: 8,
      meta: {},
    });
  }
  await w.finish();
  return out;
}

/** Evaluate an untrained (seeded) tiny ViViT trained on `train`, on `evalSet`: 3 batches of 4, every clip once. */
async function evaluate(train: string, evalSet: string): Promise<Record<string, number>> {
  const cfg = tinyClassifier(join(dir, 'cache'), {
    data: { dataset: train, batchSize: 4, worker: false },
    eval: { batches: 3, data: { dataset: evalSet } },
  });
  const trainer = await Trainer.create(ExperimentConfig.parse(cfg));
  try {
    return await trainer.evaluate();
  } finally {
    await trainer.close();
  }
}

describe('evaluation labels', () => {
  it('an evaluation set lacking a class is scored by class name, as the same clips numbered like training', async () => {
    const all = [...Array(16).keys()];
    const notA = all.filter((i) => i % 4 !== 0); // 12 clips of b, c, d
    const train = await dataset('train', all, NAMES);
    const own = await dataset('eval-own', notA, ['b', 'c', 'd']); // numbered b=0, c=1, d=2
    const asTrain = await dataset('eval-as-train', notA, NAMES); // numbered b=1, c=2, d=3
    const byName = await evaluate(train, own);
    expect(Number.isFinite(byName['val/loss'])).toBe(true);
    expect(byName).toEqual(await evaluate(train, asTrain));
  });

  it('a class the training data lacks fails before training, naming the evaluation index.json and the class', async () => {
    const train = await dataset('train-2', [...Array(16).keys()], NAMES);
    const other = await dataset('eval-e', [1, 2, 5, 6], ['b', 'c', 'e']);
    await expect(evaluate(train, other)).rejects.toThrow(
      `${join(other, 'index.json')}: label 'e' not among the model's classes (a, b, c, d)`,
    );
  });
});
