/**
 * `exportRun(run, out)`: write a trained diffusion run as a browser export (see ./format.ts): the checkpoint's
 * EMA (or live) weights as one float32 safetensors file and a model.json manifest with the resolved model and
 * diffusion configs. The weights are loaded into the rebuilt model first (`loadRun`), so an export always matches
 * the architecture its config builds. Both files are written atomically, weights first and the manifest (which
 * names the weights' sha256) last, so a reader never sees a manifest for other weights.
 */
import { createHash } from 'node:crypto';
import { mkdir } from 'node:fs/promises';
import { join } from 'node:path';
import { type NamedArrays, encodeSafetensors } from '@vtx/core';
import { MOTION_CLASSES, openDataset } from '@vtx/data';
import { datasetCaptions } from '../captions.js';
import type { ExperimentConfig } from '../experiment.js';
import { loadRun } from '../load-run.js';
import { namedParams } from '../optim/index.js';
import {
  EXPORT_FORMAT,
  EXPORT_MANIFEST,
  EXPORT_VERSION,
  EXPORT_WEIGHTS,
  ExportManifest,
  type ExportCondition,
} from './format.js';
import { writeFileAtomic } from '@vtx/runs';

export interface ExportOptions {
  /** EMA weights (what DiT samples with; the default when the run keeps an EMA) or the live ones. */
  weights?: 'ema' | 'live';
  /** A checkpoint directory; default the newest complete one of the run. */
  checkpoint?: string;
  /** How many example captions to include for a caption model (read from the training data). */
  exampleCaptions?: number;
}

export interface ExportResult {
  manifest: ExportManifest;
  /** Paths written: <out>/weights.safetensors, <out>/model.json. */
  files: string[];
}

/** Export `runDir` (a diffusion run) into `outDir` for a web page; see ./format.ts for the layout. */
export async function exportRun(
  runDir: string,
  outDir: string,
  opts: ExportOptions = {},
): Promise<ExportResult> {
  const run = await loadRun(runDir, {
    ...(opts.weights ? { weights: opts.weights } : {}),
    ...(opts.checkpoint ? { checkpoint: opts.checkpoint } : {}),
  });
  try {
    if (!run.condition)
      throw new Error(
        `${runDir}: a ${run.cfg.model.kind} classifier cannot be exported for sampling (only diffusion runs)`,
      );
    const tensors: NamedArrays = {};
    let params = 0;
    for (const p of namedParams(run.model)) {
      const data = (await p.variable.data()) as Float32Array;
      tensors[p.name] = { shape: [...p.variable.shape], data };
      params += data.length;
    }
    const bytes = encodeSafetensors(tensors, {
      format: EXPORT_FORMAT,
      run: run.cfg.name,
      step: String(run.step),
    });
    const weights = opts.weights ?? (run.cfg.train.ema.enabled ? 'ema' : 'live');
    const manifest = ExportManifest.parse({
      format: EXPORT_FORMAT,
      version: EXPORT_VERSION,
      name: run.cfg.name,
      run: runDir,
      checkpoint: run.checkpoint,
      step: run.step,
      weights,
      clip: run.clip,
      model: run.cfg.model,
      diffusion: run.cfg.diffusion,
      condition: await exportCondition(run.cfg, run.condition, opts.exampleCaptions ?? 8),
      seed: run.cfg.seed,
      params,
      files: {
        weights: {
          path: EXPORT_WEIGHTS,
          bytes: bytes.byteLength,
          sha256: createHash('sha256').update(bytes).digest('hex'),
        },
      },
    });
    await mkdir(outDir, { recursive: true });
    const files = [join(outDir, EXPORT_WEIGHTS), join(outDir, EXPORT_MANIFEST)];
    await writeFileAtomic(files[0]!, bytes);
    await writeFileAtomic(files[1]!, `${JSON.stringify(manifest, null, 2)}\n`);
    return { manifest, files };
  } finally {
    run.model.dispose();
  }
}

/** The manifest's conditioning: class names from the dataset where it has them, caption vocabulary and examples. */
async function exportCondition(
  cfg: ExperimentConfig,
  cond: NonNullable<Awaited<ReturnType<typeof loadRun>>['condition']>,
  examples: number,
): Promise<ExportCondition> {
  switch (cond.kind) {
    case 'none':
      return { kind: 'none' };
    case 'class':
      return {
        kind: 'class',
        numClasses: cond.numClasses,
        classNames: await classNames(cfg, cond.numClasses),
      };
    case 'caption': {
      let captions: string[] = [];
      try {
        captions = [...new Set(await datasetCaptions(cfg, 64))].slice(0, examples);
      } catch {
        // the training data is not at hand (moved, or built elsewhere): the page still takes typed captions
      }
      return {
        kind: 'caption',
        vocab: [...cond.tokenizer.vocab],
        maxLength: cond.tokenizer.maxLength,
        examples: captions,
      };
    }
  }
}

/** Class names: the motion classes of the built-in shapes, a dataset directory's `labels`, else `class <i>`. */
async function classNames(cfg: ExperimentConfig, n: number): Promise<string[]> {
  const ds = cfg.data.dataset;
  let names: readonly string[] | null = null;
  if (typeof ds !== 'string' && (ds.kind === 'synthetic' || ds.kind === 'native-shapes'))
    names = MOTION_CLASSES;
  else if (typeof ds === 'string') {
    try {
      names = (await openDataset(ds, { verify: false })).index.labels?.names ?? null;
    } catch {
      names = null;
    }
  }
  return Array.from({ length: n }, (_, i) => names?.[i] ?? `class ${i}`);
}
