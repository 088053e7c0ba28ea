/** The ConvNet family: a small convolutional image (and per-frame clip) classifier, e.g. an MNIST judge. */
import { defineFamily } from '../family.js';
import { ConvNetConfig, convnetName, convnetStep } from './config.js';
import { convnetCost } from './cost.js';
import { buildConvNet } from './convnet.js';

export const convnetFamily = defineFamily({
  kind: 'convnet',
  schema: ConvNetConfig,
  task: 'classify',
  build: buildConvNet,
  cost: convnetCost,
  name: convnetName,
  patch: convnetStep,
  patchKey: 'channels',
});
