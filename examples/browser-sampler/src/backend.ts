/**
 * Start a tfjs backend in the page: `webgpu` (by default where the browser offers a hardware WebGPU adapter, with
 * @vtx/core's webgpu fixes), `wasm` (XNNPACK; with @vtx/core's training fixes installed, as in Node, so results
 * match the Node sampler; the default otherwise), `webgl`, or `cpu`. The wasm binaries are emitted by Vite as assets and handed
 * to tfjs with setWasmPaths; without cross-origin isolation tfjs picks the SIMD (single-threaded) binary.
 */
import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-backend-cpu';
import { setWasmPaths } from '@tensorflow/tfjs-backend-wasm';
import '@tensorflow/tfjs-backend-webgl';
import '@tensorflow/tfjs-backend-webgpu'; // registers 'webgpu' only where the browser has navigator.gpu
import wasmPlain from '@tensorflow/tfjs-backend-wasm/dist/tfjs-backend-wasm.wasm?url';
import wasmSimd from '@tensorflow/tfjs-backend-wasm/dist/tfjs-backend-wasm-simd.wasm?url';
import wasmThreaded from '@tensorflow/tfjs-backend-wasm/dist/tfjs-backend-wasm-threaded-simd.wasm?url';
import { installWasmFixes, installWebGpuFixes, summarizeAdapter } from '@vtx/core';

export type PageBackend = 'webgpu' | 'wasm' | 'webgl' | 'cpu';

interface NavigatorGpu {
  gpu?: { requestAdapter(): Promise<{ info?: Parameters<typeof summarizeAdapter>[0] } | null> };
}

/** `webgpu` where the browser offers a hardware adapter (not a software one like SwiftShader), else `wasm`. */
export async function defaultBackend(): Promise<PageBackend> {
  const gpu = (navigator as NavigatorGpu).gpu;
  const adapter = gpu ? await gpu.requestAdapter().catch(() => null) : null;
  return adapter && !summarizeAdapter(adapter.info ?? {}).software ? 'webgpu' : 'wasm';
}

setWasmPaths({
  'tfjs-backend-wasm.wasm': wasmPlain,
  'tfjs-backend-wasm-simd.wasm': wasmSimd,
  'tfjs-backend-wasm-threaded-simd.wasm': wasmThreaded,
});

/** Switch to `name`; throws with the backend's name when it cannot start (e.g. no WebGL in this browser). */
export async function useBackend(name: PageBackend): Promise<void> {
  if (name === 'webgpu' && !tf.findBackendFactory('webgpu')) throw new Error('this browser has no WebGPU');
  if (!(await tf.setBackend(name))) throw new Error(`the ${name} backend failed to start in this browser`);
  await tf.ready();
  if (name === 'wasm') installWasmFixes();
  if (name === 'webgpu') installWebGpuFixes();
  tf.env().set('PROD', true);
}
