/**
 * The Fréchet floor (real vs real at equal count): the second real set shares no row with the reference and has as
 * many clips, raising a built-in's count keeps the reference rows the same clips, the floor is far below the
 * distance of real clips to noise, a dataset directory without 2N rows has no floor, and the ratio is
 * frechet / floor. The judge is a fixed feature map (2x2 average colours over the frames), so nothing is trained.
 */
import path from 'node:path';
import * as tf from '@tensorflow/tfjs-core';
import type * as tfl from '@tensorflow/tfjs-layers';
import { resolveDataset, type DataConfigInput } from '@vtx/data';
import { describe, expect, it } from 'vitest';
import { floorData, frechetFloor, frechetRatio } from '../src/frechet-floor.js';
import { judgeClips, judgeFrechet, realFeatures, type Judge } from '../src/judge.js';
import { tmpDir } from '../../data/test/helpers.js';

/** Features (B, 12): each channel's mean over each quarter of the frame, averaged over the 4 frames. */
const judge: Pick<Judge, 'model' | 'clip' | 'heads' | 'kind'> = {
  kind: 'class',
  clip: [4, 16, 16, 3],
  heads: [{ name: 'class', values: ['0', '1', '2', '3'], offset: 0 }],
  model: {
    predict: (x: tf.Tensor) =>
      tf.tidy(() => {
        const b = x.shape[0];
        const frames = tf.reshape<tf.Rank.R4>(x, [b * 4, 16, 16, 3]);
        const pooled = tf.avgPool(frames, 8, 8, 'valid').reshape([b, 4, 12]);
        return [tf.zeros([b, 4]), tf.mean(pooled, 1)];
      }),
  } as unknown as tfl.LayersModel,
};

const root = tmpDir('vtx-frechet-floor');
const spec = (count: number) =>
  ({ kind: 'synthetic', count, frames: 4, height: 16, width: 16, seed: 3 }) as const;
const shapes = (count: number): DataConfigInput => ({
  dataset: spec(count),
  cacheDir: path.join(root, 'cache'),
  batchSize: 8,
  worker: false,
});

describe('floorData', () => {
  it("raises a built-in dataset's count to 2N and leaves a larger one and a dataset directory alone", () => {
    const raised = floorData(shapes(32), 32).dataset as { count: number; seed: number; kind: string };
    expect([raised.kind, raised.count, raised.seed]).toEqual(['synthetic', 64, 3]);
    expect((floorData(shapes(100), 32).dataset as { count: number }).count).toBe(100);
    expect(floorData({ dataset: '/some/dir' }, 32)).toEqual({ dataset: '/some/dir' });
    // the default dataset is the synthetic shapes (512 clips): 2N beyond that raises it too
    expect((floorData({}, 300).dataset as { count: number }).count).toBe(600);
  });
});

describe('frechetFloor', () => {
  it('compares the reference with as many real clips on rows it does not have', async () => {
    const data = shapes(32);
    const ref = await realFeatures(judge, data, 32);
    const out = await frechetFloor(judge, data, ref);
    expect(out).not.toBeNull();
    const { floor, second } = out!;
    expect(second.n).toBe(ref.n); // equal sample count
    expect(second.ids).toHaveLength(32);
    expect(new Set([...ref.ids, ...second.ids]).size).toBe(64); // no row in both sets
    // the rows after the reference's in the same generator: synthetic clip i is named shapes/<i>
    expect(second.ids[0]).toBe('shapes/000032');
    expect(second.ids[31]).toBe('shapes/000063');
    expect(floor).toBeGreaterThanOrEqual(0);
    expect(floor).toBeCloseTo(judgeFrechet(second, ref), 10);

    // the count raised to 2N keeps the reference rows the same clips (clip i depends on (seed, i) alone)
    const again = await realFeatures(judge, floorData(data, 32), 32);
    expect(again.ids).toEqual(ref.ids);
    expect(Array.from(again.features)).toEqual(Array.from(ref.features));

    // real vs real is far below real vs noise at the same count
    const noise = tf.randomUniform([32, 4, 16, 16, 3], -1, 1, 'float32', 11);
    const judged = await judgeClips(judge, noise);
    noise.dispose();
    expect(floor).toBeLessThan(0.1 * judgeFrechet(judged, ref));
  });

  it('has no floor when a dataset directory lacks 2N rows, and one when it has them', async () => {
    const dir = await resolveDataset(spec(48), root);
    const data: DataConfigInput = { dataset: dir, batchSize: 8, worker: false };
    const ref32 = await realFeatures(judge, data, 32);
    expect(await frechetFloor(judge, data, ref32)).toBeNull(); // 48 rows < 64
    const ref24 = await realFeatures(judge, data, 24);
    const out = await frechetFloor(judge, data, ref24);
    expect(out!.second.n).toBe(24);
    expect(out!.second.ids.filter((id) => ref24.ids.includes(id))).toEqual([]);
  });
});

describe('frechetRatio', () => {
  it('is frechet / floor, and null without a (positive) floor', () => {
    expect(frechetRatio(6, 3)).toBe(2);
    expect(frechetRatio(1.5, 0.5)).toBe(3);
    expect(frechetRatio(6, null)).toBeNull();
    expect(frechetRatio(6, 0)).toBeNull();
  });
});
