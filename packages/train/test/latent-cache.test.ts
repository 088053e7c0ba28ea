/**
 * The latent cache round trip: a (tiny, briefly trained) VAE run encodes a pixel dataset; the latent dataset holds
 * float32 rows equal to the posterior means (computed here through the full model, not the encoder path the
 * cache uses) times the scale factor, which makes them unit-variance; the index names the VAE; the loader returns
 * the stored values; decoding through the index's VAE gives the model's own reconstructions.
 */
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { Writable } from 'node:stream';
import * as tf from '@tensorflow/tfjs-core';
import { buildSynthetic, createLoader, openDataset, readRows } from '@vtx/data';
import { afterAll, describe, expect, it } from 'vitest';
import { loadRun } from '../src/load-run.js';
import { LatentSource, decodeLatents, encodeDataset } from '../src/latent-cache.js';
import { train } from '../src/train.js';

const root = mkdtempSync(join(tmpdir(), 'vtx-latents-'));
afterAll(() => rmSync(root, { recursive: true, force: true }));
const sink = new Writable({ write: (_c, _e, cb) => cb() });

describe('latent cache', () => {
  it('round-trips a dataset through vtx encode and decodes through the VAE named in the index', async () => {
    const pixels = join(root, 'pixels');
    await buildSynthetic(pixels, { kind: 'synthetic', count: 6, frames: 2, height: 8, width: 8, seed: 3 });
    const vaeRun = join(root, 'vae');
    await train(
      {
        name: 'vae-test',
        backend: 'cpu',
        data: { dataset: pixels, batchSize: 3, worker: false },
        model: { kind: 'vae', factors: [1, 4, 4], latentChannels: 2, width: 8, depth: 1, heads: 2 },
        train: { steps: 2, logEvery: 1, ema: { enabled: false } },
        eval: { batches: 1 },
        log: { tensorboard: false, progress: 'off' },
      },
      { out: vaeRun, terminal: sink },
    );
    const out = join(root, 'latents');
    const index = await encodeDataset({ vaeRun, dataset: pixels, out, batchSize: 4, previews: 2 });
    expect(index.dtype).toBe('float32');
    expect(index.rows).toBe(6);
    expect(index.shapes).toEqual([[2, 2, 2, 2]]);
    const source = LatentSource.parse(index.builder);
    expect(source.vae.run).toBe(resolve(vaeRun));
    expect(source.vae.model['kind']).toBe('vae');
    expect(existsSync(join(out, 'reconstructions.gif'))).toBe(true);

    // reference: μ from the full model's moments output with ε = 0
    const run = await loadRun(vaeRun);
    const src = await openDataset(pixels);
    const stored: Float32Array[] = [];
    const ids: string[] = [];
    const lat = await openDataset(out);
    for await (const row of readRows(lat)) {
      stored.push(new Float32Array(row.data.slice().buffer));
      ids.push(row.id);
      expect(row.meta?.['pixelShape']).toEqual([2, 8, 8, 3]);
    }
    let k = 0;
    let sum = 0;
    let sq = 0;
    for await (const row of readRows(src)) {
      expect(ids[k]).toBe(row.id);
      const x = tf.tensor(
        Float32Array.from(row.data, (v) => v / 127.5 - 1),
        [1, ...row.shape],
      );
      const [, moments] = run.model.predict([x, tf.zeros([1, 2, 2, 2, 2])]) as tf.Tensor[];
      const mean = tf.split(moments!, 2, -1)[0]!.dataSync();
      stored[k]!.forEach((v, i) => expect(v).toBeCloseTo(mean[i]! * source.scaleFactor, 4));
      for (const v of stored[k]!) {
        sum += v;
        sq += v * v;
      }
      k++;
    }
    const n = 6 * 16;
    expect(Math.sqrt(sq / n - (sum / n) ** 2)).toBeCloseTo(1, 4); // the scale factor makes latents unit-variance

    // the loader reads latents as stored (float32: no normalisation)
    const loader = await createLoader({ dataset: out, batchSize: 6, shuffle: false, worker: false });
    const batch = await loader.next();
    await loader.close();
    expect(batch.shape).toEqual([6, 2, 2, 2, 2]);
    for (let i = 0; i < 6; i++) {
      const j = ids.indexOf(batch.ids[i]!);
      expect(Array.from(batch.clips.subarray(i * 16, (i + 1) * 16))).toEqual(Array.from(stored[j]!));
    }
    expect(batch.captions?.[0]).toMatch(/ moves /);

    // decoding the stored latents = the full model's reconstruction of the posterior mean, clipped to [-1, 1]
    const z = tf.tensor(Float32Array.from(stored.flatMap((s) => Array.from(s))), [6, 2, 2, 2, 2]);
    const px = await decodeLatents(source, z);
    expect(px.shape).toEqual([6, 2, 8, 8, 3]);
    const first = (await openDataset(pixels)).index;
    expect(first.rows).toBe(6);
    let i = 0;
    for await (const row of readRows(src)) {
      const x = tf.tensor(
        Float32Array.from(row.data, (v) => v / 127.5 - 1),
        [1, ...row.shape],
      );
      const [recon] = run.model.predict([x, tf.zeros([1, 2, 2, 2, 2])]) as tf.Tensor[];
      const want = tf.clipByValue(recon!, -1, 1).dataSync();
      const got = tf.slice(px, i, 1).dataSync();
      let worst = 0;
      want.forEach((v, j) => (worst = Math.max(worst, Math.abs(v - got[j]!))));
      expect(worst).toBeLessThan(1e-4);
      i++;
    }
    tf.disposeVariables();
  }, 600_000);
});
