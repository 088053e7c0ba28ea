/** The examples/ scripts run and do what their READMEs say (tiny sizes). */
import { existsSync, mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as tf from '@tensorflow/tfjs-core';
import { describe, expect, it } from 'vitest';
import { LayerScale, residualModel, roundTrip } from '../../../examples/custom-layer/layer-scale.js';
import { trainAndSample } from '../../../examples/programmatic-api/train-and-sample.js';
import { sampleFromPyTorch } from '../../../examples/pytorch-dit/sample-from-pytorch.js';

describe('examples/custom-layer', () => {
  it('computes γ ⊙ x and its γ-gradient in closed form', () => {
    const layer = new LayerScale({ init: 0.5 });
    const x = tf.tensor3d([
      [
        [1, 2, 3],
        [4, 5, 6],
      ],
    ]); // (1, 2, 3)
    const y = layer.apply(x) as tf.Tensor;
    expect(Array.from(y.dataSync())).toEqual([0.5, 1, 1.5, 2, 2.5, 3]);
    const gamma = layer.trainableWeights[0]!.read() as tf.Variable;
    // d/dγ Σ γ⊙x = Σ over the leading axes of x = [5, 7, 9]
    const g = tf.grad((v: tf.Tensor) => tf.sum(tf.mul(x, v)))(gamma);
    expect(Array.from(g.dataSync())).toEqual([5, 7, 9]);
  });

  it('is registered and survives a save/load round trip', async () => {
    expect(tf.serialization.SerializationMap.getMap().classNameMap['ExampleLayerScale']).toBeDefined();
    const model = residualModel(3, 4);
    const back = await roundTrip(model);
    expect(back.getLayer('ls')).toBeInstanceOf(LayerScale);
    expect((back.getLayer('ls') as LayerScale).init).toBe(0.1);
    const x = tf.randomNormal([2, 3, 4], 0, 1, 'float32', 3);
    const a = (model.predict(x) as tf.Tensor).dataSync();
    const b = (back.predict(x) as tf.Tensor).dataSync();
    expect(Array.from(b)).toEqual(Array.from(a));
  });
});

describe('examples/pytorch-dit', () => {
  it('loads the PyTorch-layout fixture and samples finite latents of the right shape', async () => {
    const x = await sampleFromPyTorch(undefined, [0, 1], 'ddim4');
    expect(x.shape).toEqual([2, 1, 8, 8, 4]);
    expect(Array.from(x.dataSync()).every(Number.isFinite)).toBe(true);
  });
});

describe('examples/programmatic-api', () => {
  it('trains a few steps, reloads the run and writes a GIF of samples', async () => {
    const out = join(mkdtempSync(join(tmpdir(), 'vtx-example-')), 'run');
    const r = await trainAndSample(out, 4);
    expect(r.shape).toEqual([4, 4, 16, 16, 3]);
    expect(existsSync(r.gif)).toBe(true);
    expect(existsSync(join(r.runDir, 'summary.json'))).toBe(true);
  });
});
