// vitest setup for running the core and models suites on the 'native' backend (suites-on-native.config.ts);
// the fused transformer ops are on, the fused attention included; VTX_FUSED=0 runs them all off (stock
// tfjs ops composed on 'native').
import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-backend-cpu';
import { setFusedOps } from '@vtx/core'; // registers gradients, chained ops and the vtx layers
import '@vtx/backend-native'; // throws "native unavailable: …" when the addon is not built

tf.env().set('PROD', true);
const fused = process.env['VTX_FUSED'] !== '0';
setFusedOps(fused, { attention: fused });
await tf.setBackend('native');
await tf.ready();
