/**
 * @vtx/backend-native — a tfjs backend for Node on CPU: the tfjs `cpu` backend's storage and kernels with the hot
 * kernels of transformer training run by a threaded N-API addon (GEMM through OpenBLAS when the system has it,
 * else an AVX-512, AVX2/FMA or portable kernel, chosen at run time; `VTX_NATIVE_GEMM` forces one, and
 * a run's `matmulPrecision: medium` (or `VTX_NATIVE_GEMM=bf16`) opts in to the inexact bf16 GEMM). Importing registers backend `'native'`; when the addon is missing it
 * throws one clear line ("native unavailable: …") so a caller's backend selection moves on (vtx: to wasm).
 *
 *   import '@vtx/backend-native';           // or: registerNativeBackend() for a status instead of a throw
 *   await tf.setBackend('native');
 */
import { registerNativeBackend } from './backend.js';

export {
  registerNativeBackend,
  nativeAddon,
  setMatmulPrecision,
  NativeBackend,
  NATIVE_KERNELS,
  BACKEND_NAME,
} from './backend.js';
export type { NativeStatus } from './backend.js';
export { loadAddon, ADDON_PATH } from './addon.js';
export type { NativeAddon, AddonLoad } from './addon.js';
export { adamwUpdate, ADAMW_KERNEL, ADAMW_ALL_KERNEL } from './adamw.js';
export type { AdamWHyper } from './adamw.js';
export { broadcastPlan } from './kernels/elementwise.js';
export { transposePlan } from './kernels/transpose.js';
export { FUSED } from './kernels/fused.js';

const status = registerNativeBackend();
if (!status.available) throw new Error(`native unavailable: ${status.reason}`);
