/**
 * Start a run from another run's weights (`init:` in the config): fine-tuning a model of the same kind (weights
 * copied by name where the shapes agree), or ViViT from an image ViT as the paper does (§3.4: encoder weights by
 * name, positions repeated over time, tubelets from the patch embedding by `tubelet` = inflate | central | random).
 */
import type * as tfl from '@tensorflow/tfjs-layers';
import { initViViTFromViT, type ModelConfig } from '@vtx/models';
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
    if (cfg.kind === 'vivit' && source.cfg.model.kind === 'vit') {
      const r = initViViTFromViT(model, source.model, init.tubelet, { head: init.head });
      return r.copied.length + r.adapted.length;
    }
    if (cfg.kind !== source.cfg.model.kind) {
      throw new Error(
        `init.from ${init.from}: a ${source.cfg.model.kind} run cannot initialise a ${cfg.kind} model (only the same kind, or ViViT from ViT)`,
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
