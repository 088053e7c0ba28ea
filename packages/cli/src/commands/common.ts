/** What every vtx command shares: exit codes, error reporting, loading a model from a preset name or a config file. */
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { DatasetIndex } from '@vtx/data';
import {
  GuidanceInterval,
  ModelConfig,
  PRESETS,
  makeProcess,
  preset,
  type ClipShape,
  type NoiseProcess,
} from '@vtx/models';
import { SweepError } from '@vtx/lab';
import { ExperimentConfig, declaredSizes, distinctClips } from '@vtx/train';
import { ConfigError, UsageError, closest, loadConfigFile, readConfigTree } from '@vtx/config';

export { UsageError };

/** `--guidance-interval LO HI`, a sampling setting of `vtx sample` and `vtx judge score`. */
export const guidanceIntervalOption = {
  type: 'number',
  array: true,
  describe:
    "guide only at noise levels t/T in [LO, HI] (two numbers, 0 <= LO < HI <= 1, 1 = pure noise); default the config's diffusion.guidanceInterval",
} as const;

/** `--guidance-interval`'s numbers as the interval, undefined when absent; a usage error naming the flag otherwise. */
export function guidanceIntervalFlag(gi: number[] | undefined): GuidanceInterval | undefined {
  if (gi === undefined) return undefined;
  const parsed = GuidanceInterval.safeParse(gi);
  if (!parsed.success)
    throw new UsageError(
      `--guidance-interval ${gi.join(' ')}: expected LO HI: two noise levels t/T with 0 <= LO < HI <= 1`,
    );
  return parsed.data;
}

/** 0 ok, 1 failure, 2 bad usage or config. */
export const EXIT = { ok: 0, failure: 1, usage: 2 } as const;

/**
 * Print an error for a person and set the exit code: config errors (an experiment's or a sweep's) and usage errors
 * 2, anything else 1. The one place the CLI turns an error into an exit code: `main` calls it for whatever a command
 * throws and for yargs' own parse errors.
 */
export function report(e: unknown): void {
  const debug = process.env['VTX_DEBUG'] === '1';
  if (e instanceof ConfigError) {
    process.stderr.write(`error: invalid config\n${e.message}\n`);
    process.exitCode = EXIT.usage;
    return;
  }
  if (e instanceof UsageError || e instanceof SweepError) {
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
 * config YAML (its `model:`), with the clip it is meant for; `clips` holds every size a multi-size experiment
 * declares (native-shapes sizes, buckets, the shapes of its dataset's index), else `[clip]`.
 */
export async function resolveModel(
  spec: string,
  clip?: ClipShape,
): Promise<{
  model: ModelConfig;
  clip: ClipShape;
  clips: ClipShape[];
  source: string;
  /** An experiment config's noise process (a diffusion model's output channels); absent for presets and bare models. */
  process?: NoiseProcess;
}> {
  if (!existsSync(spec)) {
    const name = presetName(spec);
    const p = preset(name);
    const c = clip ?? p.clip;
    return { model: p.model, clip: c, clips: [c], source: `preset ${name}` };
  }
  const tree = await readConfigTree(spec);
  const raw = tree.value as Record<string, unknown>;
  if (raw && typeof raw === 'object' && 'model' in raw) {
    const exp = await loadConfigFile(spec, ExperimentConfig);
    const clips = clip ? [clip] : experimentClips(exp);
    if (!clips?.length)
      throw new UsageError(`${spec}: give --clip T,H,W,C (the config does not fix the clip size)`);
    return { model: exp.model, clip: clips[0]!, clips, source: spec, process: makeProcess(exp.diffusion) };
  }
  const model = await loadConfigFile(spec, ModelConfig);
  if (!clip) throw new UsageError(`${spec}: give --clip T,H,W,C for a bare model config`);
  return { model, clip, clips: [clip], source: spec };
}

/**
 * A preset's name from what a user typed: exact, else the one preset equal to it ignoring case (`dit-xl/2`). An
 * unknown name is a usage error with the closest presets and where to see them all (`vtx info --list`).
 */
export function presetName(typed: string): string {
  const names = Object.keys(PRESETS);
  if (names.includes(typed)) return typed;
  const folded = names.filter((n) => n.toLowerCase() === typed.toLowerCase());
  if (folded.length === 1) return folded[0]!;
  const hint = closest(typed, names);
  throw new UsageError(
    `'${typed}' is neither a file nor a model preset${hint ? ` (did you mean '${hint}'?)` : ''}; ` +
      `'vtx info --list' lists the ${names.length} presets`,
  );
}

/** The clip an experiment trains on, when its data config fixes it to one size (built-in datasets, crops, frames). */
export function experimentClip(cfg: ExperimentConfig): ClipShape | undefined {
  const clips = experimentClips(cfg);
  return clips?.length === 1 ? clips[0] : undefined;
}

/**
 * Every clip size an experiment's model sees, when the config says before the data is built: `clip:`, each bucket,
 * each size of a native-shapes dataset (after frames / crop), a built-in dataset's size, a frames + crop of a
 * dataset directory, or the shapes in an existing dataset directory's index.json. Undefined when unknown.
 */
export function experimentClips(cfg: ExperimentConfig): ClipShape[] | undefined {
  if (cfg.clip) return [cfg.clip];
  const ds = cfg.data.dataset;
  const t = cfg.data.transforms;
  if (typeof ds === 'string') {
    const index = readIndex(ds);
    if (cfg.data.buckets.length > 0 || !(t.frames && t.crop)) {
      if (index) return distinctClips(declaredSizes(index, ds, cfg.data));
      if (cfg.data.buckets.length > 0) return cfg.data.buckets.map((b) => [b.frames, b.height, b.width, 3]);
      return undefined;
    }
    return [[t.frames, t.crop.height, t.crop.width, index?.shapes[0]?.[3] ?? 3]];
  }
  const channels = ds.kind === 'moving-mnist' ? 1 : 3;
  if (cfg.data.buckets.length > 0)
    return cfg.data.buckets.map((b) => [b.frames, b.height, b.width, channels]);
  if (ds.kind === 'native-shapes') {
    const clips = ds.sizes.map(([f, h, w]): ClipShape => [
      t.frames ?? f,
      t.crop?.height ?? h,
      t.crop?.width ?? w,
      3,
    ]);
    return clips.filter((c, i) => clips.findIndex((d) => d.join('x') === c.join('x')) === i);
  }
  const frames = t.frames ?? ds.frames;
  const [h, w] = t.crop
    ? [t.crop.height, t.crop.width]
    : ds.kind === 'moving-mnist'
      ? [ds.size, ds.size]
      : [ds.height, ds.width];
  return [[frames, h, w, channels]];
}

/** A dataset directory's index, or null when it has none (not built yet) or it does not parse. */
function readIndex(dir: string): DatasetIndex | null {
  try {
    const parsed = DatasetIndex.safeParse(JSON.parse(readFileSync(join(dir, 'index.json'), 'utf8')));
    return parsed.success ? parsed.data : null;
  } catch {
    return null;
  }
}
