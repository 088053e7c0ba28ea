/**
 * Start a tfjs backend in the page: `wasm` (XNNPACK; with @vtx/core's training fixes installed, as in Node, so
 * results match the Node sampler), `webgl`, or `cpu`. The wasm binaries are emitted by Vite as assets and handed
 * to tfjs with setWasmPaths; without cross-origin isolation tfjs picks the SIMD (single-threaded) binary.
 */
import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-backend-cpu';
import { setWasmPaths } from '@tensorflow/tfjs-backend-wasm';
import '@tensorflow/tfjs-backend-webgl';
import wasmPlain from '@tensorflow/tfjs-backend-wasm/dist/tfjs-backend-wasm.wasm?url';
import wasmSimd from '@tensorflow/tfjs-backend-wasm/dist/tfjs-backend-wasm-simd.wasm?url';
import wasmThreaded from '@tensorflow/tfjs-backend-wasm/dist/tfjs-backend-wasm-threaded-simd.wasm?url';
import { installWasmFixes } from '@vtx/core';

export type PageBackend = 'wasm' | 'webgl' | 'cpu';

setWasmPaths({
  'tfjs-backend-wasm.wasm': wasmPlain,
  'tfjs-backend-wasm-simd.wasm': wasmSimd,
  'tfjs-backend-wasm-threaded-simd.wasm': wasmThreaded,
});

/** Switch to `name`; throws with the backend's name when it cannot start (e.g. no WebGL in this browser). */
export async function useBackend(name: PageBackend): Promise<void> {
  if (!(await tf.setBackend(name))) throw new Error(`the ${name} backend failed to start in this browser`);
  await tf.ready();
  if (name === 'wasm') installWasmFixes();
  tf.env().set('PROD', true);
}
