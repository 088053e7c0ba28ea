// vitest setup for running the core and models suites on the 'native' backend (suites-on-native.config.ts).
import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-backend-cpu';
import '@vtx/core'; // registers gradients, chained ops and the vtx layers
import '@vtx/backend-native'; // throws "native unavailable: …" when the addon is not built

tf.env().set('PROD', true);
await tf.setBackend('native');
await tf.ready();
