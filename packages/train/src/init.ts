/**
 * Start a run from another run's weights (`init:` in the config): fine-tuning a model of the same kind (weights
 * copied by name where the shapes agree), or from another kind its family can adapt (`initFrom` of the family: ViViT
 * from an image ViT as the paper does, §3.4, tubelets from the patch embedding by `tubelet` = inflate | central | random).
 */
import type * as tfl from '@tensorflow/tfjs-layers';
import { modelFamily, type ModelConfig } from '@vtx/models';
import type { InitSection } from './experiment.js';
import { loadRun } from './load-run.js';

/** Initialise `model` (built from `cfg`) from the run `init.from`; returns how many weights were set from it. */
export async function initFromRun(
  model: tfl.LayersModel,
  cfg: ModelConfig,
  init: InitSection,
): Promise<number> {
  const source = await loadRun(init.from);
  try {
    const adapt = modelFamily(cfg.kind)?.initFrom?.[source.cfg.model.kind]; // ViViT from ViT
    if (adapt) return adapt(model, source.model, init);
    if (cfg.kind !== source.cfg.model.kind) {
      const from = Object.keys(modelFamily(cfg.kind)?.initFrom ?? {});
      throw new Error(
        `init.from ${init.from}: a ${source.cfg.model.kind} run cannot initialise a ${cfg.kind} model (only the same kind${from.map((k) => `, or ${k}`).join('')})`,
      );
    }
    const from = new Map(source.model.weights.map((w) => [w.originalName, w]));
    let n = 0;
    for (const w of model.weights) {
      if (!init.head && w.originalName.startsWith('head/')) continue;
      const src = from.get(w.originalName);
      if (src && src.shape.length === w.shape.length && src.shape.every((d, i) => d === w.shape[i])) {
        w.write(src.read().clone());
        n += 1;
      }
    }
    if (n === 0)
      throw new Error(`init.from ${init.from}: no weight of that run matches this model by name and shape`);
    return n;
  } finally {
    source.model.dispose();
  }
}
