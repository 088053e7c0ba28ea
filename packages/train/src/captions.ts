/**
 * Captions of a run's dataset: the caption vocabulary of a caption-conditioned model (built from the data when the
 * config leaves `model.text.vocab` empty, then written into the resolved config so sampling and resuming use the
 * same ids), and example captions to sample with.
 */
import { openDataset, readRows, resolveDataset } from '@vtx/data';
import { buildVocab } from '@vtx/models';
import type { ExperimentConfig } from './experiment.js';

/** Every caption of the configured variant in the training dataset, in row order. */
export async function datasetCaptions(cfg: ExperimentConfig, limit = Infinity): Promise<string[]> {
  const dir = await resolveDataset(cfg.data.dataset, cfg.data.cacheDir);
  const ds = await openDataset(dir, { verify: false });
  const out: string[] = [];
  for await (const row of readRows(ds)) {
    const c = cfg.data.caption === 'terse' ? row.captionTerse : row.caption;
    if (c) out.push(c);
    if (out.length >= limit) break;
  }
  return out;
}

/** The config with `model.text.vocab` filled from the data when a caption model has none. */
export async function withCaptionVocab(cfg: ExperimentConfig): Promise<ExperimentConfig> {
  const m = cfg.model;
  if (m.kind !== 'video-dit' || m.condition !== 'caption' || m.text.vocab.length > 0) return cfg;
  const captions = await datasetCaptions(cfg);
  if (!captions.length)
    throw new Error(`model.condition is 'caption' but the dataset has no ${cfg.data.caption} captions`);
  return { ...cfg, model: { ...m, text: { ...m.text, vocab: buildVocab(captions) } } };
}
