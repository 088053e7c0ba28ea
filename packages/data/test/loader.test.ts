import fs from 'node:fs';
import path from 'node:path';
import { isMainThread } from 'node:worker_threads';
import { beforeAll, describe, expect, it } from 'vitest';

import type { LoaderState } from '../src/index.js';
import {
  buildSynthetic,
  createLoader,
  DataError,
  DatasetWriter,
  type Batch,
  type DataConfigInput,
} from '../src/index.js';
import { clip, tmpDir } from './helpers.js';

let shapes: string; // 60 synthetic clips 8x32x32x3
let mixed: string; // 30 clips of three shapes

beforeAll(async () => {
  const root = tmpDir();
  shapes = path.join(root, 'shapes');
  await buildSynthetic(shapes, { kind: 'synthetic', count: 60, seed: 5 }, { maxShardBytes: 200_000 });
  mixed = path.join(root, 'mixed');
  const w = await DatasetWriter.create(mixed, {
    name: 'mixed',
    dtype: 'uint8',
    builder: {},
    labels: ['a', 'b', 'c'],
    batchBytes: 3000,
  });
  const sizes = [
    [8, 16, 16, 3],
    [4, 12, 20, 3],
    [6, 16, 16, 3],
  ] as const;
  for (let i = 0; i < 30; i++) await w.add(clip(i, [...sizes[i % 3]!]));
  await w.finish();
});

const base = (over: DataConfigInput = {}): DataConfigInput => ({
  dataset: shapes,
  batchSize: 8,
  shuffleBuffer: 16,
  worker: false,
  ...over,
});

async function take(cfg: DataConfigInput, n: number): Promise<Batch[]> {
  const loader = await createLoader(cfg);
  try {
    const out: Batch[] = [];
    for (let i = 0; i < n; i++) out.push(await loader.next());
    return out;
  } finally {
    await loader.close();
  }
}

const rowsOf = (bs: Batch[]) => bs.map((b) => Array.from(b.rows));

describe('loader order', () => {
  it('one epoch returns every row exactly once, shuffled by the seed', async () => {
    const loader = await createLoader(base());
    expect(loader.batchesPerEpoch).toBe(8); // 60 rows / 8 -> 7 full + 1 partial
    const bs: Batch[] = [];
    for (let i = 0; i < loader.batchesPerEpoch; i++) bs.push(await loader.next());
    await loader.close();
    const rows = rowsOf(bs).flat();
    expect([...rows].sort((a, b) => a - b)).toEqual(Array.from({ length: 60 }, (_, i) => i));
    expect(rows).not.toEqual([...rows].sort((a, b) => a - b));
    expect(bs.map((b) => b.rows.length)).toEqual([8, 8, 8, 8, 8, 8, 8, 4]);
  });

  it('is deterministic in the seed; epochs and seeds differ', async () => {
    const a = rowsOf(await take(base(), 16));
    const b = rowsOf(await take(base(), 16));
    const c = rowsOf(await take(base({ seed: 1 }), 8));
    expect(a).toEqual(b);
    expect(a.slice(8)).not.toEqual(a.slice(0, 8)); // epoch 1 is reshuffled
    expect(c).not.toEqual(a.slice(0, 8));
  });

  it('without shuffle returns storage order', async () => {
    expect(rowsOf(await take(base({ shuffle: false, batchSize: 10 }), 2))).toEqual([
      Array.from({ length: 10 }, (_, i) => i),
      Array.from({ length: 10 }, (_, i) => i + 10),
    ]);
  });

  it('sharding by (index, count) covers every row exactly once', async () => {
    const all: number[] = [];
    for (let k = 0; k < 3; k++) {
      const loader = await createLoader(base({ shard: { index: k, count: 3 }, batchSize: 7 }));
      for (let i = 0; i < loader.batchesPerEpoch; i++) all.push(...(await loader.next()).rows);
      await loader.close();
    }
    expect(all.length).toBe(60);
    expect([...all].sort((a, b) => a - b)).toEqual(Array.from({ length: 60 }, (_, i) => i));
  });
});

describe('exact resume', () => {
  it.each([
    ['inline', false],
    ['worker', true],
  ])('restores (epoch, position) mid-epoch and across an epoch boundary (%s)', async (_name, worker) => {
    const cfg = base({
      worker,
      transforms: { frames: 4, crop: { kind: 'random-resized', height: 16, width: 16 }, flip: true },
    });
    const run = await take(cfg, 14); // 1.75 epochs
    for (const k of [3, 8, 10]) {
      const first = await createLoader(cfg);
      for (let i = 0; i < k; i++) await first.next();
      const saved = JSON.parse(JSON.stringify(first.state())) as LoaderState;
      await first.close();
      const second = await createLoader(cfg);
      second.restore(saved);
      for (let i = k; i < 14; i++) {
        const b = await second.next();
        expect([b.epoch, b.index]).toEqual([run[i]!.epoch, run[i]!.index]);
        expect(Array.from(b.rows)).toEqual(Array.from(run[i]!.rows));
        expect(Buffer.from(b.clips.buffer).equals(Buffer.from(run[i]!.clips.buffer))).toBe(true);
      }
      await second.close();
    }
  });

  it('refuses a state from a different seed or config', async () => {
    const a = await createLoader(base());
    const b = await createLoader(base({ seed: 9 }));
    expect(() => b.restore(a.state())).toThrow(DataError);
    await Promise.all([a.close(), b.close()]);
  });
});

describe('worker thread', () => {
  it('assembles batches in a worker thread, identical to the inline loader', async () => {
    expect(isMainThread).toBe(true);
    const cfg = base({ transforms: { crop: { kind: 'random-resized', height: 24, width: 24 } } });
    const [inline, worker] = [await take(cfg, 3), await take({ ...cfg, worker: true, prefetch: 2 }, 3)];
    expect(inline.every((b) => b.threadId === 0)).toBe(true);
    expect(worker.every((b) => b.threadId > 0)).toBe(true);
    for (let i = 0; i < 3; i++) {
      expect(worker[i]!.shape).toEqual([8, 8, 24, 24, 3]);
      expect(Buffer.from(worker[i]!.clips.buffer).equals(Buffer.from(inline[i]!.clips.buffer))).toBe(true);
      expect(worker[i]!.captions).toEqual(inline[i]!.captions);
      expect(Array.from(worker[i]!.labels!)).toEqual(Array.from(inline[i]!.labels!));
    }
  });

  it('reports a corrupted shard from the worker as a DataError naming the file', async () => {
    const dir = path.join(tmpDir(), 'bad');
    fs.cpSync(shapes, dir, { recursive: true });
    const ix = JSON.parse(fs.readFileSync(path.join(dir, 'index.json'), 'utf8')) as {
      shards: { file: string }[];
    };
    const shard = path.join(dir, ix.shards[0]!.file);
    const buf = fs.readFileSync(shard);
    buf.fill(0x33, 200, 260); // corrupt the first record batch's metadata region
    fs.writeFileSync(shard, buf);
    const loader = await createLoader(
      base({ dataset: dir, worker: true, verify: false, shuffle: false }),
    ).catch((e: unknown) => e);
    const err =
      loader instanceof Error
        ? loader
        : await (loader as Awaited<ReturnType<typeof createLoader>>).next().catch((e: unknown) => e);
    if (!(loader instanceof Error)) await (loader as Awaited<ReturnType<typeof createLoader>>).close();
    expect(err).toBeInstanceOf(DataError);
    expect((err as Error).message).toContain(shard);
  });
});

describe('batches', () => {
  it('carry labels, captions, attribute indices and the (B, T, H, W, C) shape in [-1, 1]', async () => {
    const [b] = await take(base({ caption: 'terse' }), 1);
    expect(b!.shape).toEqual([8, 8, 32, 32, 3]);
    expect(b!.clipShape).toEqual([8, 32, 32, 3]);
    expect(b!.clips.length).toBe(8 * 8 * 32 * 32 * 3);
    expect(b!.clips.reduce((a, v) => Math.min(a, v), 0)).toBeGreaterThanOrEqual(-1);
    expect(b!.clips.reduce((a, v) => Math.max(a, v), 0)).toBeLessThanOrEqual(1);
    expect(b!.captions!.every((c) => /^an? \w+$/.test(c))).toBe(true);
    expect(b!.attributes!.shape!.length).toBe(8);
    expect([...b!.attributes!.direction!]).toEqual([...b!.labels!]); // label = direction index
  });

  it('bucketing by shape: each batch has one shape, grouped by output shape', async () => {
    const loader = await createLoader({ dataset: mixed, batchSize: 4, shuffleBuffer: 8, worker: false });
    const seen = new Map<string, number>();
    for (let i = 0; i < loader.batchesPerEpoch; i++) {
      const b = await loader.next();
      const key = b.clipShape.join('x');
      seen.set(key, (seen.get(key) ?? 0) + b.rows.length);
      for (const r of b.rows)
        expect(
          [
            [8, 16, 16, 3],
            [4, 12, 20, 3],
            [6, 16, 16, 3],
          ][r % 3],
        ).toEqual(b.clipShape);
    }
    await loader.close();
    expect(Object.fromEntries(seen)).toEqual({ '8x16x16x3': 10, '4x12x20x3': 10, '6x16x16x3': 10 });
  });

  it('explicit buckets: each clip goes to the largest bucket it fits, with per-bucket batch sizes', async () => {
    const loader = await createLoader({
      dataset: mixed,
      batchSize: 4,
      worker: false,
      buckets: [
        { frames: 6, height: 16, width: 16, batchSize: 5 },
        { frames: 4, height: 12, width: 12, batchSize: 2 },
        { frames: 2, height: 32, width: 32 }, // fits nothing
      ],
    });
    expect(loader.dropped).toBe(0);
    const counts = new Map<string, number[]>();
    for (let i = 0; i < loader.batchesPerEpoch; i++) {
      const b = await loader.next();
      const key = b.clipShape.join('x');
      counts.set(key, [...(counts.get(key) ?? []), b.rows.length]);
      for (const r of b.rows) expect(key).toBe(r % 3 === 1 ? '4x12x12x3' : '6x16x16x3');
    }
    await loader.close();
    expect(counts.get('6x16x16x3')).toEqual([5, 5, 5, 5]);
    expect(counts.get('4x12x12x3')).toEqual([2, 2, 2, 2, 2]);
  });

  it('patchify gives (B, T/pt, H/ph, W/pw, pt·ph·pw·C) and rejects indivisible clips', async () => {
    const [b] = await take(base({ transforms: { frames: 4, patchify: [2, 8, 8] } }), 1);
    expect(b!.shape).toEqual([8, 2, 4, 4, 2 * 8 * 8 * 3]);
    await expect(createLoader(base({ transforms: { frames: 4, patchify: [3, 8, 8] } }))).rejects.toThrow(
      'clip 4x32x32 is not divisible by patch 3x8x8',
    );
  });

  it('builds a built-in synthetic spec into the cache on first use and reuses it', async () => {
    const cacheDir = tmpDir();
    const cfg: DataConfigInput = {
      dataset: { kind: 'synthetic', count: 20, frames: 4, height: 16, width: 16 },
      cacheDir,
      batchSize: 4,
      worker: false,
    };
    const a = await createLoader(cfg);
    const stamp = fs.statSync(path.join(a.dir, 'index.json')).mtimeMs;
    await a.close();
    const b = await createLoader(cfg);
    expect(b.dir).toBe(a.dir);
    expect(fs.statSync(path.join(b.dir, 'index.json')).mtimeMs).toBe(stamp);
    expect((await b.next()).shape).toEqual([4, 4, 16, 16, 3]);
    await b.close();
  });
});
