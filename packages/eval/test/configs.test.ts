/**
 * Every config under configs/sora validates as an experiment (the judge and captioner are attribute classifier runs),
 * and every model is describable at every clip it will see: pixel clips from the built-in data, each of the native
 * sizes, or the VAE's latents.
 */
import { readdirSync } from 'node:fs';
import { join } from 'node:path';
import { latentShape, modelCost, VaeConfig, type ClipShape } from '@vtx/models';
import { describe, expect, it } from 'vitest';
import { loadConfigFile } from '@vtx/config';
import { ExperimentConfig } from '../../train/src/experiment.js';

const root = new URL('../../../configs/sora/', import.meta.url).pathname;
const files = [
  ...readdirSync(root).filter((f) => f.endsWith('.yaml')),
  ...readdirSync(join(root, 'ablations')).map((f) => `ablations/${f}`),
];

/** The clips each experiment's model sees (a directory's data is built by an earlier step of the recipe). */
async function clipsOf(cfg: ExperimentConfig): Promise<ClipShape[]> {
  const ds = cfg.data.dataset;
  const frames = cfg.data.transforms.frames;
  const crop = cfg.data.transforms.crop;
  if (typeof ds !== 'string') {
    if (ds.kind === 'native-shapes')
      return ds.sizes.map(([t, h, w]) => [frames ?? t, crop?.height ?? h, crop?.width ?? w, 3]);
    return [
      [
        frames ?? ds.frames,
        ds.kind === 'moving-mnist' ? ds.size : ds.height,
        ds.kind === 'moving-mnist' ? ds.size : ds.width,
        3,
      ],
    ];
  }
  if (ds.includes('latents')) {
    const vae = await loadConfigFile(join(root, 'vae.yaml'), ExperimentConfig);
    return [latentShape(VaeConfig.parse(vae.model), [8, 32, 32, 3])];
  }
  return [[frames ?? 8, crop?.height ?? 16, crop?.width ?? 32, 3]]; // re-captioned shapes
}

describe('configs/sora', () => {
  it('has the recipe and both ablations', () => {
    for (const f of [
      'vae.yaml',
      'latent-dit.yaml',
      'ablations/judge.yaml',
      'ablations/t2v-recaptioned.yaml',
      'ablations/framing-squares.yaml',
    ])
      expect(files).toContain(f);
  });

  it.each(files)('%s validates and has a describable model', async (file) => {
    const path = join(root, file);
    const cfg = await loadConfigFile(path, ExperimentConfig);
    if (/judge|captioner/.test(file)) expect(cfg.model.kind).toBe('attribute-classifier');
    for (const clip of await clipsOf(cfg)) {
      const cost = modelCost(cfg.model, clip);
      expect(cost.params).toBeGreaterThan(0);
      expect(cost.gflops).toBeGreaterThan(0);
    }
  });
});
