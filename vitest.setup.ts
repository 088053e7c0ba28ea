// Every test file starts on the pure-JS `cpu` backend, seeded; tests that need wasm switch explicitly.
import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-backend-cpu';
import '@vtx/core'; // registers gradients, chained ops and the vtx layers

tf.env().set('PROD', true);
await tf.setBackend('cpu');
await tf.ready();
