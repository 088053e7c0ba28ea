/**
 * The latent cache of the Sora recipe: a trained video VAE encodes a pixel dataset once into float32 latents
 * (t, h, w, c) in the same Arrow format, so diffusion training never runs the encoder (latent diffusion, Rombach
 * et al. 2022 §3; Sora's "compressed latent space"). Latents are the posterior means μ times a scale factor
 * (default 1 / std of all μ, LDM's unit-variance rescaling), and the index's `builder` records the VAE's
 * identity (run, checkpoint, step, model config) and the scale factor, so a latent run can decode its samples.
 *   encodeDataset: pixels (T, H, W, 3) uint8 -> latents (T/ft, H/fh, W/fw, c) float32, plus reconstruction GIFs
 *   latentSourceOf / decodeLatents: latent samples (N, t, h, w, c) -> pixels (N, T, H, W, 3) in [-1, 1]
 */
import { existsSync, promises as fs } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import * as tf from '@tensorflow/tfjs-core';
import { recordsToClips } from './media/records.js';
import type * as tfl from '@tensorflow/tfjs-layers';
import {
  DatasetWriter,
  openDataset,
  readRows,
  resolveDataset,
  type ClipRecord,
  type DatasetIndex,
} from '@vtx/data';
import { splitMoments, vaeParts, type VaeConfig } from '@vtx/models';
import { z } from 'zod';
import type { ExperimentConfig } from './experiment.js';
import { loadRun } from './load-run.js';
import { writeSideBySide } from './media/side-by-side.js';

/** `index.json` → `builder` of a latent dataset. */
export const LatentSource = z.object({
  kind: z.literal('vae-encode'),
  vae: z.object({
    run: z.string(),
    checkpoint: z.string(),
    step: z.number().int(),
    model: z.record(z.string(), z.unknown()),
  }),
  /** Stored latents are μ · scaleFactor; decode z / scaleFactor. */
  scaleFactor: z.number().positive(),
  posterior: z.literal('mean'),
  source: z.object({ dir: z.string(), name: z.string(), rows: z.number().int() }),
});
export type LatentSource = z.infer<typeof LatentSource>;

export interface EncodeOptions {
  /** Trained VAE run directory. */
  vaeRun: string;
  /** Pixel dataset directory. */
  dataset: string;
  /** Latent dataset directory (replaced atomically). */
  out: string;
  batchSize?: number;
  /** Fixed scale factor; default 1 / std of the latents. */
  scaleFactor?: number;
  /** Clips in the reconstruction GIF written to `<out>/reconstructions.gif` (0: none). Default 8. */
  previews?: number;
  log?: (line: string) => void;
}

async function loadVae(
  run: string,
): Promise<{ cfg: VaeConfig; model: tfl.LayersModel; checkpoint: string; step: number }> {
  const r = await loadRun(run);
  if (r.cfg.model.kind !== 'vae') throw new Error(`${run} is a ${r.cfg.model.kind} run, not a VAE`);
  return { cfg: r.cfg.model, model: r.model, checkpoint: r.checkpoint, step: r.step };
}

/** Encode a uint8 pixel dataset into a float32 latent dataset. Returns the new index. */
export async function encodeDataset(opts: EncodeOptions): Promise<DatasetIndex> {
  const log = opts.log ?? (() => {});
  const vae = await loadVae(opts.vaeRun);
  const { encoder, decoder } = vaeParts(vae.model);
  const ds = await openDataset(opts.dataset);
  if (ds.index.dtype !== 'uint8')
    throw new Error(
      `${opts.dataset}: holds ${ds.index.dtype} clips; encode takes uint8 pixels (is it latents already?)`,
    );
  const batchSize = opts.batchSize ?? 16;
  const rows: { rec: ClipRecord; latent: Float32Array; shape: [number, number, number, number] }[] = [];
  const pending = new Map<string, ClipRecord[]>();
  let previewDone = (opts.previews ?? 8) === 0;
  const flush = async (group: ClipRecord[]) => {
    const x = recordsToClips(group);
    const mean = tf.tidy(() => splitMoments(encoder.predict(x) as tf.Tensor).mean); // (B, t, h, w, c)
    const values = (await mean.data()) as Float32Array;
    const per = values.length / group.length;
    const lshape = mean.shape.slice(1) as [number, number, number, number];
    group.forEach((rec, i) =>
      rows.push({ rec, latent: values.slice(i * per, (i + 1) * per), shape: lshape }),
    );
    if (!previewDone) {
      const k = Math.min(opts.previews ?? 8, group.length);
      const xs = tf.slice(x, 0, k);
      const recon = decoder.predict(tf.slice(mean, 0, k)) as tf.Tensor;
      await fs.mkdir(dirname(resolve(opts.out)), { recursive: true });
      await writeSideBySide(`${opts.out}.preview`, xs, recon);
      tf.dispose([xs, recon]);
      previewDone = true;
    }
    tf.dispose([x, mean]);
    log(`encoded ${rows.length}/${ds.index.rows}`);
  };
  for await (const rec of readRows(ds)) {
    const key = rec.shape.join('x');
    const group = pending.get(key) ?? [];
    group.push(rec);
    pending.set(key, group);
    if (group.length >= batchSize) {
      pending.delete(key);
      await flush(group);
    }
  }
  for (const group of pending.values()) await flush(group);

  let scale = opts.scaleFactor;
  if (scale === undefined) {
    let n = 0;
    let sum = 0;
    let sq = 0;
    for (const r of rows)
      for (const v of r.latent) {
        n++;
        sum += v;
        sq += v * v;
      }
    const std = Math.sqrt(Math.max(sq / n - (sum / n) ** 2, 1e-12));
    scale = 1 / std;
  }
  const source: LatentSource = {
    kind: 'vae-encode',
    vae: {
      run: resolve(opts.vaeRun),
      checkpoint: resolve(vae.checkpoint),
      step: vae.step,
      model: vae.cfg,
    },
    scaleFactor: scale,
    posterior: 'mean',
    source: { dir: resolve(opts.dataset), name: ds.index.name, rows: ds.index.rows },
  };
  const w = await DatasetWriter.create(opts.out, {
    name: `${ds.index.name}-latents`,
    dtype: 'float32',
    builder: source,
    labels: ds.index.labels?.names ?? null,
    attributes: ds.index.attributes,
  });
  try {
    rows.sort((a, b) => a.rec.id.localeCompare(b.rec.id));
    for (const { rec, latent, shape } of rows) {
      const scaled = Float32Array.from(latent, (v) => v * scale);
      await w.add({
        ...rec,
        data: new Uint8Array(scaled.buffer),
        shape,
        meta: { ...(rec.meta ?? {}), pixelShape: rec.shape },
      });
    }
  } catch (e) {
    await w.abort();
    throw e;
  }
  const index = await w.finish();
  // the preview lives beside the dataset until it exists, then inside it
  for (const ext of ['gif', 'png']) {
    if (existsSync(`${opts.out}.preview.${ext}`))
      await fs.rename(`${opts.out}.preview.${ext}`, join(opts.out, `reconstructions.${ext}`));
  }
  return index;
}

/** The VAE behind a run's latent dataset, or null when the run trains on pixels. */
export async function latentSourceOf(cfg: ExperimentConfig): Promise<LatentSource | null> {
  const dir = await resolveDataset(cfg.data.dataset, cfg.data.cacheDir);
  const ds = await openDataset(dir, { verify: false });
  const parsed = LatentSource.safeParse(ds.index.builder);
  return parsed.success ? parsed.data : null;
}

const decoders = new Map<string, Promise<tfl.LayersModel>>();

/**
 * Whether a weight's variable is still the engine's: `tf.disposeVariables()` (which `vtx` commands call when they end)
 * frees every variable's data without marking the variables disposed, so a decoder cached by an earlier command in
 * the same process would read freed memory.
 */
function registered(w: tfl.LayerVariable): boolean {
  const v = w.read() as tf.Variable;
  return tf.engine().registeredVariables[v.name] === v;
}

/** Latents (N, t, h, w, c) as stored (scaled) -> pixels (N, T, H, W, C) in [-1, 1], through the source's VAE. */
export async function decodeLatents(source: LatentSource, z: tf.Tensor, batch = 8): Promise<tf.Tensor> {
  let decoder = decoders.get(source.vae.run);
  if (decoder && !(await decoder).weights.every(registered)) decoder = undefined; // freed since: load it again
  if (!decoder) {
    decoder = loadVae(source.vae.run).then((v) => vaeParts(v.model).decoder);
    decoders.set(source.vae.run, decoder);
  }
  const dec = await decoder;
  const n = z.shape[0];
  const parts: tf.Tensor[] = [];
  for (let s = 0; s < n; s += batch) {
    parts.push(
      tf.tidy(() => {
        const chunk = tf.slice(z, s, Math.min(batch, n - s));
        return tf.clipByValue(dec.predict(tf.div(chunk, source.scaleFactor)) as tf.Tensor, -1, 1);
      }),
    );
  }
  const out = tf.concat(parts);
  tf.dispose(parts);
  return out;
}

/** Samples of a run as pixels: decoded through the VAE when the run trains on a latent dataset, else unchanged. */
export async function toPixels(cfg: ExperimentConfig, x: tf.Tensor): Promise<tf.Tensor> {
  const source = await latentSourceOf(cfg);
  if (!source) return x;
  const pixels = await decodeLatents(source, x);
  x.dispose();
  return pixels;
}
