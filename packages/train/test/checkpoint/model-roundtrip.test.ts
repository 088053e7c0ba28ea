import * as tf from '@tensorflow/tfjs-core';
import * as tfl from '@tensorflow/tfjs-layers';
import { promises as fs } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { loadCheckpoint, saveCheckpoint } from '@vtx/checkpoint';
import { AdamW, Ema, assignParams, namedParams, readParams } from '../../src/optim/index.js';

const dirs: string[] = [];
afterAll(() => Promise.all(dirs.map((d) => fs.rm(d, { recursive: true, force: true }))));

function build(): tfl.LayersModel {
  const x = tfl.input({ shape: [3] });
  const h = tfl.layers
    .dense({
      units: 4,
      activation: 'tanh',
      name: 'fc1',
      kernelInitializer: tfl.initializers.glorotUniform({ seed: 1 }),
    })
    .apply(x);
  const y = tfl.layers
    .dense({ units: 2, name: 'head', kernelInitializer: tfl.initializers.glorotUniform({ seed: 2 }) })
    .apply(h);
  return tfl.model({ inputs: x, outputs: y as tfl.SymbolicTensor });
}

describe('model weights, optimizer and EMA through a checkpoint', () => {
  it('restores into a second model whose tfjs variable names differ (stable layer-scoped names)', async () => {
    const root = await fs.mkdtemp(join(tmpdir(), 'vtx-ckpt-model-'));
    dirs.push(root);
    const a = build();
    const pa = namedParams(a);
    expect(pa.map((p) => p.name)).toEqual(['fc1/kernel', 'fc1/bias', 'head/kernel', 'head/bias']);
    const opt = new AdamW(pa, { lr: 0.05 });
    const ema = new Ema(pa, { decay: 0.5 });
    const x = tf.tensor2d([
      [1, 2, 3],
      [-1, 0, 2],
    ]);
    const loss = (m: tfl.LayersModel) => () => tf.mean<tf.Scalar>(tf.square(m.apply(x) as tf.Tensor));
    const step = (m: tfl.LayersModel, o: AdamW, e: Ema, ps: ReturnType<typeof namedParams>) => {
      tf.tidy(() =>
        o.apply(
          tf.variableGrads(
            loss(m),
            ps.map((p) => p.variable),
          ).grads,
        ),
      );
      e.update();
    };
    step(a, opt, ema, pa);
    const path = await saveCheckpoint(root, {
      step: 1,
      groups: {
        weights: await readParams(pa),
        optimizer: await opt.exportState(),
        ema: await ema.exportState(),
      },
    });

    const b = build(); // variables are now 'fc1/kernel_1', …
    const pb = namedParams(b);
    expect(pb[0]!.variable.name).not.toBe(pa[0]!.variable.name);
    const ck = await loadCheckpoint(path);
    assignParams(pb, ck.groups.weights!);
    const optB = new AdamW(pb, { lr: 0.05 });
    optB.importState(ck.groups.optimizer!);
    const emaB = new Ema(pb, { decay: 0.5 });
    emaB.importState(ck.groups.ema!);

    step(a, opt, ema, pa);
    step(b, optB, emaB, pb);
    const out = (m: tfl.LayersModel) => Array.from((m.predict(x) as tf.Tensor).dataSync());
    expect(out(b)).toEqual(out(a));
    expect(await emaB.withEma(() => out(b))).toEqual(await ema.withEma(() => out(a)));

    const wrong = namedParams(
      tfl.sequential({ layers: [tfl.layers.dense({ units: 5, inputShape: [3], name: 'fc1' })] }),
    );
    expect(() => assignParams(wrong, ck.groups.weights!)).toThrow(
      /unexpected tensors 'head\/bias', 'head\/kernel'/,
    );
    expect(() => assignParams(wrong, ck.groups.weights!, false)).toThrow(
      /tensor 'fc1\/kernel': shape \[3,4\] does not match the model's \[3,5\]/,
    );
  });
});
