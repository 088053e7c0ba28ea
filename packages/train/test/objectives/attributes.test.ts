/**
 * What the attribute-classification objective (the attribute classifier's: judges, captioners) computes, against
 * closed forms in float64 JS: the loss is the sum over heads of each head's smoothed cross-entropy on its slice of
 * the logits; mixup mixes the clips and every head's targets with one λ; evaluation counts each head's hits, their
 * mean and the summed loss; a batch without the attribute column, or a value outside a head, is an error naming it.
 * The model is a stub whose logits are a known function of its input.
 */
import * as tf from '@tensorflow/tfjs-core';
import type * as tfl from '@tensorflow/tfjs-layers';
import { mix32, mulberry32 } from '@vtx/core';
import type { Batch } from '@vtx/data';
import type { AttributeHead } from '@vtx/models';
import { describe, expect, it } from 'vitest';
import { AttributesObjective, type AttributesOptions } from '../../src/objectives/attributes.js';
import { sampleBeta } from '../../src/objectives/classify.js';

const HEADS: AttributeHead[] = [
  { name: 'shape', values: ['circle', 'square', 'cross'], offset: 0 },
  { name: 'speed', values: ['slow', 'fast'], offset: 3 },
];

/** A batch of B one-pixel clips of value c[b], with attribute columns `attrs`. */
function batch(c: number[], attrs: Record<string, number[]> | null): Batch {
  const b = c.length;
  return {
    epoch: 0,
    index: 0,
    bucket: 0,
    clips: Float32Array.from(c),
    shape: [b, 1, 1, 1, 1],
    clipShape: [1, 1, 1, 1],
    labels: null,
    captions: null,
    attributes: attrs && Object.fromEntries(Object.entries(attrs).map(([k, v]) => [k, Int32Array.from(v)])),
    ids: c.map((_, i) => `clip-${i}`),
    rows: Int32Array.from(c.keys()),
    part: { offset: 0, global: b },
    threadId: 0,
  };
}

/** Logits (5 = 3 + 2) of a clip value v; the model outputs [logits, features] as an attribute classifier does. */
const z = (v: number) => [v, 2 * v, -v, 0.5 * v, -0.3];
function stub() {
  const seen: number[] = [];
  const model = {
    apply: (x: tf.Tensor) => {
      const v = Array.from(x.dataSync());
      seen.push(...v);
      return [tf.tensor2d(v.map(z)), tf.tensor2d(v.map((u) => [u]))];
    },
  } as unknown as tfl.LayersModel;
  return { model, seen };
}

const softmax = (l: number[]) => {
  const m = Math.max(...l);
  const e = l.map((v) => Math.exp(v - m));
  const s = e.reduce((p, q) => p + q, 0);
  return e.map((v) => v / s);
};
const mean = (xs: number[]) => xs.reduce((p, q) => p + q, 0) / xs.length;
const opts = (o: Partial<AttributesOptions> = {}): AttributesOptions => ({
  heads: HEADS,
  labelSmoothing: 0,
  mixup: 0,
  seed: 7,
  ...o,
});
/** Cross-entropy of head h's slice of z(v) against target t. */
const ce = (h: AttributeHead, l: number[], t: number[]) => {
  const p = softmax(l.slice(h.offset, h.offset + h.values.length));
  return -t.reduce((s, tk, k) => s + tk * Math.log(p[k]!), 0);
};
const oneHot = (y: number, k: number, eps = 0) =>
  Array.from({ length: k }, (_, j) => (j === y ? 1 - eps : 0) + eps / k);

describe('attributes objective', () => {
  const c = [0.3, -0.8, 1.1];
  const attrs = { shape: [0, 2, 1], speed: [1, 0, 0] };

  it('loss: the sum over heads of the mean smoothed cross-entropy of each head', async () => {
    const eps = 0.1;
    const obj = new AttributesObjective(stub().model, opts({ labelSmoothing: eps }));
    const out = obj.loss(batch(c, attrs), 0);
    const want = HEADS.reduce(
      (s, h) =>
        s + mean(c.map((v, i) => ce(h, z(v), oneHot(attrs[h.name as 'shape'][i]!, h.values.length, eps)))),
      0,
    );
    expect((await out.loss.data())[0]).toBeCloseTo(want, 5);
    // training accuracy per head: argmax of its slice
    const hits = (h: AttributeHead) =>
      mean(
        c.map((v, i) => {
          const s = z(v).slice(h.offset, h.offset + h.values.length);
          return s.indexOf(Math.max(...s)) === attrs[h.name as 'shape'][i] ? 1 : 0;
        }),
      );
    expect((await out.metrics['acc/shape']!.data())[0]).toBeCloseTo(hits(HEADS[0]!), 6);
    expect((await out.metrics['acc/speed']!.data())[0]).toBeCloseTo(hits(HEADS[1]!), 6);
    tf.dispose([out.loss, ...Object.values(out.metrics)]);
  });

  it('mixup: one λ ~ Beta(α, α) from (seed, step) mixes the clips and every head’s targets', async () => {
    const { model, seen } = stub();
    const step = 4;
    const obj = new AttributesObjective(model, opts({ mixup: 0.4 }));
    const out = obj.loss(batch(c, attrs), step);
    const lam = sampleBeta(0.4, mulberry32(mix32(7, step)));
    const mixed = c.map((v, i) => lam * v + (1 - lam) * c[c.length - 1 - i]!);
    seen.forEach((v, i) => expect(v).toBeCloseTo(mixed[i]!, 6));
    const want = HEADS.reduce((s, h) => {
      const y = attrs[h.name as 'shape'];
      const t = (i: number) => oneHot(y[i]!, h.values.length);
      return (
        s +
        mean(
          mixed.map((v, i) =>
            ce(
              h,
              z(v),
              t(i).map((tk, k) => lam * tk + (1 - lam) * t(c.length - 1 - i)[k]!),
            ),
          ),
        )
      );
    }, 0);
    expect((await out.loss.data())[0]).toBeCloseTo(want, 5);
    tf.dispose([out.loss, ...Object.values(out.metrics)]);
  });

  it('evaluation: per-head accuracy over every clip, their mean, and the summed loss per clip', async () => {
    const obj = new AttributesObjective(stub().model, opts());
    obj.evalBegin();
    await obj.evalBatch(
      batch(c.slice(0, 2), { shape: attrs.shape.slice(0, 2), speed: attrs.speed.slice(0, 2) }),
    );
    await obj.evalBatch(batch(c.slice(2), { shape: attrs.shape.slice(2), speed: attrs.speed.slice(2) }));
    const m = obj.evalEnd();
    const acc = (h: AttributeHead) =>
      mean(
        c.map((v, i) => {
          const s = z(v).slice(h.offset, h.offset + h.values.length);
          return s.indexOf(Math.max(...s)) === attrs[h.name as 'shape'][i] ? 1 : 0;
        }),
      );
    expect(m['val/acc/shape']).toBeCloseTo(acc(HEADS[0]!), 6);
    expect(m['val/acc/speed']).toBeCloseTo(acc(HEADS[1]!), 6);
    expect(m['val/acc']).toBeCloseTo((acc(HEADS[0]!) + acc(HEADS[1]!)) / 2, 6);
    const loss = mean(
      c.map((v, i) =>
        HEADS.reduce((s, h) => s + ce(h, z(v), oneHot(attrs[h.name as 'shape'][i]!, h.values.length)), 0),
      ),
    );
    expect(m['val/loss']).toBeCloseTo(loss, 5);
  });

  it('names what is missing: the attributes column, a head’s attribute, a value outside its head', () => {
    const obj = new AttributesObjective(stub().model, opts());
    expect(() => obj.loss(batch(c, null), 0)).toThrow(/no attributes column/);
    expect(() => obj.loss(batch(c, { shape: attrs.shape }), 0)).toThrow(/no attribute 'speed'/);
    expect(() => obj.loss(batch(c, { ...attrs, speed: [0, 2, 1] }), 0)).toThrow(
      /clip 'clip-1': attribute 'speed' is missing or out of range/,
    );
  });
});
