/**
 * The attribute classifier (judge / captioner): one head per attribute, the concatenated logits sliced by
 * `attributeHeads`, pooled features, and every head's weights reached by its own attribute's loss only.
 */
import * as tf from '@tensorflow/tfjs-core';
import { setSeed } from '@vtx/core';
import { AttributeClassifierConfig, attributeHeads, buildAttributeClassifier } from '@vtx/models';
import { afterEach, describe, expect, it } from 'vitest';

afterEach(() => tf.disposeVariables());

const cfg = AttributeClassifierConfig.parse({
  kind: 'attribute-classifier',
  width: 16,
  depth: 1,
  heads: 2,
  attributes: { shape: ['circle', 'square', 'cross'], colour: ['red', 'blue'] },
});

describe('attribute classifier', () => {
  it('gives logits (B, sum K) sliced per head, and pooled features (B, D)', () => {
    setSeed(1);
    expect(attributeHeads(cfg)).toEqual([
      { name: 'shape', values: ['circle', 'square', 'cross'], offset: 0 },
      { name: 'colour', values: ['red', 'blue'], offset: 3 },
    ]);
    const m = buildAttributeClassifier(cfg, [4, 8, 8, 3]);
    const [logits, features] = m.predict(tf.randomNormal([2, 4, 8, 8, 3], 0, 1, 'float32', 2)) as tf.Tensor[];
    expect(logits!.shape).toEqual([2, 5]);
    expect(features!.shape).toEqual([2, 16]);
    expect(m.trainableWeights.some((w) => w.originalName.startsWith('head/'))).toBe(false); // ViViT's own head is dropped
  });

  it("routes each attribute's loss to its own head only", () => {
    setSeed(3);
    const m = buildAttributeClassifier(cfg, [4, 8, 8, 3]);
    const x = tf.randomNormal([2, 4, 8, 8, 3], 0, 1, 'float32', 4);
    const vars = m.trainableWeights.map((w) => w.read() as tf.Variable);
    const { grads } = tf.variableGrads(() => {
      const [logits] = m.apply(x, { training: true }) as tf.Tensor[];
      return tf.sum<tf.Scalar>(tf.slice(logits!, [0, 0], [-1, 3])); // the shape head's logits only
    }, vars);
    const norm = (prefix: string) =>
      m.trainableWeights
        .filter((w) => w.originalName.startsWith(prefix))
        .reduce((s, w) => s + tf.sum(tf.abs(grads[(w.read() as tf.Variable).name]!)).dataSync()[0]!, 0);
    expect(norm('heads.shape')).toBeGreaterThan(0);
    expect(norm('heads.colour')).toBe(0);
  });

  it('needs at least one attribute', () => {
    expect(() => buildAttributeClassifier({ ...cfg, attributes: {} }, [4, 8, 8, 3])).toThrow(/no attributes/);
  });
});
