/**
 * The attribute classifier family (the judge of sample quality and the captioner): a ViViT with one softmax head
 * per attribute, trained by the trainer's attributes objective on the `attributes` column of a dataset.
 */
import { defineFamily } from '../family.js';
import { vivitCost } from '../vivit/cost.js';
import { buildAttributeClassifier } from './attribute-classifier.js';
import {
  AttributeClassifierConfig,
  attributeBackbone,
  attributeClassifierName,
  attributeHeads,
} from './config.js';

export const attributeClassifierFamily = defineFamily({
  kind: 'attribute-classifier',
  schema: AttributeClassifierConfig,
  task: 'attributes',
  build: (cfg, clip) => buildAttributeClassifier(cfg, clip),
  // the backbone with one head of all the heads' outputs: the same weights and flops as the heads side by side
  cost: (cfg, clip) =>
    vivitCost(
      {
        ...attributeBackbone(cfg, 1),
        numClasses: attributeHeads(cfg).reduce((n, h) => n + h.values.length, 0),
      },
      clip,
    ),
  name: attributeClassifierName,
  patch: (cfg) => [...cfg.patch],
  heads: attributeHeads,
  withAttributes: (cfg, vocabulary) =>
    Object.keys(cfg.attributes).length > 0 ? cfg : { ...cfg, attributes: vocabulary },
});
