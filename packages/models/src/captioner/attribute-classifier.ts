/**
 * Attribute classifier: a ViViT backbone and one linear softmax head per attribute.
 *   x (B, T, H, W, C) -> ViViT encoder -> pooled (B, D) -> heads -> [logits (B, ΣK_a), features (B, D)]
 * The logits of attribute a are the slice [offset_a, offset_a + K_a) (`attributeHeads`); the features are the
 * pooled representation the judge's Fréchet distance is computed in.
 */
import * as tfl from '@tensorflow/tfjs-layers';
import { Linear, sym, type Sym } from '@vtx/core';
import type { ClipShape } from '../types.js';
import { buildViViT } from '../vivit/vivit.js';
import {
  attributeBackbone,
  attributeClassifierName,
  attributeHeads,
  type AttributeClassifierConfig,
} from './config.js';

export function buildAttributeClassifier(cfg: AttributeClassifierConfig, clip: ClipShape): tfl.LayersModel {
  const heads = attributeHeads(cfg);
  if (heads.length === 0)
    throw new Error(
      `${attributeClassifierName(cfg)}: no attributes (fill model.attributes or use data with attributes)`,
    );
  // ViViT's own head (1 output) is left out of this model: only the pooled features are used
  const backbone = buildViViT(attributeBackbone(cfg, 1), clip);
  const features = backbone.getLayer('head').input as Sym; // (B, D)
  const logits = heads.map(({ name, values }) =>
    sym(new Linear({ units: values.length, init: 'normal02', name: `heads.${name}` }), features),
  ); // each (B, K_a)
  const all =
    logits.length === 1 ? logits[0]! : sym(tfl.layers.concatenate({ axis: -1, name: 'logits' }), ...logits);
  return tfl.model({ inputs: backbone.inputs, outputs: [all, features], name: attributeClassifierName(cfg) });
}
