/**
 * Checkpoints written before model families became descriptors still load: `fixtures/zoo-weights.safetensors`
 * (written once by `fixtures/make-zoo-weights.ts` on the code of commit 9b36b77) holds, for every built-in kind ×
 * variant, the weights under their checkpoint names, inputs and the forward output. Today's builders must name and
 * shape every weight exactly as then (none missing, none extra) and compute the same outputs from them. A diffusion
 * model's output channels now come from its noise process: a stored `learnSigma` (the model key of then) becomes the
 * process's `diffusion.learnSigma`, as an experiment config's does.
 */
import { readFileSync } from 'node:fs';
import * as tf from '@tensorflow/tfjs-core';
import { decodeSafetensors } from '@vtx/core';
import { buildModel, DiffusionConfig, makeProcess, ModelConfig, type ClipShape } from '@vtx/models';
import { afterEach, describe, expect, it } from 'vitest';

const file = 'zoo-weights.safetensors';
const { tensors, metadata } = decodeSafetensors(
  new Uint8Array(readFileSync(new URL(`./fixtures/${file}`, import.meta.url))),
  file,
);
const cases = JSON.parse(metadata['cases']!) as Record<string, { model: unknown; clip: ClipShape }>;

afterEach(() => tf.disposeVariables());

describe('weights written by the previous model code', () => {
  it('cover every built-in kind', () => {
    const kinds = new Set(Object.values(cases).map((c) => (c.model as { kind: string }).kind));
    expect([...kinds].sort()).toEqual(['dit', 'vae', 'video-dit', 'vit', 'vivit']);
    expect(Object.keys(cases)).toHaveLength(16);
  });

  it.each(Object.keys(cases))('%s: same names and shapes, same outputs', (name) => {
    const { model, clip } = cases[name]!;
    const { learnSigma, ...cfg } = model as { learnSigma?: boolean };
    const process = makeProcess(DiffusionConfig.parse({ learnSigma: learnSigma ?? true }));
    const m = buildModel(ModelConfig.parse(cfg), clip, process);
    const stored = Object.keys(tensors)
      .filter((k) => k.startsWith(`${name}/`))
      .map((k) => k.slice(name.length + 1));
    expect(m.weights.map((w) => w.originalName).sort()).toEqual(stored.sort());
    for (const w of m.weights) {
      const t = tensors[`${name}/${w.originalName}`]!;
      expect(t.shape, w.originalName).toEqual(w.shape);
      w.write(tf.tensor(t.data, t.shape));
    }
    const xs = m.inputs.map((i) => {
      const t = tensors[`${name}:in:${i.name.replace(/_\d+$/, '')}`]!;
      return tf.tensor(t.data, t.shape);
    });
    const out = m.apply(xs.length === 1 ? xs[0]! : xs, { training: false }) as tf.Tensor | tf.Tensor[];
    const y = Array.isArray(out) ? out[0]! : out;
    const want = tensors[`${name}:out`]!;
    expect(y.shape).toEqual(want.shape);
    const got = y.dataSync();
    let worst = 0;
    for (let i = 0; i < got.length; i++) worst = Math.max(worst, Math.abs(got[i]! - want.data[i]!));
    expect(worst).toBeLessThan(1e-5);
    tf.dispose([...xs, ...(Array.isArray(out) ? out : [out])]);
  });
});
