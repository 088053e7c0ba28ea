/**
 * Start the tfjs backend for a Node process — the one start-up path of the trainer and every command: the
 * config's `backend`, else `VTX_BACKEND`, else the fastest that starts (tensorflow > webgpu on a hardware adapter >
 * native > wasm > cpu). The optional backends (tfjs-node, webgpu + tfjs-backend-webgpu, @vtx/backend-native) are
 * imported from here, the app package, where pnpm makes them resolvable (a library package like @vtx/core cannot
 * see the app's optional dependencies).
 */
import * as tf from '@tensorflow/tfjs-core';
import { parseBackendName, selectBackend, type BackendChoice, type BackendLog } from '@vtx/core';

/**
 * A run's `matmulPrecision`, after PyTorch's `torch.set_float32_matmul_precision`: `highest` multiplies in fp32;
 * `medium` allows the GEMMs to round their inputs to bf16 and accumulate in fp32, which only the native backend
 * does (on a CPU with AVX512_BF16: 17-20% less time per step of the default, docs/performance.md); elsewhere it is fp32.
 */
export const MATMUL_PRECISIONS = ['highest', 'medium'] as const;
export type MatmulPrecision = (typeof MATMUL_PRECISIONS)[number];

export async function startBackend(
  override?: string,
  log?: BackendLog,
  precision: MatmulPrecision = 'highest',
): Promise<BackendChoice> {
  const env = process.env['VTX_BACKEND'];
  const name = override ?? env;
  const choice = await selectBackend({
    ...(name ? { override: parseBackendName(name, override ? 'backend' : 'VTX_BACKEND') } : {}),
    importer: (specifier) => import(specifier),
    ...(log ? { log } : {}),
  });
  await setMatmulPrecision(precision, log);
  return choice;
}

/**
 * Apply a run's `matmulPrecision` to the backend in use (every start applies one, so a process that runs several
 * configs never carries one run's setting into the next). Returns the GEMM that multiplies: the native backend's
 * implementation (`bf16`, `openblas`, `avx512`, …), else `fp32`.
 */
export async function setMatmulPrecision(precision: MatmulPrecision, log?: BackendLog): Promise<string> {
  const backend = tf.getBackend();
  if (backend !== 'native') {
    if (precision !== 'highest')
      log?.info(`matmul precision ${precision}: fp32 (${backend} has no bf16 GEMM)`);
    return 'fp32';
  }
  const native = await import('@vtx/backend-native');
  const gemm = native.setMatmulPrecision(precision);
  const forced = process.env['VTX_NATIVE_GEMM'];
  if (precision !== 'highest' || gemm === 'bf16') {
    const how =
      gemm === 'bf16'
        ? 'bf16 inputs, fp32 accumulation'
        : `fp32 (${gemm}${forced ? '' : '; the CPU has no AVX512_BF16'})`;
    log?.info(`matmul precision ${precision}: ${how}${forced ? ` (VTX_NATIVE_GEMM=${forced} decides)` : ''}`);
  }
  return gemm;
}
