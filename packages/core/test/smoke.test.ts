import * as tf from '@tensorflow/tfjs-core';
import * as tfl from '@tensorflow/tfjs-layers';
import { describe, expect, it } from 'vitest';
import { PatchEmbed, SelfAttention, sym, Unpatchify, patchify, unpatchify, setSeed } from '@vtx/core';

describe('smoke', () => {
  it('patchify round trip and attention in a functional model', () => {
    setSeed(1);
    const x = tf.randomNormal([2, 4, 8, 8, 3]);
    const y = unpatchify(patchify(x, [2, 4, 4]), [2, 4, 4], 3);
    expect(tf.max(tf.abs(tf.sub(x, y))).dataSync()[0]).toBe(0);
    const inp = tfl.input({ shape: [null, null, null, 3] });
    let h = sym(new PatchEmbed({ patch: [2, 4, 4], width: 16, name: 'x_embedder' }), inp);
    h = sym(new SelfAttention({ heads: 2, axis: 'split', name: 'attn' }), h);


    const model = tfl.model({ inputs: inp, outputs: h });
    const o = model.predict(x) as tf.Tensor;
    expect(o.shape).toEqual([2, 2, 2, 2, 16]);
    const o2 = model.predict(tf.randomNormal([1, 2, 12, 4, 3])) as tf.Tensor;
    expect(o2.shape).toEqual([1, 1, 3, 1, 16]);
  });
});
