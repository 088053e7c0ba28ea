/**
 * Native sizes before a run starts: the clip sizes a run's data declares (the loader's output shape for each
 * bucket, or for each clip shape of the dataset after `transforms.frames` / `crop`), each named by the config key
 * that declares it; the check that the model's patch divides every one of them (and every `sample.sizes` entry), so
 * a multi-size run fails at setup rather than at the first batch of a bad size; and the sizes samples are drawn at.
 * Evaluation data numbers its labels by the training data's class names (evalDataInput), checked here too.
 */
import { join } from 'node:path';
import {
  DataConfig,
  labelRemap,
  layout,
  openDataset,
  resolveDataset,
  type DataConfigInput,
  type DatasetIndex,
} from '@vtx/data';
import { modelCost, modelPatch, modelTask, type ClipShape, type ModelConfig } from '@vtx/models';
import { ConfigError, type ConfigIssue } from '@vtx/config';
import type { ExperimentConfig } from './experiment.js';

/** One size the model will see, and where the config declares it. */
export interface DeclaredSize {
  /** (T, H, W, C) as the model sees it (after the loader's frames / crop). */
  clip: ClipShape;
  /** The config key that declares it: `data.dataset.sizes.1`, `data.buckets.0`, `data.dataset`, … */
  key: string;
  /** What else shapes it, when the key alone does not say (a dataset's index.json, transforms). */
  note?: string;
}

const AXES = ['frames', 'height', 'width'] as const;
const sizeText = (clip: readonly number[]) => clip.slice(0, 3).join('x');

/**
 * The loader's output sizes for `data` over a dataset's index, in the loader's bucket order, each with the key that
 * declares it (`key(k)` maps a key of the data config, e.g. `dataset.sizes.1`, to its path in the experiment).
 */
export function declaredSizes(
  index: DatasetIndex,
  dir: string,
  data: DataConfig,
  key: (k: string) => string = (k) => `data.${k}`,
): DeclaredSize[] {
  const lay = layout(index, data);
  const clipOf = (b: number): ClipShape => {
    const t = lay.targets[b]!;
    return [t.frames, t.height, t.width, lay.channels];
  };
  if (data.buckets.length > 0)
    return lay.targets.map((_, b) => ({ clip: clipOf(b), key: key(`buckets.${b}`) }));
  const shaped = [
    data.transforms.frames !== undefined ? key('transforms.frames') : '',
    data.transforms.crop ? key('transforms.crop') : '',
  ].filter(Boolean);
  const after = shaped.length ? `after ${shaped.join(' and ')}` : undefined;
  const ds = data.dataset;
  if (typeof ds === 'object' && ds.kind === 'native-shapes') {
    return ds.sizes.flatMap(([f, h, w], k) => {
      const shape = index.shapes.findIndex(([t, y, x]) => t === f && y === h && x === w);
      const b = shape < 0 ? -1 : lay.shapeBucket[shape]!;
      if (b < 0) return []; // too few frames for transforms.frames: the loader drops these clips
      return [{ clip: clipOf(b), key: key(`dataset.sizes.${k}`), ...(after ? { note: after } : {}) }];
    });
  }
  return lay.targets.map((_, b) => {
    const shapes = index.shapes.filter((_s, i) => lay.shapeBucket[i] === b).map((s) => s.join('x'));
    const from =
      typeof ds === 'string' ? `clip shape ${shapes.join(', ')} in ${join(dir, 'index.json')}` : undefined;
    const note = [from, after].filter(Boolean).join(', ');
    return { clip: clipOf(b), key: key('dataset'), ...(note ? { note } : {}) };
  });
}

/** Distinct clips of `sizes`, in order. */
export function distinctClips(sizes: readonly DeclaredSize[]): ClipShape[] {
  const seen = new Map<string, ClipShape>();
  for (const s of sizes) if (!seen.has(s.clip.join('x'))) seen.set(s.clip.join('x'), s.clip);
  return [...seen.values()];
}

/**
 * Why the model cannot take `clip`, or null: a size its patch (tubelet, VAE factors) does not divide. Families
 * without a `patch` are asked through their closed-form cost.
 */
export function patchProblem(model: ModelConfig, clip: readonly number[]): string | null {
  const p = modelPatch(model);
  if (!p) {
    try {
      modelCost(model, [...clip.slice(0, 3), clip[3] ?? 3] as ClipShape);
      return null;
    } catch (e) {
      return `model kind '${model.kind}' does not take clip ${sizeText(clip)}: ${(e as Error).message}`;
    }
  }
  const bad = [0, 1, 2].filter((a) => clip[a]! % p.patch[a]!);
  if (!bad.length) return null;
  return (
    `clip ${sizeText(clip)} is not divisible by model.${p.key} ${p.patch.join('x')} ` +
    `(${bad.map((a) => `${AXES[a]} ${clip[a]}`).join(', ')})`
  );
}

/**
 * The data config evaluation reads: the training data with `eval.data`'s keys replaced, unshuffled, its labels
 * numbered by `labels` (the class names of the training loader, so both number a class alike) when given.
 */
export function evalDataInput(cfg: ExperimentConfig, labels?: readonly string[] | null): DataConfigInput {
  return { ...cfg.data, shuffle: false, ...cfg.eval.data, ...(labels ? { labels: [...labels] } : {}) };
}

/**
 * Before training: every size the training data, the evaluation data and `sample.sizes` declare must be one the
 * model takes. Throws one ConfigError listing each bad size by its key (`data.dataset.sizes.1`, `data.buckets.0`,
 * the dataset's index.json) and the model's patch; an evaluation label the training data lacks is a DataError naming
 * the evaluation index.json. `train` is the training loader (its index, directory and class names).
 */
export async function checkRunSizes(
  cfg: ExperimentConfig,
  train: { index: DatasetIndex; dir: string; labelNames: string[] | null },
): Promise<DeclaredSize[]> {
  const sizes = declaredSizes(train.index, train.dir, cfg.data);
  const evalData = DataConfig.parse(evalDataInput(cfg, train.labelNames));
  const evalDir = await resolveDataset(evalData.dataset, evalData.cacheDir);
  const evalIndex =
    evalDir === train.dir ? train.index : (await openDataset(evalDir, { verify: false })).index;
  labelRemap(evalIndex, evalDir, evalData.labels); // an evaluation label the model lacks: before training, not at eval
  const overridden = cfg.eval.data;
  const evalSizes = declaredSizes(evalIndex, evalDir, evalData, (k) =>
    k.split('.')[0]! in overridden ? `eval.data.${k}` : `data.${k}`,
  );
  const channels = sizes[0]?.clip[3] ?? 3;
  const sampled: DeclaredSize[] =
    modelTask(cfg.model) === 'diffuse'
      ? (cfg.sample.sizes ?? []).map(([t, h, w], k) => ({
          clip: [t, h, w, channels],
          key: `sample.sizes.${k}`,
        }))
      : [];
  const issues: ConfigIssue[] = [];
  const seen = new Set<string>();
  for (const s of [...sizes, ...evalSizes, ...sampled]) {
    const problem = patchProblem(cfg.model, s.clip);
    const id = `${s.key} ${s.clip.join('x')}`;
    if (!problem || seen.has(id)) continue;
    seen.add(id);
    issues.push({
      file: '<config>',
      path: s.key,
      message: `${problem}${s.note ? ` (${s.note})` : ''}: ${
        s.key.startsWith('sample.')
          ? 'samples are drawn at each of sample.sizes (model-input sizes: latent sizes for a latent run)'
          : 'the model sees every size the data declares, so the run would fail at the first batch of this size'
      }; change the size or the model's patch`,
    });
  }
  if (issues.length) throw new ConfigError(issues);
  return sizes;
}

/**
 * The sizes (T, H, W, C) a run's samples are drawn at: `sample.sizes` when set (C of the training clip), else each
 * size of a `native-shapes` dataset (so a multi-size run shows every size it trained on), else the training clip.
 */
export function sampleSizes(
  cfg: ExperimentConfig,
  trainClip: ClipShape,
  dataSizes: readonly DeclaredSize[],
): ClipShape[] {
  if (cfg.sample.sizes) return cfg.sample.sizes.map(([t, h, w]) => [t, h, w, trainClip[3]]);
  const ds = cfg.data.dataset;
  const native = typeof ds === 'object' && ds.kind === 'native-shapes' ? distinctClips(dataSizes) : [];
  return native.length ? native : [trainClip];
}
