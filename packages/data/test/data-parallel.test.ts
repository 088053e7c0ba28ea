// Data-parallel loading: n ranks each take contiguous rows of every global batch, and together see exactly the
// batches of one process, augmentations included; positions are those of one process, so a checkpoint resumes on
// any number of ranks.
import path from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';

import { buildSynthetic, createLoader, type Batch, type DataConfigInput } from '../src/index.js';
import { tmpDir } from './helpers.js';

let shapes: string; // 30 clips: 30 = 3 full batches of 8 + a remainder of 6

beforeAll(async () => {
  shapes = path.join(tmpDir(), 'shapes');
  await buildSynthetic(shapes, { kind: 'synthetic', count: 30, seed: 9 }, { maxShardBytes: 200_000 });
});

const cfg = (rank: number, ranks: number, worker = false): DataConfigInput => ({
  dataset: shapes,
  batchSize: 8,
  shuffleBuffer: 16,
  worker,
  // a random crop and flip: per-row draws must follow the row, not its place in the batch
  transforms: { crop: { kind: 'random-resized', height: 24, width: 24 }, flip: true },
  dataParallel: { rank, ranks },
});

async function take(input: DataConfigInput, n: number, from?: Parameters<typeof restoreAt>[1]) {
  const loader = await createLoader(input);
  try {
    if (from) restoreAt(loader, from);
    const out: Batch[] = [];
    for (let i = 0; i < n; i++) out.push(await loader.next());
    return { out, state: loader.state() };
  } finally {
    await loader.close();
  }
}
function restoreAt(loader: Awaited<ReturnType<typeof createLoader>>, state: ReturnType<typeof loader.state>) {
  loader.restore(state);
}

describe('dataParallel', () => {
  it.each([2, 3])(
    '%i ranks together give one process’s batches, row for row and pixel for pixel',
    async (n) => {
      const steps = 6; // past the epoch's remainder batch and into the next epoch
      const one = (await take(cfg(0, 1), steps)).out;
      const ranks = await Promise.all([...Array(n).keys()].map((r) => take(cfg(r, n, r === 1), steps)));
      for (let s = 0; s < steps; s++) {
        const parts = ranks.map((r) => r.out[s]!);
        const global = one[s]!.rows.length;
        expect(parts.map((p) => p.part.global)).toEqual(Array(n).fill(global));
        expect(parts.map((p) => p.part.offset)).toEqual(
          [...Array(n).keys()].map((r) => Math.floor((r * global) / n)),
        );
        expect(parts.flatMap((p) => Array.from(p.rows))).toEqual(Array.from(one[s]!.rows));
        expect(parts.flatMap((p) => Array.from(p.labels ?? []))).toEqual(Array.from(one[s]!.labels ?? []));
        const joined = new Float32Array(one[s]!.clips.length);
        let off = 0;
        for (const p of parts) {
          joined.set(p.clips, off);
          off += p.clips.length;
        }
        expect(joined).toEqual(one[s]!.clips);
      }
      expect(one.map((b) => b.rows.length)).toEqual([8, 8, 8, 6, 8, 8]);
      expect(one[0]!.part).toEqual({ offset: 0, global: 8 });
    },
  );

  it('positions are one process’s: a 2-rank position resumes on 1 rank and on 3', async () => {
    const a = await take(cfg(0, 2), 3);
    const b = await take(cfg(1, 2), 3);
    expect(a.state).toEqual(b.state);
    const oneNext = (await take(cfg(0, 1), 2, a.state)).out;
    const uninterrupted = (await take(cfg(0, 1), 5)).out.slice(3);
    expect(oneNext.map((x) => Array.from(x.rows))).toEqual(uninterrupted.map((x) => Array.from(x.rows)));
    const three = await Promise.all([0, 1, 2].map((r) => take(cfg(r, 3), 2, a.state)));
    for (let s = 0; s < 2; s++)
      expect(three.flatMap((t) => Array.from(t.out[s]!.rows))).toEqual(Array.from(uninterrupted[s]!.rows));
  });

  it('rejects a rank outside the world', async () => {
    await expect(createLoader(cfg(2, 2))).rejects.toThrow(/dataParallel.rank must be < dataParallel.ranks/);
  });
});
