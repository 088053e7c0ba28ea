/**
 * The one setup stage (`validate`): every check that can fail before training — pairings across sections, the judge
 * config, the dataset's classes against the model's, every declared size against the patch — throws from
 * `validate` naming its key or file, and `train()` runs it before the run directory is touched: a directory given as
 * `--out` that already exists (empty) stays empty. Warnings come back for the run's log.
 */
import { mkdirSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { train, validate, type ExperimentConfigInput } from '@vtx/train';
import { ConfigError } from '@vtx/config';
import { tinyClassifier, tinyDiT, tinyShapes, wasmRunsDir } from './helpers/tiny.js';

const dir = wasmRunsDir('validate');
const cache = join(dir, 'cache');
const quiet = { write: () => true } as unknown as NodeJS.WritableStream;

const classifier = (model: Record<string, unknown> = {}) =>
  tinyClassifier(cache, { model: { ...(tinyClassifier(cache).model as object), ...model } });

const cases: { name: string; cfg: () => ExperimentConfigInput; want: RegExp; config: boolean }[] = [
  {
    name: 'a clip the patch does not divide',
    cfg: () => classifier({ patch: [3, 8, 8] }),
    want: /data\.dataset: clip 4x16x16 is not divisible by model\.patch 3x8x8/,
    config: true,
  },
  {
    name: 'fewer model classes than the dataset has',
    cfg: () => classifier({ numClasses: 2 }),
    want: /index\.json: model\.numClasses: 2, but the dataset has 4 classes/,
    config: false,
  },
  {
    // @vtx/train alone cannot score samples: @vtx/eval's sampleScoring checks the judge itself (its own tests)
    name: 'eval.judge without the scoring @vtx/eval provides',
    cfg: () => tinyDiT(cache, { eval: { batches: 1, judge: { samples: 4 } } }),
    want: /eval\.judge: scoring samples needs @vtx\/eval/,
    config: true,
  },
  {
    name: 'more sampling steps than diffusion steps',
    cfg: () => tinyDiT(cache, { diffusion: { steps: 50 } }), // samplingSteps defaults to 250
    want: /diffusion\.samplingSteps: respacing '250': .* \(diffusion\.steps is 50\)/,
    config: true,
  },
];

describe('validate: every check before training', () => {
  it.each(cases)(
    '$name: validate throws naming it; train() leaves an existing --out untouched',
    async (c) => {
      const err = await validate(c.cfg()).catch((e: unknown) => e);
      expect(err).toBeInstanceOf(c.config ? ConfigError : Error);
      expect((err as Error).message).toMatch(c.want);
      const out = join(dir, `out-${cases.indexOf(c)}`);
      mkdirSync(out);
      await expect(train(c.cfg(), { out, terminal: quiet })).rejects.toThrow(c.want);
      expect(readdirSync(out)).toEqual([]); // no log.jsonl, no config.yaml: nothing ran before the checks
    },
  );

  it('returns the config, the declared sizes and the warnings for the log', async () => {
    const v = await validate(
      tinyDiT(cache, { diffusion: { schedule: 'cosine', sampler: 'ddim', samplingSteps: 'ddim50' } }),
    );
    expect(v.cfg.name).toBe('tiny-dit');
    expect(v.sizes.map((s) => [s.clip, s.key])).toEqual([[[4, 16, 16, 3], 'data.dataset']]);
    expect(v.warnings.map((w) => w.path)).toEqual(['diffusion.samplingSteps']);
  });

  it("fills an attribute classifier's heads from the training dataset's vocabulary, or keeps the config's", async () => {
    const judge = (attributes?: Record<string, string[]>) => ({
      name: 'tiny-judge',
      backend: 'wasm' as const,
      data: tinyShapes(cache),
      model: {
        kind: 'attribute-classifier' as const,
        depth: 1,
        width: 16,
        heads: 2,
        ...(attributes ? { attributes } : {}),
      },
    });
    const valid = await validate(judge());
    const filled = valid.cfg.model as { attributes: Record<string, string[]> };
    // the loaders number values by the model's vocabulary (an evaluation set is read as the model was trained)
    expect(valid.cfg.data.attributes).toEqual(filled.attributes);
    expect(Object.keys(filled.attributes)).toEqual([
      'shape',
      'colour',
      'size',
      'direction',
      'speed',
      'background',
    ]);
    expect(filled.attributes['speed']).toEqual(['slow', 'fast']);
    const own = { direction: ['left-to-right', 'right-to-left', 'top-to-bottom', 'bottom-to-top'] };
    const kept = await validate(judge(own));
    expect(kept.cfg.model).toMatchObject({ attributes: own });
    expect(kept.cfg.data.attributes).toEqual(own);
  });
});
