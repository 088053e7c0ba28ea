/** What every vtx command shares: exit codes, error reporting, loading a model from a preset name or a config file. */
import { existsSync } from 'node:fs';
import { ModelConfig, preset, type ClipShape } from '@vtx/models';
import { ConfigError, loadConfigFile, readConfigTree } from '../config/index.js';
import { ExperimentConfig } from '../experiment.js';

/** 0 ok, 1 failure, 2 bad usage or config. */
export const EXIT = { ok: 0, failure: 1, usage: 2 } as const;

/** A user-facing error: printed as one message (no stack trace) with an exit code. */
export class UsageError extends Error {
  override readonly name = 'UsageError';
}

/** Print an error for a person and set the exit code: config and usage errors 2, anything else 1. */
export function report(e: unknown): void {
  const debug = process.env['VTX_DEBUG'] === '1';
  if (e instanceof ConfigError) {
    process.stderr.write(`error: invalid config\n${e.message}\n`);
    process.exitCode = EXIT.usage;
    return;
  }
  if (e instanceof UsageError) {
    process.stderr.write(`error: ${e.message}\n`);
    process.exitCode = EXIT.usage;
    return;
  }
  const msg = e instanceof Error ? e.message : String(e);
  process.stderr.write(`error: ${msg}\n${debug && e instanceof Error ? `${e.stack}\n` : ''}`);
  process.exitCode = EXIT.failure;
}

/** Parse "T,H,W,C" (or "H,W,C" for an image) from a flag. */
export function parseClip(value: string | undefined, flag = '--clip'): ClipShape | undefined {
  if (value === undefined) return undefined;
  const parts = value.split(/[,x]/).map((v) => Number(v.trim()));
  if (!parts.every((n) => Number.isInteger(n) && n > 0) || (parts.length !== 3 && parts.length !== 4)) {
    throw new UsageError(`${flag} ${value}: expected T,H,W,C (or H,W,C for images), positive integers`);
  }
  return (parts.length === 3 ? [1, ...parts] : parts) as ClipShape;
}

/**
 * A model from a preset name (`DiT-XL/2`, `ViT-B/16`, …), a model-config YAML (`kind: dit …`) or an experiment
 * config YAML (its `model:`), with the clip it is meant for.
 */
export async function resolveModel(
  spec: string,
  clip?: ClipShape,
): Promise<{ model: ModelConfig; clip: ClipShape; source: string }> {
  if (!existsSync(spec)) {
    try {
      const p = preset(spec);
      return { model: p.model, clip: clip ?? p.clip, source: `preset ${spec}` };
    } catch (e) {
      throw new UsageError(`'${spec}' is neither a file nor a model preset: ${(e as Error).message}`);
    }
  }
  const tree = await readConfigTree(spec);
  const raw = tree.value as Record<string, unknown>;
  if (raw && typeof raw === 'object' && 'model' in raw) {
    const exp = await loadConfigFile(spec, ExperimentConfig);
    const c = clip ?? experimentClip(exp);
    if (!c) throw new UsageError(`${spec}: give --clip T,H,W,C (the config does not fix the clip size)`);
    return { model: exp.model, clip: c, source: spec };
  }
  const model = await loadConfigFile(spec, ModelConfig);
  if (!clip) throw new UsageError(`${spec}: give --clip T,H,W,C for a bare model config`);
  return { model, clip, source: spec };
}

/** The clip an experiment trains on, when its data config fixes it (built-in datasets, crops, frames). */
export function experimentClip(cfg: ExperimentConfig): ClipShape | undefined {
  if (cfg.clip) return cfg.clip;
  const ds = cfg.data.dataset;
  const t = cfg.data.transforms;
  if (typeof ds === 'string') {
    return t.frames && t.crop ? [t.frames, t.crop.height, t.crop.width, 3] : undefined;
  }
  if (ds.kind === 'native-shapes') {
    // several sizes: fixed only when frames and a crop make them one (else the first batch decides)
    const clips = new Set(
      ds.sizes.map(([f, h, w]) => `${t.frames ?? f}x${t.crop?.height ?? h}x${t.crop?.width ?? w}`),
    );
    if (clips.size > 1) return undefined;
    const [f, h, w] = ds.sizes[0]!;
    return [t.frames ?? f, t.crop?.height ?? h, t.crop?.width ?? w, 3];
  }
  const channels = ds.kind === 'moving-mnist' ? 1 : 3;
  const frames = t.frames ?? ds.frames;
  const [h, w] = t.crop
    ? [t.crop.height, t.crop.width]
    : ds.kind === 'moving-mnist'
      ? [ds.size, ds.size]
      : [ds.height, ds.width];
  return [frames, h, w, channels];
}
