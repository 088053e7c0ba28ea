// vitest setup for running the core and models suites on the 'native' backend (suites-on-native.config.ts);
// VTX_FUSED=0 runs them with the fused transformer ops off (stock tfjs ops composed on 'native').
import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-backend-cpu';
import { setFusedOps } from '@vtx/core'; // registers gradients, chained ops and the vtx layers
import '@vtx/backend-native'; // throws "native unavailable: …" when the addon is not built

tf.env().set('PROD', true);
setFusedOps(process.env['VTX_FUSED'] !== '0');
await tf.setBackend('native');
await tf.ready();
