import fs from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';

import {
  DataError,
  DatasetWriter,
  openDataset,
  readRows,
  type ClipShape,
  type DatasetIndex,
} from '../src/index.js';
import { clip, collect, tmpDir } from './helpers.js';

const SHAPES: ClipShape[] = [
  [4, 8, 8, 3],
  [2, 6, 10, 3],
  [5, 8, 8, 1],
];

async function write(
  dir: string,
  n: number,
  opts: { maxShardBytes?: number; batchBytes?: number } = {},
): Promise<DatasetIndex> {
  const w = await DatasetWriter.create(dir, {
    name: 'toy',
    dtype: 'uint8',
    builder: { kind: 'test' },
    labels: ['a', 'b', 'c'],
    ...opts,
  });
  for (let i = 0; i < n; i++) await w.add(clip(i, SHAPES[i % 3]!));
  return w.finish();
}

describe('format round trip', () => {
  it('reads back every row byte-exact, across shards and record batches, with mixed shapes', async () => {
    const dir = path.join(tmpDir(), 'toy');
    const index = await write(dir, 40, { maxShardBytes: 2000, batchBytes: 700 });
    expect(index.shards.length).toBeGreaterThan(2);
    expect(index.shards[0]!.batches.length).toBeGreaterThan(1);
    expect(fs.readdirSync(dir).sort()).toEqual(
      [
        'index.json',
        ...index.shards.map(
          (s, i) =>
            `toy-${String(i).padStart(5, '0')}-of-${String(index.shards.length).padStart(5, '0')}.arrow`,
        ),
      ].sort(),
    );
    const ds = await openDataset(dir);
    const rows = [];
    for await (const r of readRows(ds)) rows.push(r);
    expect(rows.length).toBe(40);
    for (const [i, r] of rows.entries()) {
      const want = clip(i, SHAPES[i % 3]!);
      expect(r.row).toBe(i);
      expect(r.id).toBe(want.id);
      expect(r.shape).toEqual(want.shape);
      expect(Buffer.from(r.data).equals(Buffer.from(want.data))).toBe(true);
      expect([r.label, r.caption, r.captionTerse, r.fps, r.meta]).toEqual([
        want.label,
        want.caption,
        null,
        12,
        { i },
      ]);
    }
    expect(index.shapes).toEqual(SHAPES);
  });

  it('round-trips float32 latents', async () => {
    const dir = path.join(tmpDir(), 'lat');
    const w = await DatasetWriter.create(dir, { name: 'lat', dtype: 'float32', builder: {} });
    const f = Float32Array.from({ length: 2 * 2 * 2 * 4 }, (_, k) => Math.sin(k) * 1e3);
    await w.add({ ...clip(0, [2, 2, 2, 4]), data: new Uint8Array(f.buffer), label: null });
    await w.finish();
    const [r] = await collect(readRows(await openDataset(dir)));
    expect(Array.from(new Float32Array(r!.data.slice().buffer))).toEqual(Array.from(f));
  });

  it('rejects a clip whose bytes do not match its shape, naming the clip', async () => {
    const w = await DatasetWriter.create(path.join(tmpDir(), 'bad'), {
      name: 'bad',
      dtype: 'uint8',
      builder: {},
    });
    await expect(w.add({ ...clip(3, [2, 2, 2, 3]), data: new Uint8Array(5) })).rejects.toThrow(
      "clip 'clip-3' (test:3): shape 2x2x2x3 uint8 needs 24 bytes, got 5",
    );
    await w.abort();
  });
});

describe('atomic builds', () => {
  it('a failed build leaves the previous dataset intact and no temp files behind', async () => {
    const root = tmpDir();
    const dir = path.join(root, 'toy');
    const before = await write(dir, 6);
    const w = await DatasetWriter.create(dir, { name: 'toy', dtype: 'uint8', builder: {}, labels: ['a'] });
    await w.add(clip(0, [1, 2, 2, 1], { label: 0 }));
    await expect(w.add(clip(1, [1, 2, 2, 1], { label: 7 }))).rejects.toThrow(DataError);
    await w.abort();
    const after = await openDataset(dir);
    expect(after.index).toEqual(before);
    expect(fs.readdirSync(root)).toEqual(['toy']);
  });

  it('a successful rebuild replaces the dataset', async () => {
    const dir = path.join(tmpDir(), 'toy');
    await write(dir, 6);
    await write(dir, 9);
    expect((await openDataset(dir)).index.rows).toBe(9);
  });

  it('refuses to replace a directory that is not a dataset', async () => {
    const dir = tmpDir();
    fs.writeFileSync(path.join(dir, 'precious.txt'), 'x');
    await expect(DatasetWriter.create(dir, { name: 'x', dtype: 'uint8', builder: {} })).rejects.toThrow(
      'not a vtx dataset',
    );
  });
});
