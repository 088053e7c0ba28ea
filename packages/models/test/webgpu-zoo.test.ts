/**
 * The zoo trains on `webgpu`: for every model family and variant (the tiny CASES, plus the video VAE and the
 * attribute classifier), the probe loss and the gradient of every trainable weight of one forward + backward
 * pass in training mode agree with the `cpu` backend, from the same weights and inputs. Runs on SwiftShader
 * where Chromium is installed (see packages/core/test/backend/webgpu-env.ts), else skips with the reason.
 */
import * as tf from '@tensorflow/tfjs-core';
import type * as tfl from '@tensorflow/tfjs-layers';
import { selectBackend, setSeed } from '@vtx/core';
import {
  AttributeClassifierConfig,
  ModelConfig,
  buildAttributeClassifier,
  buildModel,
  latentShape,
  type ClipShape,
  type VaeConfig,
} from '@vtx/models';
import { afterAll, afterEach, describe, expect, it } from 'vitest';
import { adapterLabel, importer, webGpuTests } from '../../core/test/backend/webgpu-env.js';
import { relErr } from '../../core/test/helpers.js';
import { CASES, inputsFor } from './helpers.js';

/** Loss: float32 sums of a few thousand terms in another order. */
const LOSS_TOL = 1e-4;
/** Worst weight gradient, relative to its own largest entry (deep products of float32 sums). */
const GRAD_TOL = 1e-3;

interface ZooCase {
  name: string;
  build: () => { model: tfl.LayersModel; xs: tf.Tensor[] };
}

const zoo: ZooCase[] = [
  ...CASES.map(({ name, model: cfg, clip }) => ({
    name,
    build: () => {
      const model = buildModel(cfg, clip);
      return { model, xs: inputsFor(model, cfg, clip) };
    },
  })),
  {
    name: 'vae',
    build: () => {
      const clip: ClipShape = [2, 8, 8, 3];
      const cfg = ModelConfig.parse({ kind: 'vae', width: 16, depth: 1, heads: 2, latentChannels: 3 });
      const model = buildModel(cfg, clip);
      const eps = latentShape(cfg as VaeConfig, clip);
      return {
        model,
        xs: [
          tf.randomNormal([2, ...clip], 0, 1, 'float32', 1),
          tf.randomNormal([2, ...eps], 0, 1, 'float32', 2),
        ],
      };
    },
  },
  {
    name: 'attribute-classifier',
    build: () => {
      const cfg = AttributeClassifierConfig.parse({
        kind: 'attribute-classifier',
        width: 16,
        depth: 1,
        heads: 2,
        attributes: { shape: ['circle', 'square', 'cross'], colour: ['red', 'blue'] },
      });
      const model = buildAttributeClassifier(cfg, [4, 8, 8, 3]);
      return { model, xs: [tf.randomNormal([2, 4, 8, 8, 3], 0, 1, 'float32', 1)] };
    },
  },
];

/** Loss and every weight gradient on the current backend: every output times a fixed random probe, summed. */
async function pass(c: ZooCase): Promise<{ loss: number; grads: Float32Array[]; names: string[] }> {
  setSeed(5);
  const { model, xs } = c.build();
  for (const w of model.trainableWeights)
    w.write(tf.add(w.read(), tf.randomNormal(w.shape as number[], 0, 0.05, 'float32', 9)));
  const vars = model.trainableWeights.map((w) => w.read() as tf.Variable);
  const outs = () => [model.apply(xs.length === 1 ? xs[0]! : xs, { training: true })].flat() as tf.Tensor[];
  const probes = outs().map((y, i) => tf.randomNormal(y.shape, 0, 1, 'float32', 11 + i));
  const { value, grads } = tf.variableGrads(
    () => tf.addN(outs().map((y, i) => tf.sum(tf.mul(y, probes[i]!)))) as tf.Scalar,
    vars,
  );
  const result = {
    loss: (await value.data())[0]!,
    grads: await Promise.all(vars.map(async (v) => (await grads[v.name]!.data()) as Float32Array)),
    names: model.trainableWeights.map((w) => w.originalName),
  };
  tf.dispose([value, ...Object.values(grads), ...probes, ...xs]);
  model.dispose();
  return result;
}

afterEach(() => tf.disposeVariables());
afterAll(async () => {
  await tf.setBackend('cpu');
});

describe.skipIf(!webGpuTests.adapter)(`zoo forward + backward, webgpu vs cpu (${adapterLabel()})`, () => {
  it.each(zoo)(
    '$name',
    async (c) => {
      await tf.setBackend('cpu');
      const cpu = await pass(c);
      await selectBackend({ override: 'webgpu', importer });
      const gpu = await pass(c);
      expect(Math.abs(gpu.loss - cpu.loss) / (1e-6 + Math.abs(cpu.loss))).toBeLessThan(LOSS_TOL);
      expect(gpu.names).toEqual(cpu.names);
      const worst = cpu.grads
        .map((g, i) => ({
          name: cpu.names[i]!,
          err: relErr(gpu.grads[i]!, g),
          zero: g.every((v) => v === 0),
        }))
        .sort((a, b) => b.err - a.err);
      expect(worst[0]!.err, worst[0]!.name).toBeLessThan(GRAD_TOL);
    },
    300_000,
  );
});
