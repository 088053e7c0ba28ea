/**
 * Load a `vtx export` directory (model.json + weights.safetensors, packages/train/src/export/format.ts) in the
 * browser: check the format, rebuild the model with @vtx/models' `buildModel`, and assign each trainable weight
 * by its stable name (`LayerVariable.originalName`, the key the trainer's checkpoints use).
 */
import * as tf from '@tensorflow/tfjs-core';
import type * as tfl from '@tensorflow/tfjs-layers';
import { decodeSafetensors } from '@vtx/core';
import {
  DiffusionConfig,
  buildModel,
  makeProcess,
  type ClipShape,
  type ModelConfig,
  type NoiseProcess,
} from '@vtx/models';

/** model.json of a `vtx-browser-export` v1 (the fields the page reads). */
export interface ExportManifest {
  format: 'vtx-browser-export';
  version: 1;
  name: string;
  step: number;
  weights: 'ema' | 'live';
  clip: ClipShape;
  model: ModelConfig;
  /** The run's `diffusion:` as written (parsed here: an export from before the process union has flat keys). */
  diffusion: unknown;
  condition:
    | { kind: 'class'; numClasses: number; classNames: string[] }
    | { kind: 'caption'; vocab: string[]; maxLength: number; examples: string[] }
    | { kind: 'none' };
  seed: number;
  params: number;
  files: { weights: { path: string; bytes: number; sha256: string } };
}

export interface LoadedExport {
  manifest: ExportManifest;
  /** The noise process of the manifest's `diffusion` (its sampler, and the model's output channels). */
  process: NoiseProcess;
  /** Its settings, for the page's defaults. */
  diffusion: DiffusionConfig;
  model: tfl.LayersModel;
}

async function fetchOk(url: URL): Promise<Response> {
  const res = await fetch(url);
  if (!res.ok) throw new Error(`${url.href}: HTTP ${res.status} ${res.statusText}`);
  return res;
}

/** Fetch and rebuild the export at `base` (a directory URL ending in '/'). */
export async function loadExport(base: URL): Promise<LoadedExport> {
  const manifestUrl = new URL('model.json', base);
  const manifest = (await (await fetchOk(manifestUrl)).json()) as ExportManifest;
  if (manifest.format !== 'vtx-browser-export' || manifest.version !== 1) {
    throw new Error(
      `${manifestUrl.href}: not a vtx browser export v1 (format ${String(manifest.format)}, ` +
        `version ${String(manifest.version)}); re-export with 'vtx export <run>'`,
    );
  }
  const weightsUrl = new URL(manifest.files.weights.path, base);
  const bytes = new Uint8Array(await (await fetchOk(weightsUrl)).arrayBuffer());
  if (bytes.byteLength !== manifest.files.weights.bytes) {
    throw new Error(
      `${weightsUrl.href}: ${bytes.byteLength} bytes, model.json says ${manifest.files.weights.bytes}`,
    );
  }
  const { tensors } = decodeSafetensors(bytes, weightsUrl.href);
  const diffusion = DiffusionConfig.parse(manifest.diffusion);
  const process = makeProcess(diffusion);
  const model = buildModel(manifest.model, manifest.clip, process);
  const weights = model.trainableWeights;
  const missing = weights.filter((w) => !tensors[w.originalName]).map((w) => w.originalName);
  if (missing.length) throw new Error(`${weightsUrl.href}: missing weights ${missing.join(', ')}`);
  const extra = Object.keys(tensors).filter((k) => !weights.some((w) => w.originalName === k));
  if (extra.length)
    throw new Error(`${weightsUrl.href}: weights the model does not have: ${extra.join(', ')}`);
  for (const w of weights) {
    const t = tensors[w.originalName]!;
    if (t.shape.join(',') !== w.shape.join(','))
      throw new Error(
        `${weightsUrl.href} tensor '${w.originalName}': shape [${t.shape}] does not match the model's [${w.shape}]`,
      );
    const value = tf.tensor(t.data, t.shape, 'float32');
    w.write(value);
    value.dispose();
  }
  return { manifest, process, diffusion, model };
}
